"""The Flask app: admin routes under `/_sandbox/`, token endpoints, and one OneRoster dispatcher.

Every other path goes through `_dispatch`: token path? → token endpoint. Else the longest mounted
service base that prefixes the path picks the vendor and version, and the request then passes,
in order: concurrency gate → injected faults → latency → authentication → route match (404/405)
→ vendor DELETE support (405) → scope (403) → handler.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from flask import Flask, Response, g, request

from sisbridge.sandbox import seed
from sisbridge.vendors import AuthMethod, OneRosterVersion

from . import gradebook, rostering  # noqa: F401  (importing registers their routes)
from .auth import Principal, TokenReply, require_scope, unauthorised
from .config import SandboxConfig
from .context import ROUTES, Ctx, Reply
from .imsx import ImsxError, status_body
from .state import Mount, SisSandbox, VendorState

VENDOR_HEADER = "X-Vendor-Authorization"
_METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH"]


def _json(status: int, body: Any, headers: Any = ()) -> Response:
    if body is None:
        return Response(status=status, headers=list(headers))
    return Response(json.dumps(body, separators=(",", ":")), status=status, headers=list(headers),
                    mimetype="application/json")


def _vendor_header_ok(vendor: VendorState) -> bool:
    """Infinite Campus-style partner header: optional, but if sent it must be right."""
    if VENDOR_HEADER not in vendor.profile.extra_headers:
        return True
    sent = request.headers.get(VENDOR_HEADER)
    return sent is None or hmac.compare_digest(sent.encode(), seed.VENDOR_KEY.encode())


def _authenticate(sandbox: SisSandbox, vendor: VendorState, mount: Mount) -> Principal:
    if not _vendor_header_ok(vendor):
        raise unauthorised(f"Wrong {VENDOR_HEADER} header")
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return sandbox.auth.bearer(vendor.id, credentials.strip())
    if scheme.lower() == "oauth":
        if AuthMethod.OAUTH1 not in vendor.profile.auth_methods or mount.version is not OneRosterVersion.V1P1:
            raise unauthorised("OAuth 1.0a is not accepted here; use an OAuth 2 bearer token")
        query = request.query_string.decode("utf-8", "replace")
        return sandbox.auth.oauth1(vendor.id, method=request.method, url=request.base_url, query=query,
                                   authorization=header)
    raise unauthorised("Authorization required")


def _serve(sandbox: SisSandbox, vendor: VendorState, mount: Mount, rest: str) -> Reply:
    hold_until = g.arrived + sandbox.config.latency_ms / 1000 if sandbox.config.latency_ms else 0.0
    with sandbox.traffic.admit(vendor.id, hold_until=hold_until):
        principal = _authenticate(sandbox, vendor, mount)
        segments = [s for s in rest.split("/") if s]
        candidates = [(r, p) for r in ROUTES
                      if r.service in mount.services and (p := r.match(segments)) is not None]
        if not candidates:
            raise ImsxError(404, "unknownobject", f"No OneRoster endpoint at {rest or '/'}")
        chosen = next(((r, p) for r, p in candidates if r.method == request.method), None)
        if chosen is None:
            allowed = ", ".join(sorted({r.method for r, _ in candidates}))
            raise ImsxError(405, "unsupportedoperation", f"{request.method} is not supported on {rest}",
                            headers={"Allow": allowed})
        route, params = chosen
        if route.method == "DELETE" and not vendor.profile.limits.supports_delete:
            raise ImsxError(405, "unsupportedoperation", f"{vendor.profile.name} does not support DELETE",
                            headers={"Allow": "GET, PUT"})
        require_scope(principal, mount.version, route.scopes)
        return route.handler(Ctx(vendor, mount.version, request, sandbox.config), *params)


def _token(sandbox: SisSandbox, vendor: VendorState) -> Response:
    if request.method != "POST":
        reply = TokenReply(405, {"error": "invalid_request", "error_description": "Use POST"},
                           {"Allow": "POST"})
    elif not _vendor_header_ok(vendor):
        reply = TokenReply(401, {"error": "invalid_client", "error_description": f"Wrong {VENDOR_HEADER}"},
                           {})
    else:
        auth = request.authorization
        basic = None
        if auth is not None and auth.type == "basic":
            basic = (auth.username or "", auth.password or "")
        reply = sandbox.auth.issue(vendor.profile, request.form, basic)
    sandbox.counters.record_token(vendor.id, reply.status)
    return _json(reply.status, reply.body, reply.headers.items())


def _dispatch(sandbox: SisSandbox, path: str = "") -> Response:
    norm = request.path.rstrip("/") or "/"
    token_vendor = sandbox.token_paths.get(norm)
    if token_vendor is not None:
        return _token(sandbox, sandbox.vendors[token_vendor])
    found = sandbox.find_mount(norm)
    if found is None:
        return _json(404, status_body(f"No OneRoster service at {request.path}", "unknownobject"))
    mount, rest = found
    vendor = sandbox.vendors[mount.vendor]
    try:
        reply = _serve(sandbox, vendor, mount, rest)
    except ImsxError as err:
        body = status_body(err.description, err.code_minor, version=mount.version)
        reply = Reply(err.status, body, tuple(err.headers.items()))
    sandbox.counters.record(vendor.id, request.method, reply.status)
    return _json(reply.status, reply.body, reply.headers)


def _register_admin(app: Flask, sandbox: SisSandbox) -> None:
    @app.post("/_sandbox/reset")
    def reset() -> Response:
        sandbox.reset()
        return _json(200, {"reset": True})

    @app.get("/_sandbox/stats")
    def stats() -> Response:
        return _json(200, sandbox.stats())

    @app.post("/_sandbox/revoke-tokens")
    def revoke_tokens() -> Response:
        return _json(200, {"revoked": sandbox.revoke_tokens()})

    @app.route("/_sandbox/knobs", methods=["GET", "PUT"])
    def knobs() -> Response:
        if request.method == "PUT":
            changes = request.get_json(silent=True)
            if not isinstance(changes, dict):
                return _json(400, {"error": "body must be a JSON object of knob values"})
            try:
                sandbox.config.update(changes)
            except ValueError as exc:
                return _json(400, {"error": str(exc)})
        return _json(200, sandbox.config.as_dict())

    @app.get("/_sandbox/<vendor>/gradebook")
    def raw_gradebook(vendor: str) -> Response:
        if vendor not in sandbox.vendors:
            return _json(404, {"error": f"unknown vendor {vendor!r}"})
        return _json(200, sandbox.gradebook(vendor))

    @app.post("/_sandbox/<vendor>/classes")
    def add_class(vendor: str) -> Response:
        """Add a class taught by `teacher` with `students` (the bench's big classes); reset drops it.
        Body: {class_sourced_id, title, term, teacher: person, students: [person]}, person =
        {sourced_id, email, given, family}."""
        if vendor not in sandbox.vendors:
            return _json(404, {"error": f"unknown vendor {vendor}"})
        body = request.get_json(force=True)
        people = [seed.Person(p["sourced_id"], p.get("google_id", ""), p["given"], p["family"], p["email"])
                  for p in (body["teacher"], *body["students"])]
        sec = seed.Section(body["class_sourced_id"], body["title"], body.get("class_code", "BENCH"),
                           body.get("course_sourced_id", "crs-" + body["class_sourced_id"]), people[0].sourced_id,
                           body.get("term", "as-2027-s1"), tuple(p.sourced_id for p in people[1:]), "", ())
        sandbox.vendors[vendor].add_class(sec, people)
        return _json(201, {"class_sourced_id": sec.class_sourced_id, "students": len(sec.students)})

    @app.get("/_sandbox/vendors")
    def vendors() -> Response:
        server = request.host_url.rstrip("/")
        out: dict[str, Any] = {}
        for vid, state in sandbox.vendors.items():
            eps = {v.value: sandbox.endpoints(server, vid, v) for v in state.profile.versions}
            out[vid] = {"host_url": f"{server}/{vid}", "versions": {
                k: {"rostering": e.rostering, "gradebook": e.gradebook, "token_url": e.token_url}
                for k, e in eps.items()}}
        return _json(200, out)


def create_app(config: SandboxConfig | None = None) -> Flask:
    """A Flask app serving every configured vendor; its state is `app.extensions["sis_sandbox"]`."""
    sandbox = SisSandbox(config or SandboxConfig())
    app = Flask("sisbridge.sandbox.sis")

    @app.before_request
    def arrived() -> None:
        g.arrived = time.perf_counter()

    app.extensions["sis_sandbox"] = sandbox
    _register_admin(app, sandbox)

    def oneroster(path: str = "") -> Response:
        return _dispatch(sandbox, path)

    app.add_url_rule("/", "oneroster_root", oneroster, methods=_METHODS)
    app.add_url_rule("/<path:path>", "oneroster", oneroster, methods=_METHODS)
    return app
