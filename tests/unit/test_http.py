from __future__ import annotations

import enum
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import flask
import pytest
from werkzeug.test import EnvironBuilder

from sisbridge import http, logs
from sisbridge.config import Settings
from sisbridge.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    SisRateLimited,
    Unauthenticated,
)
from sisbridge.http import Router, endpoint
from sisbridge.identity import LocalKeys, verifier_from_settings

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def serve(function: Callable[[flask.Request], Any], *, testing: bool = True) -> flask.testing.FlaskClient:
    """A Flask app routed like functions-framework's: every path reaches the one function."""
    app = flask.Flask("fn")
    app.testing = testing

    def run(path: str) -> Any:
        return function(flask.request._get_current_object())  # type: ignore[attr-defined]

    app.add_url_rule("/", defaults={"path": ""}, endpoint="run", view_func=run, methods=METHODS)
    app.add_url_rule("/<path:path>", endpoint="run", view_func=run, methods=METHODS)
    return app.test_client()


def make_request(**kwargs: Any) -> flask.Request:
    return flask.Request(EnvironBuilder(**kwargs).get_environ())


class Status(enum.Enum):
    ACTIVE = "active"


@dataclass(frozen=True, slots=True, kw_only=True)
class Partner:
    id: str
    status: Status
    connected_at: datetime
    day: date
    tags: frozenset[str]


# --- endpoint: rendering ---------------------------------------------------------------------


def test_dataclass_result_is_json_with_enum_values_and_utc_datetimes() -> None:
    ts = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))

    @endpoint
    def view(request: flask.Request) -> Partner:
        return Partner(
            id="p1", status=Status.ACTIVE, connected_at=ts, day=date(2025, 1, 2), tags=frozenset({"b", "a"})
        )

    r = serve(view).get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.get_json() == {
        "id": "p1",
        "status": "active",
        "connected_at": "2025-01-02T01:04:05Z",
        "day": "2025-01-02",
        "tags": ["a", "b"],
    }


def test_none_is_204_and_tuples_set_the_status() -> None:
    assert serve(endpoint(lambda request: None)).delete("/").status_code == 204
    r = serve(endpoint(lambda request: ({"created": True}, 201))).post("/")
    assert (r.status_code, r.get_json()) == (201, {"created": True})
    r = serve(endpoint(lambda request: ([], 202, {"Location": "/runs/1"}))).post("/")
    assert (r.status_code, r.headers["Location"]) == (202, "/runs/1")


def test_to_json_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(TypeError):
        http.to_json(object())
    with pytest.raises(ValueError):
        http.to_json(float("nan"))
    assert http.to_json(datetime(2025, 1, 1)) == '"2025-01-01T00:00:00Z"'  # naive is taken as UTC


# --- endpoint: errors ------------------------------------------------------------------------


def raising(err: Exception) -> Callable[[flask.Request], Any]:
    @endpoint
    def view(request: flask.Request) -> None:
        raise err

    return view


@pytest.mark.parametrize(
    ("err", "status", "code"),
    [
        (InvalidRequest("field 'x' is required", field="x"), 400, "invalid_request"),
        (Forbidden("admins only"), 403, "forbidden"),
        (Conflict("already connected"), 409, "conflict"),
    ],
)
def test_app_errors_become_their_status_and_json(err: Exception, status: int, code: str) -> None:
    r = serve(raising(err)).get("/")
    assert r.status_code == status
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    body = r.get_json()["error"]
    assert body["code"] == code and body["message"] == str(err) and "hint" in body


def test_retryable_errors_carry_retry_after() -> None:
    r = serve(raising(SisRateLimited("the SIS is throttling", retry_after=2.2))).get("/")
    assert (r.status_code, r.headers["Retry-After"]) == (503, "3")
    assert r.get_json()["error"]["code"] == "sis_rate_limited"


def test_unauthenticated_asks_for_a_bearer_token() -> None:
    r = serve(raising(Unauthenticated("sign-in required"))).get("/")
    assert (r.status_code, r.headers["WWW-Authenticate"]) == (401, "Bearer")


def test_unknown_exceptions_propagate_to_the_runtime() -> None:
    view = raising(KeyError("bug"))
    with pytest.raises(KeyError):
        view(make_request(path="/"))
    assert serve(view, testing=False).get("/").status_code == 500  # the runtime's crash handler


def test_endpoint_binds_the_request_to_logs(capsys: pytest.CaptureFixture[str]) -> None:
    handler = logs.setup_logging("INFO", project="demo")
    try:
        capsys.readouterr()

        @endpoint
        def view(request: flask.Request) -> None:
            logging.getLogger("view").info("working")
            raise Conflict("busy")

        trace = "0123456789abcdef0123456789abcdef"
        serve(view).get(
            "/", headers={"X-Cloud-Trace-Context": f"{trace}/1;o=1", "X-CloudTasks-TaskName": "t1"}
        )
        entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [e["severity"] for e in entries] == ["INFO", "WARNING"]
        assert all(e["logging.googleapis.com/trace"] == f"projects/demo/traces/{trace}" for e in entries)
        assert all(e["task_name"] == "t1" for e in entries)
        assert entries[1]["error_code"] == "conflict" and entries[1]["status"] == 409
    finally:
        logging.getLogger().removeHandler(handler)


# --- read_json -------------------------------------------------------------------------------

MAX = 100


@pytest.fixture
def echo() -> flask.testing.FlaskClient:
    @endpoint
    def view(request: flask.Request) -> dict[str, Any]:
        return http.read_json(request, max_bytes=MAX, allowed={"a", "b"})

    return serve(view)


def error_of(response: Any) -> dict[str, Any]:
    return response.get_json()["error"]


def test_read_json_accepts_an_object(echo: flask.testing.FlaskClient) -> None:
    r = echo.post("/", data='{"a": 1}', content_type="application/json; charset=UTF-8")
    assert (r.status_code, r.get_json()) == (200, {"a": 1})


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_read_json_415(echo: flask.testing.FlaskClient, content_type: str | None) -> None:
    r = echo.post("/", data='{"a": 1}', content_type=content_type)
    assert r.status_code == 415 and error_of(r)["code"] == "unsupported_media_type"


def test_read_json_413_by_content_length(echo: flask.testing.FlaskClient) -> None:
    r = echo.post("/", data=json.dumps({"a": "x" * MAX}), content_type="application/json")
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large"


def test_read_json_413_by_actual_body_without_content_length() -> None:
    body = json.dumps({"a": "x" * MAX}).encode()
    environ = EnvironBuilder(method="POST", content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = True  # chunked transfer: the server says where it ends
    with pytest.raises(PayloadTooLarge):
        http.read_json(flask.Request(environ), max_bytes=MAX)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("", "empty"),
        ("{", "not valid JSON"),
        ('{"a": 1,}', "not valid JSON"),
        ("[1, 2]", "not an array"),
        ('"text"', "not a string"),
        ("null", "not null"),
        ('{"a": 1, "a": 2}', "appears twice"),
        ('{"a": NaN}', "NaN"),
        ('{"c": 1}', "unknown field 'c'"),
    ],
)
def test_read_json_400(echo: flask.testing.FlaskClient, data: str, fragment: str) -> None:
    r = echo.post("/", data=data, content_type="application/json")
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_request"
    assert fragment in error_of(r)["message"]


def test_read_json_400_for_bytes_that_are_not_utf8(echo: flask.testing.FlaskClient) -> None:
    r = echo.post("/", data=b'{"a": "\xff"}', content_type="application/json")
    assert r.status_code == 400 and "UTF-8" in error_of(r)["message"]


def test_read_json_never_500_on_hostile_input() -> None:
    @endpoint
    def view(request: flask.Request) -> dict[str, Any]:
        return http.read_json(request, max_bytes=1_000_000)

    client = serve(view)
    for data in ["[" * 100_000, '{"a": ' + "9" * 5000 + "}", '{"a": Infinity}', "\ufeff{}", "{}" * 3]:
        r = client.post("/", data=data, content_type="application/json")
        assert r.status_code == 400, data[:20]
        assert "set_int_max_str_digits" not in error_of(r)["message"]


# --- field readers ---------------------------------------------------------------------------


class Auth(enum.Enum):
    OAUTH1 = "oauth1"
    OAUTH2 = "oauth2"


def invalid(call: Callable[[], Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        call()
    return caught.value


def test_field_readers() -> None:
    body = {"host_url": "  https://sis.example  ", "on": True, "auth": "oauth2", "none": None}
    assert http.require_str(body, "host_url", max_len=50) == "https://sis.example"
    assert http.optional_str(body, "missing", max_len=5) is None
    assert http.optional_str(body, "none", max_len=5) is None
    assert http.require_bool(body, "on") is True
    assert http.optional_bool(body, "missing") is None
    assert http.optional_enum(body, "auth", Auth) is Auth.OAUTH2
    assert http.optional_enum(body, "missing", Auth, default=Auth.OAUTH1) is Auth.OAUTH1
    assert http.require_enum(body, "auth", Auth) is Auth.OAUTH2


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: http.require_str({}, "host_url", max_len=5), "'host_url' is required"),
        (lambda: http.require_str({"host_url": 3}, "host_url", max_len=5), "'host_url' must be a string"),
        (lambda: http.require_str({"host_url": "   "}, "host_url", max_len=5), "non-empty"),
        (lambda: http.require_str({"host_url": "toolong"}, "host_url", max_len=5), "at most 5"),
        (lambda: http.require_str({"host_url": "a\x00b"}, "host_url", max_len=5), "control"),
        (lambda: http.require_bool({"on": "true"}, "on"), "'on' must be true or false"),
        (lambda: http.require_bool({}, "on"), "'on' is required"),
        (lambda: http.optional_enum({"auth": "saml"}, "auth", Auth), "'oauth1', 'oauth2'"),
        (lambda: http.optional_enum({"auth": 1}, "auth", Auth), "'auth' must be one of"),
        (lambda: http.require_enum({}, "auth", Auth), "'auth' is required"),
        (lambda: http.reject_unknown_fields({"a": 1, "zz": 2, "yy": 3}, allowed={"a"}), "unknown field 'yy'"),
    ],
)
def test_field_reader_errors_name_the_field(call: Callable[[], Any], fragment: str) -> None:
    err = invalid(call)
    assert fragment in err.message
    assert err.details["field"] in err.message


# --- bearer tokens ---------------------------------------------------------------------------


def test_bearer_token() -> None:
    assert (
        http.bearer_token(make_request(headers={"Authorization": "Bearer abc.def-_~+/="})) == "abc.def-_~+/="
    )
    assert http.bearer_token(make_request(headers={"Authorization": "bearer x"})) == "x"
    for header in [None, "", "Basic dXNlcjpwdw==", "Bearer", "Bearer a b", "Bearer ", "Token abc"]:
        headers = {"Authorization": header} if header is not None else {}
        with pytest.raises(Unauthenticated) as caught:
            http.bearer_token(make_request(headers=headers))
        assert "dXNlcjpwdw" not in caught.value.message


def test_authenticate_verifies_and_binds_the_tenant(tmp_path: Path) -> None:
    settings = Settings.from_env({"SISBRIDGE_KEY_DIR": str(tmp_path / "keys")})
    token = LocalKeys(settings.key_dir).mint_token("ada@school.edu")
    verifier = verifier_from_settings(settings)

    @endpoint
    def view(request: flask.Request) -> dict[str, Any]:
        caller = http.authenticate(request, verifier)
        return {"email": caller.email, "log_tenant": logs.current_keys().get("tenant")}

    client = serve(view)
    r = client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert r.get_json() == {"email": "ada@school.edu", "log_tenant": "school.edu"}
    r = client.get("/", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401 and error_of(r)["code"] == "unauthenticated"


# --- router ----------------------------------------------------------------------------------


@pytest.fixture
def router_client() -> Iterator[flask.testing.FlaskClient]:
    router = Router("connect")

    @router.route("GET", "/connect/partners")  # registered with the mount: stored relative to it
    def list_partners(request: flask.Request) -> dict[str, Any]:
        return {"view": "list"}

    @router.route("GET", "/partners/{partner_id}")
    def get_partner(request: flask.Request, partner_id: str) -> dict[str, Any]:
        return {"view": "get", "id": partner_id}

    @router.route("GET", "/partners/search")
    def search(request: flask.Request) -> dict[str, Any]:
        return {"view": "search"}

    @router.route("DELETE", "/partners/{partner_id}")
    def delete_partner(request: flask.Request, partner_id: str) -> None:
        return None

    @router.route("POST", "/")
    def connect_root(request: flask.Request) -> tuple[dict[str, Any], int]:
        return {"view": "root"}, 201

    @endpoint
    def connect(request: flask.Request) -> Any:
        return router.dispatch(request)

    yield serve(connect)


@pytest.mark.parametrize("prefix", ["", "/connect"])  # deployed, and the local stack's mount
def test_router_serves_the_same_routes_deployed_and_locally(
    router_client: flask.testing.FlaskClient, prefix: str
) -> None:
    assert router_client.get(f"{prefix}/partners").get_json() == {"view": "list"}
    assert router_client.get(f"{prefix}/partners/").get_json() == {"view": "list"}
    assert router_client.get(f"{prefix}/partners/p-9").get_json() == {"view": "get", "id": "p-9"}
    assert router_client.get(f"{prefix}/partners/search").get_json() == {"view": "search"}  # literal wins
    assert router_client.delete(f"{prefix}/partners/p-9").status_code == 204
    assert router_client.post(prefix or "/").status_code == 201
    assert router_client.head(f"{prefix}/partners").status_code == 200


def test_router_404_for_unknown_paths(router_client: flask.testing.FlaskClient) -> None:
    for path in ["/nope", "/connect/partners/a/b", "/connections/partners"]:
        r = router_client.get(path)
        assert r.status_code == 404 and error_of(r)["code"] == "not_found", path


def test_router_405_lists_the_allowed_methods(router_client: flask.testing.FlaskClient) -> None:
    r = router_client.put("/connect/partners/p-9")
    assert r.status_code == 405 and error_of(r)["code"] == "method_not_allowed"
    assert r.headers["Allow"] == "DELETE, GET, HEAD"


def test_router_refuses_ambiguous_or_bad_registrations() -> None:
    router = Router("export")
    router.route("GET", "/runs/{run_id}")(lambda request, run_id: None)
    with pytest.raises(ValueError):
        router.route("GET", "/runs/{other}")(lambda request, other: None)
    with pytest.raises(ValueError):
        router.route("GET", "/runs/{bad")
    with pytest.raises(ValueError):
        Router("not/a/name")
