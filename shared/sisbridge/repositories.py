"""Domain repositories over the `DocumentStore` port: services see tenants, connections and audit
events, never raw documents or paths.

Layout (one tenant = one Google Workspace customer):

    tenants/{tenant_id}                      Tenant: settings and admins
    tenants/{tenant_id}/connections/current  Connection: the tenant's SIS connection
    tenants/{tenant_id}/audit/{event_id}     AuditEvent: who changed what, when, before → after

Every read and write takes an optional `txn=` so a service can change a connection and append
its audit event in one `store.transaction(...)`. Mapping to documents is explicit (`*_to_doc`,
`*_from_doc`); enums are stored by `.value`, times as UTC datetimes. The connection keeps only a
`SecretRef`, never secret material, and the audit log refuses fields named like secrets.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sisbridge.errors import AppError, InvalidRequest, NotFound
from sisbridge.ports.secrets import SecretRef
from sisbridge.ports.store import DocumentStore, Txn
from sisbridge.vendors import AuthMethod

Clock = Callable[[], datetime]
_TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SENSITIVE = re.compile(
    r"(^|_)(secret|secret_code|client_secret|consumer_secret|password|passwd|access_token|refresh_token"
    r"|id_token|token|api_key|private_key|authorization)$"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def tenant_path(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not _TENANT_ID.fullmatch(tenant_id):
        raise InvalidRequest(f"invalid tenant id {tenant_id!r}")
    return f"tenants/{tenant_id}"


def _stamps(doc: Mapping[str, Any]) -> dict[str, datetime | None]:
    return {"created_at": doc.get("created_at"), "updated_at": doc.get("updated_at")}


# --------------------------------------------------------------------------------------- tenant


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    tenant_id: str
    domain: str = ""
    display_name: str = ""
    admins: tuple[str, ...] = ()  # lower-case emails of the people who may manage the connection
    created_at: datetime | None = None  # set by the repository
    updated_at: datetime | None = None

    def is_admin(self, email: str) -> bool:
        return email.strip().lower() in self.admins


def _emails(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v).strip().lower() for v in values if str(v).strip()))


def tenant_to_doc(tenant: Tenant) -> dict[str, Any]:
    return {
        "domain": tenant.domain,
        "display_name": tenant.display_name,
        "admins": list(_emails(tenant.admins)),
        "created_at": tenant.created_at,
        "updated_at": tenant.updated_at,
    }


def tenant_from_doc(tenant_id: str, doc: Mapping[str, Any]) -> Tenant:
    return Tenant(
        tenant_id=tenant_id,
        domain=doc.get("domain", ""),
        display_name=doc.get("display_name", ""),
        admins=_emails(doc.get("admins", ())),
        **_stamps(doc),
    )


class TenantRepository:
    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def get(self, tenant_id: str, *, txn: Txn | None = None) -> Tenant | None:
        doc = (txn or self._store).get(tenant_path(tenant_id))
        return None if doc is None else tenant_from_doc(tenant_id, doc)

    def create(self, tenant: Tenant, *, txn: Txn | None = None) -> Tenant | None:
        """Register a new tenant; None if it already exists (nothing is changed then)."""
        now = self._clock()
        stamped = replace(tenant, admins=_emails(tenant.admins), created_at=now, updated_at=now)
        created = (txn or self._store).create(tenant_path(tenant.tenant_id), tenant_to_doc(stamped))
        return stamped if created else None

    def save(self, tenant: Tenant, *, txn: Txn | None = None) -> Tenant:
        now = self._clock()
        stamped = replace(
            tenant, admins=_emails(tenant.admins), created_at=tenant.created_at or now, updated_at=now
        )
        (txn or self._store).put(tenant_path(tenant.tenant_id), tenant_to_doc(stamped))
        return stamped

    def add_admin(self, tenant_id: str, email: str) -> Tenant:
        return self._change_admins(tenant_id, lambda admins: (*admins, email))

    def remove_admin(self, tenant_id: str, email: str) -> Tenant:
        gone = email.strip().lower()
        return self._change_admins(tenant_id, lambda admins: tuple(a for a in admins if a != gone))

    def _change_admins(self, tenant_id: str, change: Callable[[tuple[str, ...]], tuple[str, ...]]) -> Tenant:
        def run(txn: Txn) -> Tenant:
            tenant = self.get(tenant_id, txn=txn)
            if tenant is None:
                raise NotFound(f"no tenant {tenant_id}")
            return self.save(replace(tenant, admins=change(tenant.admins)), txn=txn)

        return self._store.transaction(run)


# ----------------------------------------------------------------------------------- connection


class ConnectionStatus(enum.Enum):
    NONE = "none"  # nothing configured yet
    CONNECTED = "connected"  # settings saved and the SIS reachable
    AUTHORIZED = "authorized"  # credentials accepted by the SIS: exports may run
    ERROR = "error"  # the last attempt failed; see last_error
    DISCONNECTED = "disconnected"  # an admin disconnected it; the secret is deleted


@dataclass(frozen=True, slots=True, kw_only=True)
class LastError:
    code: str
    message: str
    hint: str = ""
    at: datetime

    @classmethod
    def from_error(cls, exc: AppError, *, at: datetime) -> LastError:
        return cls(code=exc.code, message=exc.message, hint=exc.hint, at=at)


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One result of testing a connection (token request, roster read, gradebook write...)."""

    name: str
    ok: bool
    message: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    tenant_id: str
    sis: str  # vendor profile id, e.g. "infinite_campus"
    host_url: str
    auth_method: AuthMethod
    token_url: str | None = None  # OAuth 2 only
    status: ConnectionStatus = ConnectionStatus.NONE
    teacher_export_enabled: bool = False
    secret_ref: SecretRef | None = None  # where the credentials are; never the credentials
    access_key_hint: str = ""  # the access key's last characters, so admins can tell keys apart
    last_error: LastError | None = None
    checks: tuple[Check, ...] = ()
    created_at: datetime | None = None  # set by the repository
    updated_at: datetime | None = None


def connection_to_doc(conn: Connection) -> dict[str, Any]:
    error = conn.last_error
    return {
        "sis": conn.sis,
        "host_url": conn.host_url,
        "token_url": conn.token_url,
        "auth_method": conn.auth_method.value,
        "status": conn.status.value,
        "teacher_export_enabled": conn.teacher_export_enabled,
        "secret_ref": conn.secret_ref.encode() if conn.secret_ref else None,
        "access_key_hint": conn.access_key_hint,
        "last_error": None
        if error is None
        else {"code": error.code, "message": error.message, "hint": error.hint, "at": error.at},
        "checks": [{"name": c.name, "ok": c.ok, "message": c.message, "at": c.at} for c in conn.checks],
        "created_at": conn.created_at,
        "updated_at": conn.updated_at,
    }


def connection_from_doc(tenant_id: str, doc: Mapping[str, Any]) -> Connection:
    error = doc.get("last_error")
    ref = doc.get("secret_ref")
    return Connection(
        tenant_id=tenant_id,
        sis=doc["sis"],
        host_url=doc["host_url"],
        token_url=doc.get("token_url"),
        auth_method=AuthMethod(doc["auth_method"]),
        status=ConnectionStatus(doc.get("status", ConnectionStatus.NONE.value)),
        teacher_export_enabled=bool(doc.get("teacher_export_enabled", False)),
        secret_ref=SecretRef.decode(ref) if ref else None,
        access_key_hint=str(doc.get("access_key_hint", "")),
        last_error=None
        if not error
        else LastError(
            code=error["code"], message=error["message"], hint=error.get("hint", ""), at=error["at"]
        ),
        checks=tuple(
            Check(name=c["name"], ok=bool(c["ok"]), message=c.get("message", ""), at=c.get("at"))
            for c in doc.get("checks", ())
        ),
        **_stamps(doc),
    )


class ConnectionRepository:
    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def _path(tenant_id: str) -> str:
        return f"{tenant_path(tenant_id)}/connections/current"

    def get(self, tenant_id: str, *, txn: Txn | None = None) -> Connection | None:
        doc = (txn or self._store).get(self._path(tenant_id))
        return None if doc is None else connection_from_doc(tenant_id, doc)

    def save(self, conn: Connection, *, txn: Txn | None = None) -> Connection:
        """Create or replace the tenant's connection; stamps created_at (once) and updated_at."""
        now = self._clock()
        stamped = replace(conn, created_at=conn.created_at or now, updated_at=now)
        (txn or self._store).put(self._path(conn.tenant_id), connection_to_doc(stamped))
        return stamped

    def delete(self, tenant_id: str, *, txn: Txn | None = None) -> None:
        (txn or self._store).delete(self._path(tenant_id))

    def modify(self, tenant_id: str, change: Callable[[Connection], Connection]) -> Connection:
        """Read, change and save the connection atomically. `change` may run more than once."""

        def run(txn: Txn) -> Connection:
            current = self.get(tenant_id, txn=txn)
            if current is None:
                raise NotFound(f"tenant {tenant_id} has no SIS connection")
            return self.save(change(current), txn=txn)

        return self._store.transaction(run)


# ---------------------------------------------------------------------------------------- audit


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    id: str
    tenant_id: str
    actor: str  # who: an admin's email, or "system"
    action: str  # what, e.g. "connection.saved"
    at: datetime
    before: dict[str, Any] | None = None  # sanitised by the caller; read-only
    after: dict[str, Any] | None = None


def _refuse_sensitive(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            normalised = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(key)).lower().replace("-", "_")
            if _SENSITIVE.search(normalised):
                raise ValueError(f"audit {where} has a field named like a secret ({key!r}); leave it out")
            _refuse_sensitive(item, where)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_sensitive(item, where)


def audit_to_doc(event: AuditEvent) -> dict[str, Any]:
    return {
        "actor": event.actor,
        "action": event.action,
        "at": event.at,
        "before": event.before,
        "after": event.after,
    }


def audit_from_doc(tenant_id: str, event_id: str, doc: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=event_id,
        tenant_id=tenant_id,
        actor=doc["actor"],
        action=doc["action"],
        at=doc["at"],
        before=doc.get("before"),
        after=doc.get("after"),
    )


class AuditLog:
    """Append-only: events are never changed or deleted through this class."""

    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def _collection(tenant_id: str) -> str:
        return f"{tenant_path(tenant_id)}/audit"

    def append(
        self,
        tenant_id: str,
        *,
        actor: str,
        action: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        txn: Txn | None = None,
    ) -> AuditEvent:
        if not actor or not action:
            raise ValueError("an audit event needs an actor and an action")
        _refuse_sensitive(before, "'before'")
        _refuse_sensitive(after, "'after'")
        at = self._clock()
        event = AuditEvent(
            # sortable by time, unique across instances
            id=f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}",
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            at=at,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        )
        if not (txn or self._store).create(f"{self._collection(tenant_id)}/{event.id}", audit_to_doc(event)):
            raise AssertionError(f"audit event id collision: {event.id}")
        return event

    def recent(self, tenant_id: str, *, limit: int = 50) -> list[AuditEvent]:
        """Newest first."""
        docs = self._store.list(self._collection(tenant_id), order_by="at", descending=True, limit=limit)
        return [audit_from_doc(tenant_id, d.id, d.data) for d in docs]
