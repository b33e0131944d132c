"""Vendor profiles: URL derivation from whatever the admin pastes, and the generated vendor page."""

from __future__ import annotations

from pathlib import Path

import pytest

from sisbridge.errors import InvalidRequest
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion, get_profile
from sisbridge.vendors.docs import render

REPO = Path(__file__).resolve().parents[2]


def test_docs_page_matches_the_profiles() -> None:
    assert (REPO / "docs" / "vendors.md").read_text() == render(), "run: python -m sisbridge.vendors.docs > docs/vendors.md"


@pytest.mark.parametrize("typed", [
    "https://district.skyward.com/districtAPI",
    "https://district.skyward.com/districtAPI/",
    "https://District.Skyward.com/districtAPI/ims/oneroster/v1p1/",
    "https://district.skyward.com/districtAPI/ims/oneroster/v1p1/lineItems",
])
def test_skyward_application_url_gets_the_oneroster_path_once(typed: str) -> None:
    ep = get_profile("skyward").endpoints(typed, version=OneRosterVersion.V1P1)
    assert ep.rostering == "https://district.skyward.com/districtAPI/ims/oneroster/v1p1"


@pytest.mark.parametrize("typed", [
    "https://district.infinitecampus.org",
    "https://district.infinitecampus.org/campus/api",
    "https://district.infinitecampus.org/campus/api/ims/oneroster/rostering/v1p2/",
])
def test_infinite_campus_urls_from_host_or_full_oneroster_url(typed: str) -> None:
    ep = get_profile("infinite_campus").endpoints(typed)
    assert ep.rostering == "https://district.infinitecampus.org/campus/api/ims/oneroster/rostering/v1p2"
    assert ep.gradebook == "https://district.infinitecampus.org/campus/api/ims/oneroster/gradebook/v1p2"
    assert ep.token_url == "https://district.infinitecampus.org/campus/oauth2/token"


def test_token_urls_per_vendor() -> None:
    host = "https://h.example/app"
    assert get_profile("aspen").endpoints(host).token_url == "https://h.example/app/oauth/rest/v2.0/auth"
    assert get_profile("aeries").endpoints(host).token_url == "https://h.example/app/ims/oneroster/v1p1/token"
    assert get_profile("capita_sims").endpoints(host).token_url == "https://sts.sims.co.uk/connect/token"
    assert get_profile("oneroster_1p2").endpoints(host).token_url == "https://h.example/app/token"
    assert get_profile("oneroster_1p1").endpoints(host).token_url is None  # OAuth 1.0a by default
    given = get_profile("oneroster_1p1").endpoints(host, auth=AuthMethod.OAUTH2, token_url="https://t.example/tok")
    assert given.token_url == "https://t.example/tok"


def test_saas_eligibility_by_host_pattern() -> None:
    ic = get_profile("infinite_campus")
    assert ic.is_saas_host("https://district.infinitecampus.org")
    assert not ic.is_saas_host("https://sis.district.k12.example.us")


def test_every_profile_is_complete() -> None:
    for p in PROFILES.values():
        assert p.versions and p.auth_methods and p.credential_steps and p.partnership_text
        assert all(s.startswith("https://purl.imsglobal.org/spec/or/") for s in p.scopes(p.default_version))


def test_unknown_sis_names_the_choices() -> None:
    with pytest.raises(InvalidRequest) as exc:
        get_profile("powerschool")
    assert exc.value.details["field"] == "sis" and "infinite_campus" in exc.value.hint
