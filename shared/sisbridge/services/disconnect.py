"""Disconnecting: exports stop and the credentials are deleted; history, links and ledger stay,
so reconnecting later rewrites the same sourcedIds instead of duplicating anything."""

from __future__ import annotations

from dataclasses import replace

from sisbridge.bootstrap import Deps
from sisbridge.identity import Caller
from sisbridge.repositories import ConnectionStatus

from .access import require_admin
from .sis_session import credential_secret_name
from .views import ConnectionView, audit_snapshot, view


def disconnect(caller: Caller, deps: Deps) -> ConnectionView:
    """Idempotent: disconnecting twice, or with nothing connected, changes nothing and succeeds."""
    require_admin(caller, deps)
    before = deps.connections.get(caller.tenant)
    if before is None or before.status is ConnectionStatus.DISCONNECTED:
        deps.secrets.delete(credential_secret_name(caller.tenant))  # a crash may have left it
        return view(before)
    deps.secrets.delete(credential_secret_name(caller.tenant))
    saved = deps.connections.modify(
        caller.tenant, lambda c: replace(c, status=ConnectionStatus.DISCONNECTED, secret_ref=None, checks=())
    )
    deps.audit.append(caller.tenant, actor=caller.email, action="connection.disconnected",
                      before=audit_snapshot(before), after=audit_snapshot(saved))
    return view(saved)
