"""Who may use the admin routes: signed-in administrators of their own Workspace domain, each
seeing only their own district's connection. The partner table is public."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sisbridge.config import Settings
from sisbridge.identity import LocalKeys
from sisbridge.vendors import PROFILES

from .conftest import (
    ADMIN,
    DISTRICT,
    OTHER_ADMIN,
    OTHER_DISTRICT,
    PUBLIC_IP,
    TEACHER,
    Console,
    FakeDns,
    Stack,
    StackFactory,
    error_of,
)

BODY = {
    "sis": "oneroster_1p2",
    "host_url": "https://sis.district.example",
    "access_key": "district-key-0001",
    "secret_code": "district-secret-0001",
}
# (function, method, path, JSON body): every admin route, each with a body it would accept.
ADMIN_ROUTES = [
    ("connect", "GET", "/", None),
    ("connect", "POST", "/", BODY),
    ("connect", "POST", "/authorize", None),
    ("connect", "PUT", "/permissions", {"teacher_export_enabled": False}),
    ("connect", "POST", "/webhook-secret", None),
    ("connect", "GET", "/audit", None),
    ("disconnect", "POST", "/", None),
]
ROUTE_IDS = [f"{f}:{m}:{p}" for f, m, p, _ in ADMIN_ROUTES]


@pytest.fixture
def stack(make_stack: StackFactory) -> Stack:
    dns = FakeDns({"sis.district.example": [PUBLIC_IP], "sis.other.example": [PUBLIC_IP]})
    return make_stack(resolver=dns)


def call(console: Console, route: tuple[str, str, str, Any]) -> Any:
    function, method, path, body = route
    return console.call(function, method, path, json_body=body)


# ------------------------------------------------------------------------------ no sign-in


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=ROUTE_IDS)
def test_every_admin_route_needs_a_sign_in(stack: Stack, route: tuple[str, str, str, Any]) -> None:
    response = call(stack.anonymous(), route)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def bad_tokens(stack: Stack, tmp_path: Path) -> dict[str, str]:
    now = int(time.time())
    return {
        "garbage": "not-a-token",
        "three-garbage-parts": "aaaa.bbbb.cccc",
        "expired": stack.token(ADMIN, now=now - 7200, ttl=600),
        "issued-in-the-future": stack.token(ADMIN, now=now + 3600),
        "other-audience": stack.token(ADMIN, audience="someone-elses-client-id"),
        "other-signing-key": LocalKeys(tmp_path / "stranger-keys").mint_token(ADMIN),
        "personal-account": stack.token("someone@gmail.example", hd=""),
    }


@pytest.mark.parametrize("kind", ["garbage", "three-garbage-parts", "expired", "issued-in-the-future",
                                  "other-audience", "other-signing-key", "personal-account"])
def test_a_token_that_does_not_verify_is_refused(stack: Stack, tmp_path: Path, kind: str) -> None:
    token = bad_tokens(stack, tmp_path)[kind]
    response = stack.anonymous(token).get()
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert error_of(response)["hint"]


@pytest.mark.parametrize("header", ["Basic YWRtaW46cGFzcw==", "Bearer", "Token abc", "bearer a b"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(stack: Stack, header: str) -> None:
    response = stack.anonymous().call("connect", "GET", "/", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


# ---------------------------------------------------------------------------------- not admin


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=ROUTE_IDS)
def test_a_teacher_is_forbidden_every_admin_route(stack: Stack, route: tuple[str, str, str, Any]) -> None:
    admin = stack.console(ADMIN)
    assert admin.connect(BODY).status_code == 201
    before = admin.view()

    response = call(stack.console(TEACHER), route)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "forbidden"
    assert "SISBRIDGE_ADMINS" in error["hint"]
    assert admin.view() == before
    assert stack.audit_actions() == ["connection.connected"]


def test_admins_named_in_the_environment_administer_their_own_domain_only(make_stack: StackFactory,
                                                                          tmp_path: Path) -> None:
    settings = Settings.from_env({
        "SISBRIDGE_DATA_DIR": str(tmp_path / "env" / "data"),
        "SISBRIDGE_KEY_DIR": str(tmp_path / "env" / "keys"),
        "SISBRIDGE_ADMINS": "Admin@District.example, admin@other.example",
    })
    stack = make_stack(settings=settings)

    assert stack.console(ADMIN).get().status_code == 200
    assert stack.console(OTHER_ADMIN).get().status_code == 200
    # The same person signed in under another Workspace domain is not that domain's admin.
    assert stack.console(ADMIN, hd=OTHER_DISTRICT).get().status_code == 403
    assert stack.console(OTHER_ADMIN, hd=DISTRICT).get().status_code == 403
    assert stack.console("admin@third.example").get().status_code == 403
    assert stack.deps.tenants.get(DISTRICT).admins == (ADMIN,)
    assert stack.deps.tenants.get(OTHER_DISTRICT).admins == (OTHER_ADMIN,)


# ------------------------------------------------------------------------------------ tenancy


def test_another_district_never_sees_or_changes_this_districts_connection(stack: Stack) -> None:
    ours, theirs = stack.console(ADMIN), stack.console(OTHER_ADMIN)
    assert ours.connect(BODY).status_code == 201
    ours_before = ours.view()

    assert theirs.view()["status"] == "none"
    assert theirs.view()["host_url"] is None
    disconnected = theirs.disconnect()
    assert disconnected.status_code == 200
    assert disconnected.get_json()["status"] == "none"
    assert theirs.authorize().status_code == 404
    assert theirs.set_permissions(False).status_code == 404

    assert ours.view() == ours_before
    assert stack.has_credentials(DISTRICT)
    assert stack.audit_actions(DISTRICT) == ["connection.connected"]
    assert stack.audit_actions(OTHER_DISTRICT) == []


def test_two_districts_connect_and_disconnect_independently(stack: Stack) -> None:
    ours, theirs = stack.console(ADMIN), stack.console(OTHER_ADMIN)
    assert ours.connect(BODY).status_code == 201
    their_body = BODY | {"sis": "aspen", "host_url": "https://sis.other.example"}
    assert theirs.connect(their_body).status_code == 201

    assert ours.view()["host_url"] == "https://sis.district.example"
    assert theirs.view()["host_url"] == "https://sis.other.example"
    assert theirs.disconnect().status_code == 200
    assert not stack.has_credentials(OTHER_DISTRICT)
    assert stack.has_credentials(DISTRICT)
    assert ours.view()["status"] == "connected"


# ------------------------------------------------------------------------------ partner table


def test_the_partner_table_is_public_and_lists_every_profile_with_its_credential_steps(stack: Stack) -> None:
    response = stack.anonymous().partners()
    assert response.status_code == 200
    rows = response.get_json()["partners"]
    assert [r["sis"] for r in rows] == list(PROFILES)
    assert {r["sis"] for r in rows} == {"infinite_campus", "skyward", "aspen", "aeries", "capita_sims",
                                        "oneroster_1p1", "oneroster_1p2"}
    for row in rows:
        assert row["name"] and row["oneroster_versions"] and row["auth_methods"], row
        assert row["credential_steps"] and all(isinstance(s, str) and s for s in row["credential_steps"]), row


def test_the_partner_table_shows_oauth1_only_where_the_sis_supports_it(stack: Stack) -> None:
    rows = stack.anonymous().partners().get_json()["partners"]
    assert {r["sis"] for r in rows if "oauth1" in r["auth_methods"]} == {"skyward", "oneroster_1p1"}
    assert all("oauth2" in r["auth_methods"] for r in rows)


def test_the_partner_table_ignores_a_bad_token(stack: Stack) -> None:
    assert stack.anonymous("not-a-token").partners().status_code == 200


def test_an_unknown_path_is_a_json_404_and_a_wrong_method_a_405_with_allow(stack: Stack) -> None:
    admin = stack.console(ADMIN)
    missing = admin.call("connect", "GET", "/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong = admin.call("connect", "DELETE", "/permissions")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "PUT"
