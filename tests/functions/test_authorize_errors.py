"""What Authorize answers when the SIS refuses, is missing, is not OneRoster or does not answer:
a stable code and status, and a hint that says what to do, also kept on the connection."""

from __future__ import annotations

import datetime
import ipaddress
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sisbridge.oneroster import NO_RETRY
from sisbridge.sandbox import seed
from sisbridge.sandbox.sis import ROSTER_ONLY_KEY, ROSTER_ONLY_SECRET, SandboxConfig, create_app
from sisbridge.vendors import PROFILES
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .conftest import (
    ADMIN,
    FLAVOURS,
    Console,
    FakeDns,
    Flavour,
    Stack,
    StackFactory,
    connect_body,
    error_of,
    flavours,
    serving,
)

OAUTH2 = Flavour("oneroster_1p2", "oauth2")  # a token request first, then roster and gradebook reads
OAUTH1 = Flavour("oneroster_1p1", "oauth1")  # signed roster and gradebook reads only
BOTH_AUTHS = {"argvalues": [OAUTH2, OAUTH1], "ids": [OAUTH2.id, OAUTH1.id]}

# What a OneRoster URL ends with, per vendor, in the version sisbridge uses for it.
ONEROSTER_ENDING = {
    "infinite_campus": "/ims/oneroster",  # 1.2: …/rostering/v1p2 and …/gradebook/v1p2 below it
    "skyward": "/ims/oneroster/v1p1",
    "aspen": "/ims/oneroster/v1p1",
    "aeries": "/ims/oneroster/v1p1",
    "capita_sims": "/ims/oneroster/v1p1",
    "oneroster_1p1": "/ims/oneroster/v1p1",
    "oneroster_1p2": "/ims/oneroster",
}


def authorize_fails(admin: Console, status: int, code: str) -> dict[str, Any]:
    """Authorize, expect the error, and check the connection kept it as its last error."""
    response = admin.authorize()
    assert response.status_code == status, response.get_json()
    error = error_of(response)
    assert error["code"] == code, error
    assert error["hint"], error
    view = admin.view()
    assert view["status"] == "error"
    last = view["last_error"]
    assert (last["code"], last["message"], last["hint"]) == (error["code"], error["message"], error["hint"])
    assert last["at"]
    failed = [c for c in view["checks"] if not c["ok"]]
    assert len(failed) == 1 and failed == view["checks"][-1:], view["checks"]
    return error


def connected(stack: Stack, body: dict[str, Any]) -> Console:
    admin = stack.console(ADMIN)
    response = admin.connect(body)
    assert response.status_code == 201, response.get_json()
    return admin


# --------------------------------------------------------------------------- the SIS says no


@pytest.mark.parametrize("flavour", **flavours(FLAVOURS))
def test_a_wrong_secret_is_rejected_by_the_sis(stack: Stack, sis_server: str, flavour: Flavour) -> None:
    admin = connected(stack, connect_body(sis_server, flavour, secret_code="not-the-secret-code"))
    error = authorize_fails(admin, 422, "sis_auth_rejected")
    assert "access key and secret code" in error["hint"]
    failed_check = admin.view()["checks"][-1]["name"]
    assert failed_check == ("token" if flavour.oauth2 else "roster")
    assert stack.audit_actions() == ["connection.connected", "connection.authorize_failed"]


@pytest.mark.parametrize("flavour", **flavours(FLAVOURS))
def test_a_key_without_the_gradebook_licence_is_forbidden(stack: Stack, sis_server: str,
                                                          flavour: Flavour) -> None:
    admin = connected(stack, connect_body(sis_server, flavour, access_key=ROSTER_ONLY_KEY,
                                          secret_code=ROSTER_ONLY_SECRET))
    error = authorize_fails(admin, 422, "sis_forbidden")
    assert "gradebook" in error["hint"]
    licence = PROFILES[flavour.sis].licence
    if licence:
        assert licence in error["hint"]
    checks = {c["name"]: c["ok"] for c in admin.view()["checks"]}
    assert checks["roster"] is True and checks["gradebook"] is False  # the key itself works


def test_infinite_campus_names_the_campus_learning_licence(stack: Stack, sis_server: str) -> None:
    admin = connected(stack, connect_body(sis_server, Flavour("infinite_campus", "oauth2"),
                                          access_key=ROSTER_ONLY_KEY, secret_code=ROSTER_ONLY_SECRET))
    assert "Campus Learning licence" in authorize_fails(admin, 422, "sis_forbidden")["hint"]


@pytest.mark.parametrize("flavour", **flavours(FLAVOURS))
def test_a_host_url_with_a_wrong_path_says_what_the_url_should_end_with(stack: Stack, sis_server: str,
                                                                        flavour: Flavour) -> None:
    admin = connected(stack, connect_body(sis_server, flavour, host_suffix="/portal"))
    error = authorize_fails(admin, 422, "sis_not_found")
    assert f"ending in {ONEROSTER_ENDING[flavour.sis]}." in error["hint"], error["hint"]
    assert PROFILES[flavour.sis].host_url_example in error["hint"]


def test_a_token_url_the_admin_gave_that_does_not_exist_is_named(stack: Stack, sis_server: str) -> None:
    body = connect_body(sis_server, Flavour("capita_sims", "oauth2"))
    admin = connected(stack, body | {"token_url": f"{sis_server}/capita_sims/connect/tokens"})
    error = authorize_fails(admin, 422, "sis_not_found")
    assert f"{sis_server}/capita_sims/connect/tokens" in error["hint"]
    assert "token URL your SIS documents" in error["hint"]
    assert admin.view()["checks"][-1]["name"] == "token"


def test_a_full_oneroster_url_is_accepted_as_the_host_url(stack: Stack, sis_server: str) -> None:
    body = connect_body(sis_server, Flavour("skyward", "oauth1"), host_suffix="/ims/oneroster/v1p1/")
    admin = connected(stack, body)
    assert admin.view()["rostering_url"] == f"{sis_server}/skyward/ims/oneroster/v1p1"
    assert admin.authorize().status_code == 200


# ------------------------------------------------------------------------ the SIS is not there


def test_a_host_name_that_does_not_resolve_fails_the_dns_check(make_stack: StackFactory) -> None:
    stack = make_stack(resolver=FakeDns())  # knows no names: every lookup fails like NXDOMAIN
    admin = connected(stack, {"sis": "oneroster_1p2", "host_url": "https://oneroster.district.example",
                              "access_key": seed.ACCESS_KEY, "secret_code": seed.SECRET_CODE})
    error = authorize_fails(admin, 422, "sis_dns_failed")
    assert "oneroster.district.example" in error["message"]
    assert "typos" in error["hint"]
    assert [c["name"] for c in admin.view()["checks"]] == ["address"]


def test_a_reserved_unresolvable_name_fails_the_dns_check_with_real_dns(stack: Stack) -> None:
    admin = connected(stack, {"sis": "aspen", "host_url": "https://sis.invalid",
                              "access_key": seed.ACCESS_KEY, "secret_code": seed.SECRET_CODE})
    error = authorize_fails(admin, 422, "sis_dns_failed")
    assert "sis.invalid" in error["message"]


@pytest.fixture(scope="module")
def self_signed_sis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An https server on loopback whose certificate no one signed."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    app = Response('{"access_token": "t", "token_type": "bearer"}', content_type="application/json")
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=(str(cert_path), str(key_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("flavour", **BOTH_AUTHS)
def test_an_untrusted_certificate_fails_the_tls_check(stack: Stack, self_signed_sis: str,
                                                      flavour: Flavour) -> None:
    admin = connected(stack, connect_body(self_signed_sis, flavour))
    error = authorize_fails(admin, 502, "sis_tls_failed")
    assert "certificate" in error["hint"]
    assert "never turns verification off" in error["hint"]


@pytest.fixture(scope="module")
def slow_sis() -> Iterator[str]:
    """A sandbox of our own that takes 0.6 s over every OneRoster request (not the token)."""
    with serving(create_app(SandboxConfig(latency_ms=600))) as url:
        yield url


@pytest.mark.parametrize("flavour", **BOTH_AUTHS)
def test_an_sis_slower_than_the_client_timeout_times_out(make_stack: StackFactory, slow_sis: str,
                                                         flavour: Flavour) -> None:
    stack = make_stack(sis_timeout_s=0.2, sis_retry=NO_RETRY)
    admin = connected(stack, connect_body(slow_sis, flavour))
    error = authorize_fails(admin, 504, "sis_timeout")
    assert "0.2 s" in error["message"]
    assert admin.view()["checks"][-1]["name"] == "roster"


# ------------------------------------------------------------------ the SIS is not OneRoster


class StandIn:
    """A server at the host URL that answers `body` (with `content_type`) to every request,
    except that it hands out a bearer token at any path ending in /token."""

    def __init__(self, body: str, content_type: str) -> None:
        self.body = body
        self.content_type = content_type

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path.endswith("/token"):
            token = {"access_token": "stand-in-token", "token_type": "bearer", "expires_in": 3600}
            response = Response(json.dumps(token), content_type="application/json")
        else:
            response = Response(self.body, content_type=self.content_type)
        return response(environ, start_response)


LOGIN_PAGE = ("<!doctype html><html><head><title>District portal: sign in</title></head>"
              "<body>Sign in</body></html>")


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[dict[str, str]]:
    apps = {
        "html": StandIn(LOGIN_PAGE, "text/html; charset=utf-8"),
        "malformed": StandIn('{"users": [{"sourcedId": "t-1", "status": "active"', "application/json"),
        "wrong-shape": StandIn('{"message": "ok", "data": []}', "application/json"),
    }
    with serving(apps["html"]) as html, serving(apps["malformed"]) as malformed, \
            serving(apps["wrong-shape"]) as wrong_shape:
        yield {"html": html, "malformed": malformed, "wrong-shape": wrong_shape}


@pytest.mark.parametrize("flavour", **BOTH_AUTHS)
def test_a_web_page_instead_of_oneroster_is_a_bad_response(stack: Stack, stand_ins: dict[str, str],
                                                           flavour: Flavour) -> None:
    admin = connected(stack, connect_body(stand_ins["html"], flavour))
    error = authorize_fails(admin, 502, "sis_bad_response")
    assert "JSON" in error["message"]
    assert "host URL" in error["hint"]


def test_a_web_page_at_the_token_url_is_a_bad_response_too(stack: Stack, stand_ins: dict[str, str],
                                                           sis_server: str) -> None:
    body = connect_body(sis_server, OAUTH2) | {"token_url": f"{stand_ins['html']}/login"}
    admin = connected(stack, body)
    error = authorize_fails(admin, 502, "sis_bad_response")
    assert "token" in error["message"]
    assert admin.view()["checks"][-1]["name"] == "token"


@pytest.mark.parametrize("kind", ["malformed", "wrong-shape"])
@pytest.mark.parametrize("flavour", **BOTH_AUTHS)
def test_json_that_is_not_a_oneroster_answer_is_a_bad_response(stack: Stack, stand_ins: dict[str, str],
                                                                flavour: Flavour, kind: str) -> None:
    admin = connected(stack, connect_body(stand_ins[kind], flavour))
    authorize_fails(admin, 502, "sis_bad_response")
    assert admin.view()["checks"][-1]["name"] == "roster"


def test_a_failed_authorize_can_be_fixed_by_connecting_again(stack: Stack, sis_server: str) -> None:
    admin = connected(stack, connect_body(sis_server, OAUTH2, secret_code="wrong-secret-code"))
    authorize_fails(admin, 422, "sis_auth_rejected")
    assert admin.connect(connect_body(sis_server, OAUTH2)).status_code == 201
    assert admin.authorize().status_code == 200
    view = admin.view()
    assert view["status"] == "authorized" and view["last_error"] is None
