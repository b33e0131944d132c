"""Routes of the `export` function: teachers link and export; Cloud Tasks, Cloud Scheduler and
signed webhooks trigger runs."""

from __future__ import annotations

import io
from typing import Any

from flask import Request

from sisbridge import bootstrap, webhook_signature
from sisbridge.bootstrap import Deps
from sisbridge.config import IdentityMode
from sisbridge.errors import CourseNotLinked, Forbidden, PayloadTooLarge, SecretNotFound, Unauthenticated
from sisbridge.export_store import Trigger
from sisbridge.http import Router, authenticate, bearer_token, optional_bool, read_json, require_str
from sisbridge.identity import TokenVerifier
from sisbridge.ports.secrets import LATEST, SecretRef
from sisbridge.ports.tasks import TASK_NAME_HEADER, ExportTask
from sisbridge.repositories import utc_now
from sisbridge.services import export as exports
from sisbridge.services import linking
from sisbridge.services.access import require_admin, tenant_of
from sisbridge.services.connect import webhook_secret_name

router = Router("export")


@router.route("GET", "/health")
def health(request: Request) -> Any:
    return {"status": "ok"}


# ---- teachers -----------------------------------------------------------------------------------


@router.route("GET", "/courses")
def courses(request: Request) -> Any:
    deps = bootstrap.deps()
    return {"courses": linking.my_courses(authenticate(request, deps.verifier), deps)}


@router.route("GET", "/courses/{course_id}/candidates")
def candidates(request: Request, course_id: str) -> Any:
    deps = bootstrap.deps()
    return {"candidates": linking.candidates(authenticate(request, deps.verifier), course_id, deps)}


@router.route("PUT", "/courses/{course_id}/link")
def link(request: Request, course_id: str) -> Any:
    deps = bootstrap.deps()
    caller = authenticate(request, deps.verifier)
    body = read_json(request, max_bytes=deps.settings.max_body_bytes, allowed=("class_sourced_id",))
    return linking.link(caller, course_id, require_str(body, "class_sourced_id", max_len=255), deps)


@router.route("DELETE", "/courses/{course_id}/link")
def unlink(request: Request, course_id: str) -> Any:
    deps = bootstrap.deps()
    return linking.unlink(authenticate(request, deps.verifier), course_id, deps)


@router.route("POST", "/courses/{course_id}/exports")
def start_export(request: Request, course_id: str) -> Any:
    deps = bootstrap.deps()
    caller = authenticate(request, deps.verifier)
    body = read_json(request, max_bytes=deps.settings.max_body_bytes, allowed=("dry_run", "full")) \
        if request.content_length else {}
    full = bool(optional_bool(body, "full"))
    if optional_bool(body, "dry_run"):
        return exports.preview(caller, course_id, deps, full=full)
    return exports.trigger(caller, course_id, deps, full=full), 202


@router.route("GET", "/courses/{course_id}/exports")
def runs(request: Request, course_id: str) -> Any:
    deps = bootstrap.deps()
    return {"runs": exports.list_runs(authenticate(request, deps.verifier), course_id, deps)}


@router.route("GET", "/courses/{course_id}/exports/{run_id}")
def run(request: Request, course_id: str, run_id: str) -> Any:
    deps = bootstrap.deps()
    return exports.get_run(authenticate(request, deps.verifier), course_id, run_id, deps)


@router.route("GET", "/overview")
def overview(request: Request) -> Any:
    deps = bootstrap.deps()
    caller = authenticate(request, deps.verifier)
    require_admin(caller, deps)
    return {"classes": exports.overview(caller.tenant, deps)}


# ---- machines -----------------------------------------------------------------------------------


def _service_caller(request: Request, deps: Deps) -> str:
    """Cloud Tasks and Cloud Scheduler: an OIDC token of the invoker account for the worker URL.
    Locally (no Cloud Tasks): a local admin's token."""
    settings = deps.settings
    if settings.identity_mode is IdentityMode.LOCAL:
        caller = authenticate(request, deps.verifier)
        if not tenant_of(caller, deps).is_admin(caller.email):
            raise Forbidden("Only an admin may call the export worker locally.")
        return caller.email
    verifier = TokenVerifier(deps.verifier.keys, issuers=settings.issuers, audience=str(settings.worker_url))
    return verifier.verify_service(bearer_token(request), email=str(settings.invoker_email))


@router.route("POST", "/tasks/run")
def task(request: Request) -> Any:
    deps = bootstrap.deps()
    _service_caller(request, deps)
    body = read_json(request, max_bytes=deps.settings.max_body_bytes)
    job = ExportTask.from_json(body, name=request.headers.get(TASK_NAME_HEADER))
    return exports.run_task(job, deps)


@router.route("POST", "/schedule")
def schedule(request: Request) -> Any:
    deps = bootstrap.deps()
    _service_caller(request, deps)
    return exports.schedule(deps, slot=exports.slot_for(utc_now()))


@router.route("POST", "/webhook")
def webhook(request: Request) -> Any:
    deps = bootstrap.deps()
    raw, body = _signed_json(request, max_bytes=deps.settings.max_body_bytes)
    course_id = require_str(body, "course_id", max_len=64)
    try:
        tenant = exports.webhook_tenant(course_id, deps)
        secret = deps.secrets.get(SecretRef(name=webhook_secret_name(tenant), version=LATEST))
    except (CourseNotLinked, SecretNotFound):  # an unknown course tells a caller no more than a bad signature
        raise Unauthenticated("The webhook signature does not match.",
                              hint="Sign with your school's current webhook secret (POST /connect/webhook-secret).") from None
    webhook_signature.verify(request.headers.get(webhook_signature.HEADER), raw, secret)
    run_, coalesced = exports.request_export(tenant, course_id, deps, trigger=Trigger.WEBHOOK, actor="webhook")
    return {"run_id": run_.run_id, "state": run_.state, "coalesced": coalesced}, 202


def _signed_json(request: Request, *, max_bytes: int) -> tuple[bytes, dict[str, Any]]:
    """The webhook body exactly as signed, and as JSON. A request body can be read only once: the
    bytes are read first (bounded), then `read_json` parses a replay of them."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes", limit=max_bytes)
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(min(65536, max_bytes + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes", limit=max_bytes)
    raw = b"".join(chunks)
    request.stream = io.BytesIO(raw)  # type: ignore[assignment]  (a cached property: this replaces it)
    return raw, read_json(request, max_bytes=max_bytes, allowed=("course_id",))
