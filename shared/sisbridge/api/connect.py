"""Routes of the `connect` function (admins): the SIS connection, its check, permissions, webhook."""

from __future__ import annotations

from typing import Any

from flask import Request

from sisbridge import bootstrap
from sisbridge.http import (
    Router,
    authenticate,
    optional_enum,
    optional_str,
    read_json,
    require_bool,
    require_str,
)
from sisbridge.services import connect as service
from sisbridge.services.views import partner_rows
from sisbridge.vendors import AuthMethod

router = Router("connect")

CONNECT_FIELDS = ("sis", "host_url", "access_key", "secret_code", "token_url", "auth_method")


@router.route("GET", "/partners")
def partners(request: Request) -> Any:
    """The partnership status table: public, no sign-in."""
    return {"partners": partner_rows()}


@router.route("GET", "/")
def get_connection(request: Request) -> Any:
    deps = bootstrap.deps()
    return service.get_connection(authenticate(request, deps.verifier), deps)


@router.route("POST", "/")
def connect(request: Request) -> Any:
    deps = bootstrap.deps()
    caller = authenticate(request, deps.verifier)
    body = read_json(request, max_bytes=deps.settings.max_body_bytes, allowed=CONNECT_FIELDS)
    command = service.ConnectRequest(
        sis=require_str(body, "sis", max_len=64),
        host_url=require_str(body, "host_url", max_len=2048),
        access_key=require_str(body, "access_key", max_len=512),
        secret_code=require_str(body, "secret_code", max_len=4096, strip=False),
        token_url=optional_str(body, "token_url", max_len=2048),
        auth_method=optional_enum(body, "auth_method", AuthMethod),
    )
    return service.connect(caller, command, deps), 201


@router.route("POST", "/authorize")
def authorize(request: Request) -> Any:
    deps = bootstrap.deps()
    return service.authorize(authenticate(request, deps.verifier), deps)


@router.route("PUT", "/permissions")
def permissions(request: Request) -> Any:
    deps = bootstrap.deps()
    caller = authenticate(request, deps.verifier)
    body = read_json(request, max_bytes=deps.settings.max_body_bytes, allowed=("teacher_export_enabled",))
    return service.set_permissions(caller, require_bool(body, "teacher_export_enabled"), deps)


@router.route("POST", "/webhook-secret")
def webhook_secret(request: Request) -> Any:
    deps = bootstrap.deps()
    return service.rotate_webhook_secret(authenticate(request, deps.verifier), deps)


@router.route("GET", "/audit")
def audit(request: Request) -> Any:
    """The admin console's audit log: the 50 newest events."""
    deps = bootstrap.deps()
    return {"events": service.audit_log(authenticate(request, deps.verifier), deps)}
