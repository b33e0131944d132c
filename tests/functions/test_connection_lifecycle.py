"""An admin's whole connection lifecycle against the SIS sandbox, for every vendor and auth mode:
connect, authorize, permissions, disconnect (twice), reconnect, authorize again."""

from __future__ import annotations

import pytest
from sisbridge.sandbox import seed
from sisbridge.services.views import SECRET_MASK

from .conftest import ADMIN, DISTRICT, FLAVOURS, Console, Flavour, Stack, connect_body, error_of, flavours


@pytest.mark.parametrize("flavour", **flavours(FLAVOURS))
def test_connect_authorize_configure_disconnect_and_reconnect(stack: Stack, sis_server: str,
                                                              flavour: Flavour) -> None:
    admin = stack.console(ADMIN)
    body = connect_body(sis_server, flavour)

    connected = admin.connect(body)
    assert connected.status_code == 201, connected.get_json()
    view = connected.get_json()
    assert view["status"] == "connected"
    assert (view["sis"], view["auth_method"]) == (flavour.sis, flavour.auth)
    assert view["host_url"] == body["host_url"]
    assert view["secret_code"] == SECRET_MASK
    assert view["access_key"] == SECRET_MASK + seed.ACCESS_KEY[-4:]
    assert view["teacher_export_enabled"] is True
    assert (view["token_url"] is None) == (flavour.auth == "oauth1")
    assert stack.has_credentials()

    authorized = admin.authorize()
    assert authorized.status_code == 200, authorized.get_json()
    outcome = authorized.get_json()
    expected_checks = ["address", "token", "roster", "gradebook"] if flavour.oauth2 else \
        ["address", "roster", "gradebook"]
    assert outcome["status"] == "authorized"
    assert [c["name"] for c in outcome["checks"]] == expected_checks
    assert all(c["ok"] and c["message"] for c in outcome["checks"]), outcome["checks"]
    assert admin.view()["status"] == "authorized"
    assert admin.view()["last_error"] is None

    assert admin.set_permissions(False).get_json()["teacher_export_enabled"] is False
    assert admin.view()["teacher_export_enabled"] is False
    assert admin.set_permissions(True).status_code == 200
    assert admin.view()["teacher_export_enabled"] is True
    # Leave it off, a non-default value, so keeping it across the reconnect is observable.
    assert admin.set_permissions(False).status_code == 200
    assert admin.view()["status"] == "authorized"  # permissions do not touch the connection itself

    disconnected = admin.disconnect()
    assert disconnected.status_code == 200, disconnected.get_json()
    after = admin.view()
    assert after == disconnected.get_json()
    assert after["status"] == "disconnected"
    assert after["access_key"] is None and after["secret_code"] is None
    assert after["checks"] == []
    assert (after["sis"], after["host_url"]) == (flavour.sis, body["host_url"])  # settings stay
    assert not stack.has_credentials()

    events_before = stack.audit_actions()
    again = admin.disconnect()
    assert again.status_code == 200
    assert again.get_json() == after
    assert admin.view() == after
    assert stack.audit_actions() == events_before
    assert not stack.has_credentials()

    refused = admin.authorize()
    assert refused.status_code == 409
    assert "connect" in error_of(refused)["hint"].lower()

    reconnected = admin.connect(body)
    assert reconnected.status_code == 201, reconnected.get_json()
    assert reconnected.get_json()["status"] == "connected"
    assert reconnected.get_json()["teacher_export_enabled"] is False
    assert stack.has_credentials()
    reauthorized = admin.authorize()
    assert reauthorized.status_code == 200, reauthorized.get_json()
    assert admin.view()["status"] == "authorized"
    assert admin.view()["teacher_export_enabled"] is False

    assert stack.audit_actions() == [
        "connection.connected",
        "connection.authorized",
        "permissions.changed",
        "permissions.changed",
        "permissions.changed",
        "connection.disconnected",
        "connection.connected",
        "connection.authorized",
    ]
    events = list(reversed(stack.deps.audit.recent(DISTRICT)))
    assert {e.actor for e in events} == {ADMIN}
    assert [(e.before, e.after) for e in events if e.action == "permissions.changed"] == [
        ({"teacher_export_enabled": True}, {"teacher_export_enabled": False}),
        ({"teacher_export_enabled": False}, {"teacher_export_enabled": True}),
        ({"teacher_export_enabled": True}, {"teacher_export_enabled": False}),
    ]
    disconnect_event = next(e for e in events if e.action == "connection.disconnected")
    assert disconnect_event.before["status"] == "authorized"
    assert disconnect_event.after["status"] == "disconnected"
    audit = stack.audit_text()
    assert seed.SECRET_CODE not in audit
    assert seed.ACCESS_KEY not in audit


def test_connecting_again_replaces_the_credentials_and_needs_a_new_authorize(stack: Stack,
                                                                             sis_server: str) -> None:
    admin = stack.console(ADMIN)
    flavour = Flavour("oneroster_1p2", "oauth2")
    assert admin.connect(connect_body(sis_server, flavour)).status_code == 201
    assert admin.authorize().status_code == 200

    wrong = admin.connect(connect_body(sis_server, flavour, secret_code="a-renewed-secret-not-yet-valid"))
    assert wrong.status_code == 201
    assert wrong.get_json()["status"] == "connected"
    assert admin.authorize().status_code == 422  # the new secret is the one in use

    assert admin.connect(connect_body(sis_server, flavour)).status_code == 201
    assert admin.authorize().status_code == 200


def test_permissions_need_a_connection_first(admin: Console) -> None:
    response = admin.set_permissions(False)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert "connect" in error_of(response)["hint"].lower()


def test_authorize_needs_a_connection_first(admin: Console) -> None:
    response = admin.authorize()
    assert response.status_code == 404
    assert "POST /connect" in error_of(response)["hint"]


def test_disconnect_with_nothing_connected_succeeds_and_changes_nothing(stack: Stack) -> None:
    admin = stack.console(ADMIN)
    response = admin.disconnect()
    assert response.status_code == 200
    assert response.get_json()["status"] == "none"
    assert admin.view()["status"] == "none"
    assert stack.audit_actions() == []


def test_a_new_webhook_secret_is_shown_once_and_replaces_the_last(stack: Stack) -> None:
    admin = stack.console(ADMIN)
    first = admin.rotate_webhook_secret()
    second = admin.rotate_webhook_secret()
    assert first.status_code == second.status_code == 200
    first_secret, second_secret = first.get_json()["webhook_secret"], second.get_json()["webhook_secret"]
    assert first_secret.startswith("whsec_") and second_secret.startswith("whsec_")
    assert first_secret != second_secret
    assert first_secret not in admin.get().get_data(as_text=True)
    assert stack.audit_actions() == ["webhook.rotated", "webhook.rotated"]
    audit = stack.audit_text()
    assert first_secret not in audit and second_secret not in audit
