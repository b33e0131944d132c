"""Servers that are not (quite) OneRoster: an HTML web app on loopback, and fakes for edge cases."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx2
import pytest
from sisbridge.errors import (
    SisAuthRejected,
    SisForbidden,
    SisInvalidData,
    SisNotFound,
    SisProtocolError,
    SisRateLimited,
    SisTimeout,
    SisUnavailable,
)
from sisbridge.oneroster import NO_RETRY, Category, DeleteOutcome, OneRosterClient, WriteOutcome
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion

pytestmark = pytest.mark.anyio
HTML = (b"<!doctype html><html><head><title>District Portal - Sign in</title></head>"
        b"<body>Welcome</body></html>")


def html_site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A district web portal: HTML for every path, 404 pages for DELETEs."""
    status = "404 Not Found" if environ["REQUEST_METHOD"] == "DELETE" else "200 OK"
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(HTML)))])
    return [HTML]


@pytest.fixture(scope="module")
def html_server() -> Iterator[str]:
    from sisbridge.sandbox import runner

    server = runner.start(html_site)
    yield server.url
    server.stop()


@pytest.mark.parametrize("auth", [AuthMethod.OAUTH1, AuthMethod.OAUTH2])
async def test_an_html_site_is_a_protocol_error(html_server: str, auth: AuthMethod) -> None:
    profile = PROFILES["oneroster_1p1"]
    endpoints = profile.endpoints(html_server, version=OneRosterVersion.V1P1, auth=auth)
    async with OneRosterClient(endpoints, profile, access_key="k", secret_code="s3cret", auth=auth) as sis:
        with pytest.raises(SisProtocolError) as exc:
            _ = [t async for t in sis.teachers_by_email("a@b.c")]
        if auth is AuthMethod.OAUTH1:
            with pytest.raises(SisNotFound):  # an HTML 404 means a wrong path, not "already deleted"
                await sis.delete_line_item("gc-li-1")
    err = exc.value
    assert err.http_status == 200
    if auth is AuthMethod.OAUTH2:
        assert "token endpoint" in err.message and "JSON" in err.message
    else:
        assert "text/html" in err.message and err.sis_description == "District Portal - Sign in"
    assert err.url and err.url.startswith(html_server)


# ---- fakes for the rest (httpx2.MockTransport) ----------------------------------------------------

Handler = Callable[[httpx2.Request], httpx2.Response]
PROFILE_12 = PROFILES["oneroster_1p2"]


def fake_client(handler: Handler, profile: Any = PROFILE_12,
                version: OneRosterVersion = OneRosterVersion.V1P2, **kwargs: Any) -> OneRosterClient:
    endpoints = profile.endpoints("https://sis.example", version=version, auth=AuthMethod.OAUTH2)
    kwargs.setdefault("retry", NO_RETRY)
    return OneRosterClient(endpoints, profile, access_key="key", secret_code="secret-code",
                           transport=httpx2.MockTransport(handler), **kwargs)


def with_token(api: Handler, tokens: list[str] | None = None) -> Handler:
    issued = tokens if tokens is not None else []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/token"):
            issued.append(f"tok-{len(issued) + 1}")
            return httpx2.Response(200, json={"access_token": issued[-1], "token_type": "Bearer",
                                              "expires_in": "3600"})
        return api(request)

    return handler


async def test_second_401_is_auth_rejected_after_one_refetch() -> None:
    tokens: list[str] = []
    async with fake_client(with_token(lambda r: httpx2.Response(401, json={"imsx_description": "nope"}),
                                      tokens)) as sis:
        with pytest.raises(SisAuthRejected) as exc:
            await sis.get_class("c1")
        assert sis.stats.token_fetches == 2 and sis.stats.by_status[401] == 2
    assert tokens == ["tok-1", "tok-2"]
    assert "tok-2" not in str(exc.value.to_dict())


@pytest.mark.parametrize(("status", "body", "outcome"), [
    (201, None, WriteOutcome.CREATED),  # 1.2: empty body
    (201, {"category": {"sourcedId": "other"}}, WriteOutcome.CREATED),  # echo ignored
    (200, b"not json at all", WriteOutcome.UPDATED),
    (204, None, WriteOutcome.UPDATED),
])
async def test_put_outcome_comes_from_the_status(status: int, body: Any, outcome: WriteOutcome) -> None:
    def api(request: httpx2.Request) -> httpx2.Response:
        assert json.loads(request.content) == {"category": {"sourcedId": "gc-c1", "title": "T"}}
        if isinstance(body, bytes):
            return httpx2.Response(status, content=body)
        return httpx2.Response(status, json=body) if body is not None else httpx2.Response(status)

    async with fake_client(with_token(api)) as sis:
        assert await sis.put_category(Category(sourced_id="gc-c1", title="T")) is outcome


async def test_1p1_class_category_route_falls_back_to_all_categories() -> None:
    seen: list[str] = []

    def api(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/classes/c1/categories"):
            return httpx2.Response(404, json={"imsx_codeMajor": "failure", "imsx_codeMinor": "unknownobject"})
        return httpx2.Response(200, json={"categories": [
            {"sourcedId": "k1", "title": "Mine", "metadata": {"classId": "c1"}},
            {"sourcedId": "k2", "title": "District-wide"},
            {"sourcedId": "k3", "title": "Theirs", "metadata": {"classId": "c2"}},
        ]})

    profile = PROFILES["infinite_campus"]  # CLASS_ROUTE, and 1.1 among its versions
    async with fake_client(with_token(api), profile, OneRosterVersion.V1P1) as sis:
        titles = [c.title async for c in sis.categories_for_class("c1")]
    assert titles == ["Mine", "District-wide"]
    base = "/campus/api/ims/oneroster/v1p1"
    assert seen == [f"{base}/classes/c1/categories", f"{base}/categories"]


async def test_1p2_class_category_route_404_is_not_hidden() -> None:
    async with fake_client(with_token(lambda r: httpx2.Response(404, json={}))) as sis:
        with pytest.raises(SisNotFound):
            _ = [c async for c in sis.categories_for_class("c1")]


@pytest.mark.parametrize(("response", "field"), [
    (httpx2.Response(200, json={"data": []}), "users"),
    (httpx2.Response(200, json={"users": [{"email": "no-id@x"}]}), "user.sourcedId"),
    (httpx2.Response(200, json=["users"]), "users"),
    (httpx2.Response(200, content=b""), None),
])
async def test_mis_shaped_answers_are_protocol_errors(response: httpx2.Response, field: str | None) -> None:
    async with fake_client(with_token(lambda r: response)) as sis:
        with pytest.raises(SisProtocolError) as exc:
            _ = [u async for u in sis.students_for_class("c1")]
    assert exc.value.details.get("field") == field
    base = "https://sis.example/ims/oneroster/rostering/v1p2"
    assert exc.value.url == f"{base}/classes/c1/students" + ("" if field == "user.sourcedId" else
                                                               "?limit=100&offset=0")


async def test_a_provider_that_ignores_offset_is_stopped() -> None:
    page = {"users": [{"sourcedId": f"u{i}"} for i in range(3)]}
    async with fake_client(with_token(lambda r: httpx2.Response(200, json=page)), page_size=3) as sis:
        seen: list[str] = []
        with pytest.raises(SisProtocolError, match="repeated a page"):
            async for user in sis.students_for_class("c1"):
                seen.append(user.sourced_id)
    assert seen == ["u0", "u1", "u2"]


async def test_redirects_are_not_followed() -> None:
    def api(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(302, headers={"Location": "https://login.example/sso?session=abc"})

    async with fake_client(with_token(api)) as sis:
        with pytest.raises(SisProtocolError, match=r"redirected GET /classes/c1 to https://login\.example/sso\?session=REDACTED"):
            await sis.get_class("c1")


async def test_delete_on_a_vendor_without_delete_sends_nothing() -> None:
    calls: list[httpx2.Request] = []
    aeries = PROFILES["aeries"]

    def api(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        return httpx2.Response(204)

    async with fake_client(with_token(api), aeries, OneRosterVersion.V1P1) as sis:
        with pytest.raises(Exception, match="does not support deleting"):
            await sis.delete_result("r1")
        assert calls == [] and sis.stats.requests == 0
    async with fake_client(with_token(api)) as sis:
        assert await sis.delete_result("r1") is DeleteOutcome.DELETED


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_a_2xx_carrying_an_imsx_failure_is_a_refusal(method: str) -> None:
    refusal = {"imsx_codeMajor": "failure", "imsx_severity": "error",
               "imsx_description": "Grading window closed", "imsx_CodeMinor": "invaliddata"}
    async with fake_client(with_token(lambda r: httpx2.Response(200, json=refusal))) as sis:
        with pytest.raises(SisInvalidData) as exc:
            if method == "PUT":
                await sis.put_category(Category(sourced_id="gc-c1", title="T"))
            else:
                await sis.delete_result("r1")
    assert exc.value.sis_description == "Grading window closed" and exc.value.code_minor == "invaliddata"


async def test_a_2xx_delete_saying_unknown_object_is_already_absent() -> None:
    body = {"imsx_StatusInfo": {"imsx_codeMajor": "failure", "imsx_CodeMinor": {"imsx_codeMinorField": [
        {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "unknownobject"}]}}}
    async with fake_client(with_token(lambda r: httpx2.Response(200, json=body))) as sis:
        assert await sis.delete_result("r1") is DeleteOutcome.ALREADY_ABSENT
    success = {"imsx_codeMajor": "success", "imsx_description": "Deleted"}
    async with fake_client(with_token(lambda r: httpx2.Response(200, json=success))) as sis:
        assert await sis.delete_result("r1") is DeleteOutcome.DELETED


def token_endpoint(reply: Callable[[httpx2.Request], httpx2.Response]) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/token"):
            return reply(request)
        return httpx2.Response(200, json={"class": {"sourcedId": "c1"}})

    return handler


def timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("read timed out", request=request)


@pytest.mark.parametrize(("reply", "error", "words"), [
    (lambda r: httpx2.Response(401, json={"error": "invalid_client", "error_description": "Unknown client"}),
     SisAuthRejected, "refused the access key or secret"),
    (lambda r: httpx2.Response(400, json={"error": "invalid_client"}), SisAuthRejected, "HTTP 400"),
    (lambda r: httpx2.Response(400, json={"error": "invalid_scope", "error_description": "no gradebook"}),
     SisForbidden, "refused the scopes"),
    (lambda r: httpx2.Response(404, text="Not Found"), SisNotFound, "URL https://sis.example/token does"),
    (lambda r: httpx2.Response(503, text="<html>down</html>"), SisUnavailable, "HTTP 503"),
    (lambda r: httpx2.Response(429, headers={"Retry-After": "5"}), SisRateLimited, "HTTP 429"),
    (lambda r: httpx2.Response(200, text="<html>login</html>"), SisProtocolError, "not answer JSON"),
    (lambda r: httpx2.Response(200, json={"token_type": "x"}), SisProtocolError, "without an access_token"),
    (lambda r: httpx2.Response(200, json={"error": "access_denied"}), SisAuthRejected, "access_denied"),
    (timeout, SisTimeout, "did not answer the token request"),
])
async def test_token_endpoint_failures(reply: Handler, error: type[Exception], words: str) -> None:
    """Each is final for this call (NO_RETRY); the retryable ones are retried like any request."""
    async with fake_client(token_endpoint(reply)) as sis:
        with pytest.raises(error) as exc:
            await sis.get_class("c1")
        assert sis.stats.token_fetches == 1
    assert words in str(exc.value)
    assert "secret-code" not in str(exc.value.to_dict())  # type: ignore[attr-defined]


async def test_token_with_odd_expiry_and_type_is_usable() -> None:
    reply = httpx2.Response(200, json={"access_token": "abc", "token_type": "JWT", "expires_in": "3600.0"})
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/token"):
            assert request.headers["Authorization"].startswith("Basic ")
            assert b"grant_type=client_credentials" in request.content and b"scope=https" in request.content
            return reply
        seen.append(request.headers["Authorization"])
        return httpx2.Response(200, json={"class": {"sourcedId": "c1"}})

    async with fake_client(handler) as sis:
        await sis.get_class("c1")
        await sis.get_class("c1")
        assert sis.stats.token_fetches == 1
    assert seen == ["Bearer abc", "Bearer abc"]
