"""The admin lifecycle on the Google adapters: Firestore (emulator) for state and Secret Manager
(drongo) for the credentials, as deployed."""

from __future__ import annotations

from typing import Any

import pytest
from sisbridge.adapters.firestore_store import FirestoreDocumentStore
from sisbridge.adapters.secret_manager import SecretManagerSecretStore
from sisbridge.sandbox import seed

from tests import emulators

from .conftest import ADMIN, DISTRICT, Flavour, StackFactory, connect_body

pytestmark = pytest.mark.emulator


@pytest.mark.parametrize("flavour", [Flavour("infinite_campus", "oauth2"), Flavour("skyward", "oauth1")],
                         ids=lambda f: f.id)
def test_connect_authorize_disconnect_on_firestore_and_secret_manager(
        make_stack: StackFactory, sis_server: str, flavour: Flavour, firestore_emulator: Any,
        firestore_client: Any, drongo: Any, secret_manager_client: Any) -> None:
    emulators.reset_firestore(firestore_emulator)
    emulators.reset_drongo(drongo)
    stack = make_stack(store=FirestoreDocumentStore(firestore_client),
                       secrets=SecretManagerSecretStore(secret_manager_client, emulators.SECRETS_PROJECT))
    admin = stack.console(ADMIN)

    assert admin.connect(connect_body(sis_server, flavour)).status_code == 201
    assert stack.has_credentials()
    authorized = admin.authorize()
    assert authorized.status_code == 200, authorized.get_json()
    assert all(c["ok"] for c in authorized.get_json()["checks"])
    assert admin.set_permissions(False).status_code == 200
    assert admin.view()["status"] == "authorized"

    assert admin.disconnect().status_code == 200
    view = admin.view()
    assert view["status"] == "disconnected" and view["secret_code"] is None
    assert not stack.has_credentials()
    assert admin.disconnect().get_json() == view

    assert admin.connect(connect_body(sis_server, flavour)).get_json()["teacher_export_enabled"] is False
    assert admin.authorize().status_code == 200
    assert stack.audit_actions() == [
        "connection.connected", "connection.authorized", "permissions.changed",
        "connection.disconnected", "connection.connected", "connection.authorized",
    ]
    assert seed.SECRET_CODE not in stack.audit_text()
    stored = firestore_client.document(f"tenants/{DISTRICT}/connections/current").get().to_dict()
    assert stored["status"] == "authorized"
    assert stored["secret_ref"].startswith("secrets/")  # a reference into Secret Manager, not the secret
    assert seed.SECRET_CODE not in str(stored)
