"""HTTP answers → SisError subclasses; error bodies parsed leniently; no secrets kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from sisbridge.errors import (
    SisAuthRejected,
    SisError,
    SisForbidden,
    SisInvalidData,
    SisNotFound,
    SisProtocolError,
    SisRateLimited,
    SisTimeout,
    SisUnavailable,
)
from sisbridge.oneroster import Redactor, StatusInfo, parse_retry_after, parse_status_info
from sisbridge.oneroster.errors import DESCRIPTION_MAX, error_for_response, error_for_transport

URL = "https://sis.example/ims/oneroster/v1p1/lineItems/li-1?access_token=tok-SECRET&limit=5&client_secret=x"
SECRET = "s3cret-code"
R = Redactor([SECRET, "tok-SECRET"])

IMSX_11 = {
    "imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": "lineItem.title is required",
    "imsx_CodeMinor": {"imsx_codeMinorField": [
        {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "invaliddata"}]},
}


def answer(status: int, body: Any = None, *, text: str | None = None, headers: dict[str, str] | None = None,
           url: str = URL) -> httpx2.Response:
    request = httpx2.Request("PUT", url)
    if body is not None:
        return httpx2.Response(status, json=body, headers=headers, request=request)
    return httpx2.Response(status, text=text or "", headers=headers, request=request)


@pytest.mark.parametrize(("body", "expected"), [
    (IMSX_11, StatusInfo("failure", "error", "lineItem.title is required", "invaliddata")),
    ({"imsx_StatusInfo": IMSX_11},
     StatusInfo("failure", "error", "lineItem.title is required", "invaliddata")),
    ({"imsx_codeMajor": "failure", "imsx_codeMinor": "unknownobject", "imsx_description": "nope"},
     StatusInfo("failure", None, "nope", "unknownobject")),
    ({"imsx_CodeMinor": {"imsx_codeMinorField": {"imsx_codeMinorFieldValue": "forbidden"}}},
     StatusInfo(code_minor="forbidden")),
    ({"IMSX_CODEMAJOR": "failure", "Imsx_Description": "case"}, StatusInfo("failure", None, "case", None)),
    ({"lineItems": [], "statusInfoSet": [{"imsx_codeMajor": "success"},
                                         {"imsx_codeMajor": "failure", "imsx_description": "bad row"}]},
     StatusInfo("failure", None, "bad row", None)),
    ({"statusInfoSet": {"imsx_StatusInfo": [{"imsx_description": "wrapped"}]}},
     StatusInfo(description="wrapped")),
    ({"error": "invalid_client", "error_description": "Unknown client"},
     StatusInfo(description="Unknown client", code_minor="invalid_client")),
    ("<html><head><title>502 Bad Gateway</title></head><body>x</body></html>",
     StatusInfo(description="502 Bad Gateway")),
    ("<p>Service&nbsp;down <b>now</b></p>", StatusInfo(description="Service down now")),
    ("  plain   words ", StatusInfo(description="plain words")),
    ("", None), ({}, None), (42, None),
])
def test_status_info_shapes(body: Any, expected: StatusInfo | None) -> None:
    assert parse_status_info(body) == expected


@pytest.mark.parametrize(("status", "cls"), [
    (400, SisInvalidData), (422, SisInvalidData), (409, SisInvalidData), (401, SisAuthRejected),
    (403, SisForbidden), (404, SisNotFound), (408, SisTimeout), (429, SisRateLimited), (500, SisUnavailable),
    (502, SisUnavailable), (503, SisUnavailable), (504, SisUnavailable), (405, SisInvalidData),
    (501, SisInvalidData), (302, SisProtocolError),
])
def test_status_mapping(status: int, cls: type[SisError]) -> None:
    err = error_for_response(answer(status, IMSX_11), operation="PUT /lineItems/li-1", redactor=R)
    assert type(err) is cls
    assert err.http_status == status
    assert err.sis_description == "lineItem.title is required"
    assert err.code_minor == "invaliddata"


def test_unsupported_methods_get_a_minor_code() -> None:
    err = error_for_response(answer(405, text=""), operation="DELETE /lineItems/x", redactor=R)
    assert err.code_minor == "unsupportedoperation" and err.sis_description is None


def test_url_and_texts_never_carry_secrets() -> None:
    body = {"imsx_description": f"bad secret {SECRET} for token tok-SECRET"}
    err = error_for_response(answer(400, body), operation="PUT /lineItems/li-1", redactor=R)
    assert err.url == ("https://sis.example/ims/oneroster/v1p1/lineItems/li-1"
                       "?access_token=REDACTED&limit=5&client_secret=REDACTED")
    for text in (str(err), err.message, err.sis_description or "", str(err.to_dict())):
        assert SECRET not in text and "tok-SECRET" not in text


def test_userinfo_is_dropped_from_urls() -> None:
    assert Redactor().url("https://user:pw@sis.example:8443/x?filter=a%3D%27b%27#frag") == \
        "https://sis.example:8443/x?filter=a%3D%27b%27"


def test_description_is_truncated() -> None:
    err = error_for_response(answer(400, text="x" * 5000), operation="GET /x", redactor=R)
    assert err.sis_description is not None and len(err.sis_description) == DESCRIPTION_MAX


def test_retry_after_on_429_and_503() -> None:
    limited = error_for_response(answer(429, text="", headers={"Retry-After": "7"}), operation="GET /x",
                                 redactor=R)
    assert isinstance(limited, SisRateLimited) and limited.retry_after == 7
    busy = error_for_response(answer(503, text="", headers={"Retry-After": "2"}), operation="GET /x",
                              redactor=R)
    assert busy.details["retry_after"] == 2


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-4") == 0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    for junk in (None, "", "soon", "1e999"):
        assert parse_retry_after(junk) is None


def test_transport_failures() -> None:
    request = httpx2.Request("GET", URL)
    timeout = error_for_transport(httpx2.ReadTimeout("timed out", request=request), operation="GET /x",
                                  url=URL, redactor=R, timeout=2.0)
    assert isinstance(timeout, SisTimeout) and "2 s" in timeout.message
    assert "tok-SECRET" not in str(timeout.url)
    refused = error_for_transport(httpx2.ConnectError("refused"), operation="GET /x", url=URL, redactor=R)
    assert isinstance(refused, SisUnavailable)
    reset = error_for_transport(httpx2.RemoteProtocolError("peer closed"), operation="GET /x", url=URL,
                                redactor=R)
    assert isinstance(reset, SisUnavailable)
    assert isinstance(error_for_transport(httpx2.ReadError("reset"), operation="o", url=URL, redactor=R),
                      SisUnavailable)


def test_short_strings_are_not_scrubbed() -> None:
    r = Redactor(["ab", None, ""])
    assert r.text("abc ab") == "abc ab"
