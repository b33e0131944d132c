"""What the API shows of a connection: never a secret, always what an admin needs to act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sisbridge.repositories import Check, Connection, ConnectionStatus, LastError
from sisbridge.vendors import PROFILES, AuthMethod

SECRET_MASK = "••••••••"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionView:
    status: ConnectionStatus
    sis: str | None = None
    sis_name: str | None = None
    host_url: str | None = None
    token_url: str | None = None
    auth_method: AuthMethod | None = None
    oneroster_version: str | None = None
    rostering_url: str | None = None
    gradebook_url: str | None = None
    access_key: str | None = None  # masked
    secret_code: str | None = None  # always the mask when a secret is stored
    teacher_export_enabled: bool = True
    saas_eligible: bool | None = None
    saas_note: str = ""
    last_error: LastError | None = None
    checks: tuple[Check, ...] = ()
    updated_at: datetime | None = None


def mask_key(access_key: str) -> str:
    return SECRET_MASK + access_key[-4:] if len(access_key) > 8 else SECRET_MASK


def view(conn: Connection | None) -> ConnectionView:
    if conn is None:
        return ConnectionView(status=ConnectionStatus.NONE)
    profile = PROFILES[conn.sis]
    endpoints = profile.endpoints(conn.host_url, auth=conn.auth_method, token_url=conn.token_url)
    saas = profile.is_saas_host(conn.host_url)
    if not profile.saas_host_patterns:
        note = "No vendor-hosted address pattern is known for this SIS."
    elif saas:
        note = f"{conn.host_url} is hosted by {profile.name} (SaaS)."
    else:
        note = (f"{conn.host_url} does not look vendor-hosted; Google supports only SaaS deployments of "
                f"{profile.name}, sisbridge works with either.")
    stored = conn.secret_ref is not None
    return ConnectionView(
        status=conn.status,
        sis=conn.sis,
        sis_name=profile.name,
        host_url=conn.host_url,
        token_url=endpoints.token_url,
        auth_method=conn.auth_method,
        oneroster_version=endpoints.version.value,
        rostering_url=endpoints.rostering,
        gradebook_url=endpoints.gradebook,
        access_key=(SECRET_MASK + conn.access_key_hint) if stored else None,
        secret_code=SECRET_MASK if stored else None,
        teacher_export_enabled=conn.teacher_export_enabled,
        saas_eligible=saas if profile.saas_host_patterns else None,
        saas_note=note,
        last_error=conn.last_error,
        checks=conn.checks,
        updated_at=conn.updated_at,
    )


def audit_snapshot(conn: Connection | None) -> dict[str, Any] | None:
    """A connection as the audit log keeps it: settings and state, never credentials."""
    if conn is None:
        return None
    return {
        "sis": conn.sis,
        "host_url": conn.host_url,
        "token_url": conn.token_url,
        "auth_method": conn.auth_method.value,
        "status": conn.status.value,
        "teacher_export_enabled": conn.teacher_export_enabled,
    }


def partner_rows() -> list[dict[str, Any]]:
    """The partnership status table, with each vendor's credential steps, from the profiles."""
    return [
        {
            "sis": p.id,
            "name": p.name,
            "partnership": p.partnership.value,
            "status": p.partnership_text,
            "licence": p.licence,
            "oneroster_versions": [v.value for v in p.versions],
            "auth_methods": [a.value for a in p.auth_methods],
            "host_url_example": p.host_url_example,
            "credential_steps": list(p.credential_steps),
            "unknowns": list(p.unknowns),
        }
        for p in PROFILES.values()
    ]
