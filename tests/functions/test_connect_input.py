"""What POST /connect (and PUT /connect/permissions) refuse before anything is stored: malformed
bodies, unknown vendors, bad URLs and hosts that point inside the network (SSRF). Never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import TestResponse

from .conftest import ADMIN, PUBLIC_IP, FakeDns, Stack, StackFactory, error_of

VALID = {
    "sis": "oneroster_1p2",
    "host_url": "https://sis.district.example",
    "access_key": "district-key-0001",
    "secret_code": "district-secret-0001",
}
DNS = {
    "sis.district.example": [PUBLIC_IP],
    "auth.district.example": [PUBLIC_IP],
    "district.skyward.com": [PUBLIC_IP],
    "localhost": ["127.0.0.1", "::1"],
    "intranet.district.example": ["10.20.30.40"],
    "printer.district.example": ["192.168.1.20"],
    "vpc.district.example": ["172.16.5.4"],
    "split.district.example": [PUBLIC_IP, "10.0.0.7"],  # one bad address is enough to refuse
    "rebound.district.example": ["169.254.169.254"],
    "v6-link-local.district.example": ["fe80::1ff:fe23:4567:890a"],
}


@pytest.fixture
def stack(make_stack: StackFactory) -> Stack:
    """As deployed: https only, public hosts only."""
    return make_stack(allow_insecure_sis=False, resolver=FakeDns(DNS))


@pytest.fixture
def insecure_stack(make_stack: StackFactory) -> Stack:
    """The local stack's setting: http and loopback allowed, nothing else relaxed."""
    return make_stack(allow_insecure_sis=True, resolver=FakeDns(DNS))


def refused(stack: Stack, response: TestResponse, status: int, code: str,
            field: str | None = None) -> dict[str, Any]:
    """The request was refused with `status`/`code` (naming `field`) and nothing was stored."""
    assert response.status_code == status, response.get_json()
    error = error_of(response)
    assert error["code"] == code, error
    if field is not None:
        assert error["details"]["field"] == field, error
    admin = stack.console(ADMIN)
    assert admin.view()["status"] == "none"
    assert not stack.has_credentials()
    assert stack.audit_actions() == []
    return error


def test_a_valid_request_is_accepted(stack: Stack) -> None:
    response = stack.console(ADMIN).connect(VALID)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["host_url"] == "https://sis.district.example"


# ---------------------------------------------------------------------------- body and fields


def test_an_unknown_sis_is_refused_naming_the_field_and_the_choices(stack: Stack) -> None:
    response = stack.console(ADMIN).connect(VALID | {"sis": "powerschool"})
    error = refused(stack, response, 400, "invalid_request", field="sis")
    assert "powerschool" in error["message"]
    assert "infinite_campus" in error["hint"] and "oneroster_1p2" in error["hint"]


@pytest.mark.parametrize("name", ["sis", "host_url", "access_key", "secret_code"])
def test_a_missing_field_is_refused_by_name(stack: Stack, name: str) -> None:
    body = {k: v for k, v in VALID.items() if k != name}
    error = refused(stack, stack.console(ADMIN).connect(body), 400, "invalid_request", field=name)
    assert name in error["message"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sis", 7),
        ("sis", None),
        ("host_url", ["https://sis.district.example"]),
        ("host_url", ""),
        ("access_key", True),
        ("access_key", "   "),
        ("secret_code", 123456),
        ("secret_code", {"value": "x"}),
        ("token_url", 5),
        ("auth_method", "saml"),
        ("auth_method", 1),
        ("access_key", "key\x00with-a-nul"),
        ("secret_code", "s" * 5000),
    ],
)
def test_a_field_of_the_wrong_type_or_shape_is_refused_by_name(stack: Stack, name: str, value: Any) -> None:
    error = refused(stack, stack.console(ADMIN).connect(VALID | {name: value}), 400, "invalid_request",
                    field=name)
    assert name in error["message"]


def test_an_unknown_field_is_refused_listing_the_known_ones(stack: Stack) -> None:
    response = stack.console(ADMIN).connect(VALID | {"password": "hunter2"})
    error = refused(stack, response, 400, "invalid_request", field="password")
    assert "secret_code" in error["hint"]


def test_a_body_over_the_limit_is_too_large(stack: Stack) -> None:
    limit = stack.deps.settings.max_body_bytes
    response = stack.console(ADMIN).connect(VALID | {"secret_code": "s" * (limit + 1)})
    refused(stack, response, 413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_unsupported(stack: Stack, content_type: str | None) -> None:
    response = stack.console(ADMIN).call("connect", "POST", "/", data=json.dumps(VALID),
                                         content_type=content_type)
    refused(stack, response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "raw",
    [
        '{"sis": "oneroster_1p2", ',  # cut short
        "sis=oneroster_1p2",
        "",
        '["oneroster_1p2"]',
        '{"sis": "oneroster_1p2", "sis": "aspen"}',
        '{"sis": NaN}',
    ],
    ids=["truncated", "form-data", "empty", "array", "duplicate-key", "nan"],
)
def test_a_body_that_is_not_one_json_object_is_invalid(stack: Stack, raw: str) -> None:
    response = stack.console(ADMIN).call("connect", "POST", "/", data=raw, content_type="application/json")
    refused(stack, response, 400, "invalid_request")


@pytest.mark.parametrize("body", [
    {},
    {"teacher_export_enabled": "yes"},
    {"teacher_export_enabled": None},
    {"teacher_export_enabled": 1},
    {"teacher_export_enabled": True, "all": True},
])
def test_permissions_take_exactly_one_boolean(stack: Stack, body: dict[str, Any]) -> None:
    admin = stack.console(ADMIN)
    assert admin.connect(VALID).status_code == 201
    response = admin.call("connect", "PUT", "/permissions", json_body=body)
    assert response.status_code == 400, response.get_json()
    assert error_of(response)["code"] == "invalid_request"
    assert admin.view()["teacher_export_enabled"] is True
    assert stack.audit_actions() == ["connection.connected"]


# ---------------------------------------------------------------------------------- host URLs


@pytest.mark.parametrize(
    "host_url",
    [
        "not a url",
        "https://",
        "https://sis.district .example",
        "https://sis..district.example",
        "https://-sis-.district.example",
        "https://sis.district.example:99999",
        "http://[::1",
        "ftp://sis.district.example",
        "javascript:alert(1)",
        "https://admin:pw@sis.district.example",
        "https://sis.district.example/oneroster?key=1",
        "https://sis.district.example/#/login",
        "https://sis.district.example/" + "a" * 2100,
    ],
)
def test_a_host_url_that_is_not_an_https_url_of_a_host_is_refused(stack: Stack, host_url: str) -> None:
    refused(stack, stack.console(ADMIN).connect(VALID | {"host_url": host_url}), 400, "invalid_request",
            field="host_url")


def test_plain_http_is_refused_unless_insecure_hosts_are_allowed(stack: Stack) -> None:
    response = stack.console(ADMIN).connect(VALID | {"host_url": "http://sis.district.example"})
    error = refused(stack, response, 400, "invalid_request", field="host_url")
    assert "https" in error["message"]


def test_plain_http_is_accepted_when_insecure_hosts_are_allowed(insecure_stack: Stack) -> None:
    response = insecure_stack.console(ADMIN).connect(VALID | {"host_url": "http://sis.district.example"})
    assert response.status_code == 201, response.get_json()


INTERNAL_HOSTS = [
    "https://intranet.district.example",  # 10.0.0.0/8
    "https://printer.district.example",  # 192.168.0.0/16
    "https://vpc.district.example",  # 172.16.0.0/12
    "https://split.district.example",
    "https://10.1.2.3",
    "https://127.0.0.1",
    "https://localhost",
    "https://[::1]",
    "https://0.0.0.0",
    "https://[::ffff:10.0.0.1]",
    "https://169.254.169.254",
    "https://169.254.169.254/computeMetadata/v1",
    "https://rebound.district.example",
    "https://metadata.google.internal",
    "https://metadata",
    "https://[fe80::1]",
    "https://v6-link-local.district.example",
]
ALWAYS_BLOCKED = [
    "http://169.254.169.254",
    "http://metadata.google.internal/computeMetadata/v1",
    "http://metadata",
    "http://rebound.district.example",
    "http://[fe80::1]:8080",
    "http://v6-link-local.district.example",
    "http://intranet.district.example",
]


@pytest.mark.parametrize("host_url", INTERNAL_HOSTS)
def test_a_host_inside_the_network_is_refused(stack: Stack, host_url: str) -> None:
    response = stack.console(ADMIN).connect(VALID | {"host_url": host_url})
    error = refused(stack, response, 400, "invalid_request", field="host_url")
    assert "public" in error["hint"]


@pytest.mark.parametrize("host_url", ALWAYS_BLOCKED)
def test_metadata_link_local_and_private_hosts_stay_refused_when_insecure_hosts_are_allowed(
        insecure_stack: Stack, host_url: str) -> None:
    response = insecure_stack.console(ADMIN).connect(VALID | {"host_url": host_url})
    refused(insecure_stack, response, 400, "invalid_request", field="host_url")


@pytest.mark.parametrize(
    "token_url",
    [
        "https://intranet.district.example/token",
        "https://169.254.169.254/token",
        "https://metadata.google.internal/token",
        "https://[fe80::1]/token",
        "https://127.0.0.1/token",
        "http://auth.district.example/token",
        "ftp://auth.district.example/token",
        "token please",
    ],
)
def test_the_token_url_is_checked_like_the_host_url(stack: Stack, token_url: str) -> None:
    response = stack.console(ADMIN).connect(VALID | {"token_url": token_url})
    refused(stack, response, 400, "invalid_request", field="token_url")


def test_a_public_token_url_is_accepted(stack: Stack) -> None:
    response = stack.console(ADMIN).connect(VALID | {"token_url": "https://auth.district.example/token"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["token_url"] == "https://auth.district.example/token"


# ------------------------------------------------------------------------------ auth methods


@pytest.mark.parametrize("sis", ["infinite_campus", "aspen", "aeries", "capita_sims", "oneroster_1p2"])
def test_oauth1_is_refused_for_a_vendor_that_only_speaks_oauth2(stack: Stack, sis: str) -> None:
    response = stack.console(ADMIN).connect(VALID | {"sis": sis, "auth_method": "oauth1"})
    error = refused(stack, response, 400, "invalid_request", field="auth_method")
    assert "oauth2" in error["hint"]


def test_a_token_url_with_oauth1_is_refused(stack: Stack) -> None:
    body = VALID | {"sis": "oneroster_1p1", "auth_method": "oauth1", "token_url": "https://auth.district.example/t"}
    refused(stack, stack.console(ADMIN).connect(body), 400, "invalid_request", field="token_url")


def test_a_generic_1p1_sis_uses_oauth1_unless_given_a_token_url(stack: Stack) -> None:
    admin = stack.console(ADMIN)
    plain = admin.connect(VALID | {"sis": "oneroster_1p1"}).get_json()
    assert (plain["auth_method"], plain["token_url"]) == ("oauth1", None)
    with_token = admin.connect(VALID | {"sis": "oneroster_1p1", "token_url": "https://auth.district.example/t"})
    assert with_token.get_json()["auth_method"] == "oauth2"


# ------------------------------------------------------------------------- what admins paste


@pytest.mark.parametrize("host_url", [
    "https://district.skyward.com/districtAPI",
    "district.skyward.com/districtAPI/",
    "https://district.skyward.com/districtAPI/ims/oneroster/v1p1",
])
def test_a_skyward_application_url_is_accepted_and_the_oneroster_path_derived(stack: Stack,
                                                                              host_url: str) -> None:
    response = stack.console(ADMIN).connect(VALID | {"sis": "skyward", "host_url": host_url})
    assert response.status_code == 201, response.get_json()
    view = response.get_json()
    assert view["oneroster_version"] == "1.1"
    assert view["rostering_url"] == "https://district.skyward.com/districtAPI/ims/oneroster/v1p1"
    assert view["gradebook_url"] == view["rostering_url"]
    assert view["rostering_url"].endswith("/ims/oneroster/v1p1")
