"""OAuth 1.0a as sent on the wire, checked by an independent verifier (oauthlib), not by authlib.

A fake SIS (httpx2.MockTransport) captures each request; oauthlib rebuilds the RFC 5849 base
string from the raw URL and header and verifies the signature with the consumer secret.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx2
import pytest
from oauthlib.oauth1.rfc5849 import signature
from sisbridge.oneroster import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    OneRosterClient,
    RetryPolicy,
    eq,
)
from sisbridge.oneroster.models import Category
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion

pytestmark = pytest.mark.anyio
PROFILE = PROFILES["oneroster_1p1"]
SECRET = "consumer-secret &+%/"  # characters that must be percent-encoded in the key
VERIFY = {
    SIGNATURE_HMAC_SHA256: signature.verify_hmac_sha256,
    SIGNATURE_HMAC_SHA1: signature.verify_hmac_sha1,
}


class CapturingSis:
    """Answers every request; the first `fail` requests get 503 (to exercise re-signing)."""

    def __init__(self, fail: int = 0) -> None:
        self.requests: list[httpx2.Request] = []
        self.fail = fail

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if len(self.requests) <= self.fail:
            return httpx2.Response(503, headers={"Retry-After": "0"})
        if request.method == "PUT":
            return httpx2.Response(201, json=json.loads(request.content))
        return httpx2.Response(200, json={"users": []})


def oauth_params(request: httpx2.Request) -> dict[str, str]:
    return dict(signature.collect_parameters(headers={"Authorization": request.headers["Authorization"]},
                                             exclude_oauth_signature=False))


def independently_verified(request: httpx2.Request, secret: str) -> bool:
    url = str(request.url)
    params = signature.collect_parameters(uri_query=urlsplit(url).query,
                                          headers={"Authorization": request.headers["Authorization"]})
    oauth = oauth_params(request)
    req = SimpleNamespace(uri=url.split("?")[0], http_method=request.method, params=params,
                          signature=oauth["oauth_signature"])
    return bool(VERIFY[oauth["oauth_signature_method"]](req, client_secret=secret))


def client(sis: CapturingSis, method: str, **kwargs: object) -> OneRosterClient:
    endpoints = PROFILE.endpoints("https://sis.example/ims/oneroster/v1p1", version=OneRosterVersion.V1P1,
                                  auth=AuthMethod.OAUTH1)
    return OneRosterClient(endpoints, PROFILE, access_key="consumer-key", secret_code=SECRET,
                           signature_method=method, transport=httpx2.MockTransport(sis), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA256, SIGNATURE_HMAC_SHA1])
async def test_signed_filter_query_verifies_independently(method: str) -> None:
    sis = CapturingSis()
    tricky = eq("familyName", "O'Brien-Smith & Co").or_(eq("email", "a b+c@x.org"))
    async with client(sis, method) as c:
        _ = [u async for u in c.iter_collection("/users", "users", {"filter": tricky, "sort": "familyName"})]
    (request,) = sis.requests
    sent = request.url.query.decode()
    assert sent.startswith("filter=familyName%3D%27O%27%27Brien-Smith%20%26%20Co%27%20OR")
    oauth = oauth_params(request)
    assert oauth["oauth_signature_method"] == method and oauth["oauth_consumer_key"] == "consumer-key"
    assert "oauth_token" not in oauth and "oauth_body_hash" not in oauth
    assert independently_verified(request, SECRET)
    assert not independently_verified(request, SECRET + "x")


async def test_put_body_is_sent_and_not_signed() -> None:
    sis = CapturingSis()
    async with client(sis, SIGNATURE_HMAC_SHA256) as c:
        await c.put_category(Category(sourced_id="cat-x", title="Labs"))
    (request,) = sis.requests
    assert json.loads(request.content) == {"category": {"sourcedId": "cat-x", "title": "Labs"}}
    assert request.headers["Content-Length"] == str(len(request.content))
    assert "oauth_body_hash" not in oauth_params(request)
    assert independently_verified(request, SECRET)


async def test_every_attempt_is_signed_afresh() -> None:
    sis = CapturingSis(fail=2)

    async def no_sleep(_: float) -> None:
        return None

    async with client(sis, SIGNATURE_HMAC_SHA256, retry=RetryPolicy(max_attempts=3), sleep=no_sleep) as c:
        _ = [u async for u in c.iter_collection("/users", "users", {"filter": eq("email", "x@y.z")})]
    assert len(sis.requests) == 3
    nonces = {oauth_params(r)["oauth_nonce"] for r in sis.requests}
    assert len(nonces) == 3
    assert all(independently_verified(r, SECRET) for r in sis.requests)


async def test_path_ids_are_encoded_and_signed() -> None:
    sis = CapturingSis()
    async with client(sis, SIGNATURE_HMAC_SHA1) as c:
        _ = [s async for s in c.students_for_class("cls 1/2")]
    assert sis.requests[0].url.raw_path.startswith(b"/ims/oneroster/v1p1/classes/cls%201%2F2/students?")
    assert all(independently_verified(r, SECRET) for r in sis.requests)
