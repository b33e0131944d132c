"""Connecting a tenant's SIS: save settings and credentials, check them live, set permissions."""

from __future__ import annotations

import asyncio
import json
import secrets as random_secrets
from dataclasses import dataclass, replace

from sisbridge.bootstrap import Deps
from sisbridge.errors import AppError, Conflict, InvalidRequest, NotFound
from sisbridge.identity import Caller
from sisbridge.netguard import check_destination, parse_host_url
from sisbridge.ports.secrets import secret_name
from sisbridge.repositories import AuditEvent, Check, Connection, ConnectionStatus, LastError, utc_now
from sisbridge.vendors import AuthMethod, VendorProfile, get_profile

from .access import require_admin
from .sis_session import authorize_checks, credential_secret_name
from .views import ConnectionView, audit_snapshot, view


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectRequest:
    sis: str
    host_url: str
    access_key: str
    secret_code: str
    token_url: str | None = None
    auth_method: AuthMethod | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizeOutcome:
    status: ConnectionStatus
    checks: tuple[Check, ...]
    connection: ConnectionView


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSecret:
    webhook_secret: str
    note: str = "Shown once. Sign webhook calls with it; rotating again replaces it."


def get_connection(caller: Caller, deps: Deps) -> ConnectionView:
    require_admin(caller, deps)
    return view(deps.connections.get(caller.tenant))


def choose_auth(profile: VendorProfile, requested: AuthMethod | None, token_url: str | None) -> AuthMethod:
    """The admin's choice if the SIS supports it; else OAuth 1.0a for a generic 1.1 SIS without a
    token URL (the 1.1 default), else the vendor's preferred method."""
    if requested is not None:
        if requested not in profile.auth_methods:
            allowed = ", ".join(a.value for a in profile.auth_methods)
            raise InvalidRequest(f"{profile.name} does not support {requested.value}.",
                                 hint=f"Use one of: {allowed}, or leave auth_method out.", field="auth_method")
        return requested
    if AuthMethod.OAUTH1 in profile.auth_methods and AuthMethod.OAUTH2 in profile.auth_methods:
        return AuthMethod.OAUTH2 if token_url and profile.default_auth is AuthMethod.OAUTH1 else profile.default_auth
    return profile.default_auth


def connect(caller: Caller, request: ConnectRequest, deps: Deps) -> ConnectionView:
    require_admin(caller, deps)
    profile = get_profile(request.sis)
    insecure = deps.settings.allow_insecure_sis
    host_url = parse_host_url(request.host_url, allow_insecure=insecure)
    token_url = parse_host_url(request.token_url, allow_insecure=insecure, field="token_url") \
        if request.token_url else None
    auth = choose_auth(profile, request.auth_method, token_url)
    if auth is AuthMethod.OAUTH1 and token_url:
        raise InvalidRequest("A token URL is only used with OAuth 2.",
                             hint="Leave token_url out for OAuth 1.0a, or choose auth_method oauth2.", field="token_url")
    endpoints = profile.endpoints(host_url, auth=auth, token_url=token_url)
    for url, field in ((host_url, "host_url"), (endpoints.token_url, "token_url")):
        if url:
            _refuse_internal(url, field, deps)

    previous = deps.connections.get(caller.tenant)
    payload = json.dumps({"access_key": request.access_key, "secret_code": request.secret_code})
    ref = deps.secrets.put(credential_secret_name(caller.tenant), payload)
    conn = Connection(
        tenant_id=caller.tenant,
        sis=profile.id,
        host_url=host_url,
        token_url=token_url,
        auth_method=auth,
        status=ConnectionStatus.CONNECTED,
        teacher_export_enabled=previous.teacher_export_enabled if previous else True,
        secret_ref=ref,
        access_key_hint=request.access_key[-4:] if len(request.access_key) > 8 else "",
        created_at=previous.created_at if previous else None,
    )

    def save(txn):  # type: ignore[no-untyped-def]
        saved = deps.connections.save(conn, txn=txn)
        deps.audit.append(caller.tenant, actor=caller.email, action="connection.connected",
                          before=audit_snapshot(previous), after=audit_snapshot(saved), txn=txn)
        return saved

    return view(deps.store.transaction(save))


def _refuse_internal(url: str, field: str, deps: Deps) -> None:
    """SSRF guard at save time. A name that does not resolve yet is accepted here; Authorize
    reports it with its own code."""
    try:
        check_destination(url, allow_insecure=deps.settings.allow_insecure_sis, resolver=deps.resolver, field=field)
    except InvalidRequest:
        raise
    except AppError:
        pass


def _connected(caller: Caller, deps: Deps) -> Connection:
    conn = deps.connections.get(caller.tenant)
    if conn is None:
        raise NotFound("No SIS is connected yet.", hint="Connect an SIS first (POST /connect).")
    if conn.status is ConnectionStatus.DISCONNECTED or conn.secret_ref is None:
        raise Conflict("The SIS is disconnected.", hint="Connect it again with its host URL, access key and secret code.")
    return conn


def authorize(caller: Caller, deps: Deps) -> AuthorizeOutcome:
    """The live check: DNS and address, token, a roster read, then the gradebook scope."""
    require_admin(caller, deps)
    conn = _connected(caller, deps)
    credentials = json.loads(deps.secrets.get(conn.secret_ref))  # type: ignore[arg-type]
    checks, failure = asyncio.run(authorize_checks(conn, credentials, deps))
    now = utc_now()
    checks = tuple(replace(c, at=now) for c in checks)

    def record(current: Connection) -> Connection:
        if failure is None:
            return replace(current, status=ConnectionStatus.AUTHORIZED, checks=checks, last_error=None)
        return replace(current, status=ConnectionStatus.ERROR, checks=checks,
                       last_error=LastError.from_error(failure, at=now))

    before = conn
    saved = deps.connections.modify(caller.tenant, record)
    deps.audit.append(caller.tenant, actor=caller.email,
                      action="connection.authorized" if failure is None else "connection.authorize_failed",
                      before=audit_snapshot(before), after=audit_snapshot(saved))
    if failure is not None:
        failure.details.setdefault("checks", [{"name": c.name, "ok": c.ok, "message": c.message} for c in checks])
        raise failure
    return AuthorizeOutcome(status=saved.status, checks=checks, connection=view(saved))


def set_permissions(caller: Caller, teacher_export_enabled: bool, deps: Deps) -> ConnectionView:
    require_admin(caller, deps)
    before = deps.connections.get(caller.tenant)
    if before is None:
        raise NotFound("No SIS is connected yet.", hint="Connect an SIS first (POST /connect).")
    saved = deps.connections.modify(caller.tenant, lambda c: replace(c, teacher_export_enabled=teacher_export_enabled))
    deps.audit.append(caller.tenant, actor=caller.email, action="permissions.changed",
                      before={"teacher_export_enabled": before.teacher_export_enabled},
                      after={"teacher_export_enabled": saved.teacher_export_enabled})
    return view(saved)


def webhook_secret_name(tenant: str) -> str:
    return secret_name(f"tenant-{tenant}-webhook")


def rotate_webhook_secret(caller: Caller, deps: Deps) -> WebhookSecret:
    require_admin(caller, deps)
    value = "whsec_" + random_secrets.token_urlsafe(32)
    deps.secrets.put(webhook_secret_name(caller.tenant), value)
    deps.audit.append(caller.tenant, actor=caller.email, action="webhook.rotated",
                      before=None, after={"rotated_at": utc_now().isoformat()})
    return WebhookSecret(webhook_secret=value)


def audit_log(caller: Caller, deps: Deps, *, limit: int = 50) -> list[AuditEvent]:
    """The tenant's audit events, newest first (settings and state only, never credentials)."""
    require_admin(caller, deps)
    return deps.audit.recent(caller.tenant, limit=limit)
