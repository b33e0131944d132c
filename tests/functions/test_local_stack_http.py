"""The local stack (`sisbridge serve`) over real HTTP on loopback: every function mounted under
its own name on one port, talking to the SIS sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from sisbridge import local_stack

from .conftest import ADMIN, TEACHER, Flavour, Stack, connect_body, serving


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx2.Client]:
    with serving(local_stack.functions_app()) as url, \
            httpx2.Client(base_url=url, trust_env=False, timeout=10.0) as client:
        yield client


def bearer(stack: Stack, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(email)}"}


def test_the_index_lists_the_functions(http: httpx2.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.json()["functions"] == ["/connect", "/export", "/disconnect"]


def test_an_admin_connects_authorizes_and_disconnects_over_http(stack: Stack, http: httpx2.Client,
                                                                sis_server: str) -> None:
    admin = bearer(stack, ADMIN)
    partners = http.get("/connect/partners")
    assert partners.status_code == 200
    assert len(partners.json()["partners"]) == 7
    assert http.get("/connect").status_code == 401
    assert http.get("/connect", headers=bearer(stack, TEACHER)).status_code == 403

    body = connect_body(sis_server, Flavour("infinite_campus", "oauth2"))
    connected = http.post("/connect", json=body, headers=admin)
    assert connected.status_code == 201, connected.text
    assert connected.headers["Content-Type"].startswith("application/json")
    assert connected.headers["Cache-Control"] == "no-store"

    authorized = http.post("/connect/authorize", headers=admin)
    assert authorized.status_code == 200, authorized.text
    assert [c["name"] for c in authorized.json()["checks"]] == ["address", "token", "roster", "gradebook"]

    off = http.put("/connect/permissions", json={"teacher_export_enabled": False}, headers=admin)
    assert off.status_code == 200
    view = http.get("/connect/", headers=admin).json()
    assert (view["status"], view["teacher_export_enabled"]) == ("authorized", False)

    first = http.post("/disconnect", headers=admin)
    second = http.post("/disconnect", headers=admin)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["status"] == "disconnected" and first.json()["secret_code"] is None
    assert not stack.has_credentials()


def test_errors_are_json_with_their_http_status(stack: Stack, http: httpx2.Client) -> None:
    admin = bearer(stack, ADMIN)
    missing = http.get("/connect/nothing-here", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"

    wrong_method = http.delete("/connect/permissions", headers=admin)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "PUT"

    not_json = http.post("/connect", content=b"sis=aspen", headers=admin | {"Content-Type": "text/plain"})
    assert not_json.status_code == 415
    assert not_json.json()["error"]["code"] == "unsupported_media_type"

    too_large = http.post("/connect", content=b"{" + b" " * 70_000 + b"}",
                          headers=admin | {"Content-Type": "application/json"})
    assert too_large.status_code == 413
