"""The domain repositories, over every `DocumentStore` adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sisbridge.errors import NotFound, SisAuthRejected
from sisbridge.ports.secrets import SecretRef
from sisbridge.ports.store import DocumentStore, Txn
from sisbridge.repositories import (
    AuditLog,
    Check,
    Connection,
    ConnectionRepository,
    ConnectionStatus,
    LastError,
    Tenant,
    TenantRepository,
    connection_to_doc,
)
from sisbridge.vendors import AuthMethod

Clock = Callable[[], datetime]
AT = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)


def a_connection(**changes: object) -> Connection:
    conn = Connection(
        tenant_id="C01abc",
        sis="infinite_campus",
        host_url="https://sis.example.org/campus",
        token_url="https://sis.example.org/campus/oauth2/token",
        auth_method=AuthMethod.OAUTH2,
        status=ConnectionStatus.AUTHORIZED,
        teacher_export_enabled=True,
        secret_ref=SecretRef(name="sis-C01abc", version="2"),
        last_error=LastError(code="sis_timeout", message="no answer", hint="retry later", at=AT),
        checks=(Check(name="token", ok=True, at=AT), Check(name="gradebook_write", ok=False, message="403")),
    )
    return replace(conn, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------- tenants


def test_tenant_create_get_and_admins(store: DocumentStore, clock: Clock) -> None:
    tenants = TenantRepository(store, clock=clock)
    created = tenants.create(
        Tenant(
            tenant_id="C01abc", domain="school.example", admins=("Ada@School.example", "ada@school.example ")
        )
    )
    assert created is not None and created.admins == ("ada@school.example",)
    assert created.created_at == created.updated_at is not None
    assert tenants.get("C01abc") == created
    assert tenants.create(Tenant(tenant_id="C01abc", domain="other")) is None
    assert tenants.get("C01abc") == created
    assert tenants.get("C99zzz") is None

    after = tenants.add_admin("C01abc", "Bob@School.example")
    assert after.admins == ("ada@school.example", "bob@school.example")
    assert after.is_admin(" BOB@school.example") and not after.is_admin("eve@school.example")
    assert after.created_at == created.created_at and after.updated_at > created.updated_at  # type: ignore[operator]
    assert tenants.remove_admin("C01abc", "ADA@school.example").admins == ("bob@school.example",)
    assert tenants.get("C01abc").admins == ("bob@school.example",)  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        tenants.add_admin("C99zzz", "x@y.z")


def test_tenant_ids_must_be_safe_path_segments(store: DocumentStore) -> None:
    from sisbridge.errors import InvalidRequest

    for bad in ("", "a/b", "../x", "__x__", "x" * 200):
        with pytest.raises(InvalidRequest):
            TenantRepository(store).get(bad)


# ----------------------------------------------------------------------------------- connections


def test_connection_round_trip_with_stamps(store: DocumentStore, clock: Clock) -> None:
    connections = ConnectionRepository(store, clock=clock)
    assert connections.get("C01abc") is None
    saved = connections.save(a_connection())
    assert saved.created_at is not None and saved.created_at == saved.updated_at
    assert connections.get("C01abc") == saved

    resaved = connections.save(replace(saved, status=ConnectionStatus.ERROR))
    assert resaved.created_at == saved.created_at
    assert resaved.updated_at > saved.updated_at  # type: ignore[operator]
    assert connections.get("C01abc") == resaved


def test_connection_minimal_round_trip(store: DocumentStore) -> None:
    connections = ConnectionRepository(store)
    conn = Connection(
        tenant_id="C02", sis="aspen", host_url="https://aspen.example", auth_method=AuthMethod.OAUTH1
    )
    saved = connections.save(conn)
    got = connections.get("C02")
    assert got == saved
    assert got is not None and got.status is ConnectionStatus.NONE and got.secret_ref is None


def test_connection_document_holds_enum_values_and_only_a_secret_reference(store: DocumentStore) -> None:
    ConnectionRepository(store).save(a_connection())
    raw = store.get("tenants/C01abc/connections/current")
    assert raw is not None
    assert raw["status"] == "authorized" and raw["auth_method"] == "oauth2"
    assert raw["secret_ref"] == "secrets/sis-C01abc/versions/2"
    assert raw["last_error"] == {
        "code": "sis_timeout",
        "message": "no answer",
        "hint": "retry later",
        "at": AT,
    }
    assert raw["checks"][1] == {"name": "gradebook_write", "ok": False, "message": "403", "at": None}
    assert set(raw) == set(connection_to_doc(a_connection()))


def test_connection_modify_is_atomic(store: DocumentStore, clock: Clock) -> None:
    connections = ConnectionRepository(store, clock=clock)
    connections.save(a_connection(status=ConnectionStatus.AUTHORIZED, last_error=None))
    failure = SisAuthRejected("401 from the SIS")
    changed = connections.modify(
        "C01abc",
        lambda c: replace(c, status=ConnectionStatus.ERROR, last_error=LastError.from_error(failure, at=AT)),
    )
    assert changed.status is ConnectionStatus.ERROR
    assert changed.last_error == LastError(
        code="sis_auth_rejected", message="401 from the SIS", hint=failure.hint, at=AT
    )
    assert connections.get("C01abc") == changed
    with pytest.raises(NotFound):
        connections.modify("C99zzz", lambda c: c)


def test_connection_delete(store: DocumentStore) -> None:
    connections = ConnectionRepository(store)
    connections.save(a_connection())
    connections.delete("C01abc")
    connections.delete("C01abc")
    assert connections.get("C01abc") is None


# ----------------------------------------------------------------------------------------- audit


def test_audit_events_come_back_newest_first(store: DocumentStore, clock: Clock) -> None:
    audit = AuditLog(store, clock=clock)
    first = audit.append(
        "C01abc", actor="ada@school.example", action="connection.saved", after={"status": "none"}
    )
    second = audit.append(
        "C01abc",
        actor="ada@school.example",
        action="connection.authorized",
        before={"status": "none", "secret_ref": None},
        after={
            "status": "authorized",
            "secret_ref": "secrets/sis-C01abc/versions/1",
            "token_url": "https://x",
        },
    )
    third = audit.append(
        "C01abc", actor="system", action="connection.error", before={"nested": {"list": [1]}}
    )
    audit.append("C02other", actor="system", action="connection.saved")
    assert audit.recent("C01abc") == [third, second, first]
    assert audit.recent("C01abc", limit=2) == [third, second]
    assert [e.action for e in audit.recent("C02other")] == ["connection.saved"]
    assert first.at < second.at < third.at
    assert first.id < second.id < third.id  # ids sort by time too


@pytest.mark.parametrize(
    "bad",
    [
        {"secret": "x"},
        {"secret_code": "x"},
        {"secretCode": "x"},
        {"access_token": "x"},
        {"AccessToken": "x"},
        {"password": "x"},
        {"sis_password": "x"},
        {"client_secret": "x"},
        {"nested": {"deeper": [{"refresh_token": "x"}]}},
        {"oauth": {"token": "x"}},
    ],
)
def test_audit_refuses_fields_named_like_secrets(store: DocumentStore, bad: dict[str, object]) -> None:
    audit = AuditLog(store)
    with pytest.raises(ValueError, match="named like a secret"):
        audit.append("C01abc", actor="ada@school.example", action="connection.saved", after=bad)
    with pytest.raises(ValueError, match="named like a secret"):
        audit.append("C01abc", actor="ada@school.example", action="connection.saved", before=bad)
    assert audit.recent("C01abc") == []


def test_connection_change_and_its_audit_event_commit_together(store: DocumentStore, clock: Clock) -> None:
    connections = ConnectionRepository(store, clock=clock)
    audit = AuditLog(store, clock=clock)
    connections.save(a_connection(status=ConnectionStatus.CONNECTED))

    def authorize(txn: Txn) -> Connection:
        before = connections.get("C01abc", txn=txn)
        assert before is not None
        after = connections.save(replace(before, status=ConnectionStatus.AUTHORIZED), txn=txn)
        audit.append(
            "C01abc",
            actor="ada@school.example",
            action="connection.authorized",
            before={"status": before.status.value},
            after={"status": after.status.value},
            txn=txn,
        )
        return after

    store.transaction(authorize)
    assert connections.get("C01abc").status is ConnectionStatus.AUTHORIZED  # type: ignore[union-attr]
    assert [e.after for e in audit.recent("C01abc")] == [{"status": "authorized"}]

    def fails(txn: Txn) -> None:
        authorize(txn)
        raise RuntimeError("the SIS check failed afterwards")

    connections.save(a_connection(status=ConnectionStatus.CONNECTED))
    with pytest.raises(RuntimeError):
        store.transaction(fails)
    assert connections.get("C01abc").status is ConnectionStatus.CONNECTED  # type: ignore[union-attr]
    assert len(audit.recent("C01abc")) == 1
