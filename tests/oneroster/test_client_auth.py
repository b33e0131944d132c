"""Authentication against the sandbox: token reuse and refresh, refusals, scopes, OAuth 1.0a."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx2
import pytest
from sisbridge.errors import SisAuthRejected, SisForbidden, SisNotFound
from sisbridge.oneroster import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, OneRosterClient
from sisbridge.sandbox import seed
from sisbridge.sandbox.sis import ROSTER_ONLY_KEY, ROSTER_ONLY_SECRET
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion

from .conftest import FLAVOURS, OAUTH1_FLAVOURS, OAUTH2_FLAVOURS, Flavour, Sandbox, by_id

pytestmark = pytest.mark.anyio
ADA = seed.TEACHERS[0]


async def read_some(sis: OneRosterClient) -> None:
    assert [t async for t in sis.teachers_by_email(ADA.email)]


def token_requests(sandbox: Sandbox, vendor: str) -> dict[str, int]:
    return dict(sandbox.stats()["token_requests"].get(vendor, {}))


@pytest.mark.parametrize("flavour", **by_id(OAUTH2_FLAVOURS))
async def test_token_fetched_once_and_reused(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour) as sis:
        await asyncio.gather(*(read_some(sis) for _ in range(20)))  # concurrent first requests
        await read_some(sis)
        assert sis.stats.token_fetches == 1
    assert token_requests(sandbox, flavour.vendor) == {"200": 1}
    assert sandbox.statuses(flavour.vendor) == {"200": 21}


@pytest.mark.parametrize("flavour", **by_id(OAUTH2_FLAVOURS))
async def test_revoked_token_is_refetched_once(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour) as sis:
        await read_some(sis)
        assert sandbox.state.revoke_tokens() >= 1
        await asyncio.gather(*(read_some(sis) for _ in range(5)))  # all 401 at once, one refetch
        assert sis.stats.token_fetches == 2
        assert sis.stats.by_status[401] >= 1
    assert token_requests(sandbox, flavour.vendor) == {"200": 2}


async def test_token_refreshed_before_expiry(sandbox: Sandbox) -> None:
    """A 1 s token: the next request after it lapses fetches a new one first (no 401 round trip)."""
    flavour = OAUTH2_FLAVOURS[0]
    sandbox.knobs(token_ttl_s=1)
    async with sandbox.client(flavour) as sis:
        await read_some(sis)
        await asyncio.sleep(1.1)
        await read_some(sis)
        assert sis.stats.token_fetches == 2
        assert sis.stats.by_status[401] == 0


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_wrong_secret_is_refused_without_leaking_it(sandbox: Sandbox, flavour: Flavour) -> None:
    wrong = "totally-wrong-secret-value"
    async with sandbox.client(flavour, secret_code=wrong) as sis:
        with pytest.raises(SisAuthRejected) as exc:
            await read_some(sis)
    err = exc.value
    assert err.http_status == 401 and err.sis_description
    for text in (str(err), err.sis_description, str(err.url), str(err.to_dict()), repr(err.details)):
        assert wrong not in text


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_roster_only_key_is_forbidden_on_the_gradebook(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour, access_key=ROSTER_ONLY_KEY, secret_code=ROSTER_ONLY_SECRET) as sis:
        await read_some(sis)
        with pytest.raises(SisForbidden) as exc:
            _ = [li async for li in sis.line_items_for_class("cls-alg1-p1")]
    assert exc.value.http_status == 403 and exc.value.code_minor == "forbidden"
    assert "gradebook" in (exc.value.sis_description or "")


@pytest.mark.parametrize("flavour", **by_id(OAUTH1_FLAVOURS))
@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA256, SIGNATURE_HMAC_SHA1])
async def test_oauth1_signatures_accepted_by_the_sandbox(sandbox: Sandbox, flavour: Flavour,
                                                         method: str) -> None:
    async with sandbox.client(flavour, signature_method=method, page_size=7) as sis:
        await read_some(sis)
        assert len([s async for s in sis.students_for_class("cls-cs-p2")]) == 20  # signed offset/limit
        assert sis.stats.token_fetches == 0
    assert sandbox.statuses(flavour.vendor) == {"200": 4}


async def test_oauth1_replayed_nonce_would_be_refused_but_each_attempt_signs_afresh(sandbox: Sandbox) -> None:
    """Many identical requests: every one gets a new nonce, so none hits the sandbox's replay check."""
    flavour = OAUTH1_FLAVOURS[0]
    async with sandbox.client(flavour) as sis:
        await asyncio.gather(*(read_some(sis) for _ in range(30)))
    assert sandbox.statuses(flavour.vendor) == {"200": 30}


async def test_oauth1_on_a_1p2_mount_is_refused(sandbox: Sandbox) -> None:
    flavour = Flavour("skyward", OneRosterVersion.V1P2, AuthMethod.OAUTH1)
    async with sandbox.client(flavour) as sis:
        with pytest.raises(SisAuthRejected):
            await read_some(sis)


async def test_vendor_header_sent_when_configured(sandbox: Sandbox) -> None:
    flavour = Flavour("infinite_campus", OneRosterVersion.V1P2, AuthMethod.OAUTH2)
    async with sandbox.client(flavour, extra_headers={"X-Vendor-Authorization": seed.VENDOR_KEY}) as sis:
        await read_some(sis)
    wrong = "sandbox-vendor:not-the-vendor-secret"
    async with sandbox.client(flavour, extra_headers={"X-Vendor-Authorization": wrong}) as sis:
        with pytest.raises(SisAuthRejected) as exc:
            await read_some(sis)
    assert wrong not in str(exc.value.to_dict()) and wrong not in str(exc.value)


async def test_token_url_that_does_not_exist(sandbox: Sandbox) -> None:
    profile = PROFILES["oneroster_1p2"]
    endpoints = replace(sandbox.endpoints(Flavour(profile.id, OneRosterVersion.V1P2, AuthMethod.OAUTH2)),
                        token_url=f"{sandbox.url}/oneroster_1p2/no/token/here")
    async with OneRosterClient(endpoints, profile, access_key=seed.ACCESS_KEY,
                               secret_code=seed.SECRET_CODE) as sis:
        with pytest.raises(SisNotFound) as exc:
            await read_some(sis)
    assert "/oneroster_1p2/no/token/here" in exc.value.message


async def test_aspen_credentials_go_in_the_form_and_basic_elsewhere(sandbox: Sandbox) -> None:
    """The sandbox refuses Basic for Aspen and form credentials for partner vendors that want Basic."""
    for flavour in (Flavour("aspen", OneRosterVersion.V1P1, AuthMethod.OAUTH2),
                    Flavour("infinite_campus", OneRosterVersion.V1P2, AuthMethod.OAUTH2)):
        async with sandbox.client(flavour) as sis:
            await read_some(sis)
    swapped = replace(PROFILES["aspen"], credentials_in=PROFILES["infinite_campus"].credentials_in)
    endpoints = sandbox.endpoints(Flavour("aspen", OneRosterVersion.V1P1, AuthMethod.OAUTH2))
    async with OneRosterClient(endpoints, swapped, access_key=seed.ACCESS_KEY, secret_code=seed.SECRET_CODE,
                               transport=httpx2.AsyncHTTPTransport()) as sis:
        with pytest.raises(SisAuthRejected) as exc:
            await read_some(sis)
    assert exc.value.code_minor == "invalid_client"
