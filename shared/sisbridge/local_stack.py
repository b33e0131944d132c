"""`sisbridge serve`: every function on one port under its own name, exactly as deployed, plus the
sandboxes, on embedded adapters (SQLite, local encrypted secrets, local sign-in keys).

`local_app()` is what `serve` runs: the functions, the static console (`console/`) at `/`, and
two routes that exist only here, never in a deployed function:

    GET  /local/config    the sandbox's host URLs and credentials, so the console can pre-fill them
    POST /local/sign-in   {email, admin?} → {token}: a token minted like `sisbridge token`

Both refuse unless identity is local, the stack is not on Google Cloud, and the caller is on
loopback.
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Request
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from sisbridge import bootstrap
from sisbridge.config import IdentityMode, Settings
from sisbridge.errors import AppError, Forbidden, InvalidRequest, MethodNotAllowed, NotFound
from sisbridge.http import error_response, optional_bool, read_json, require_str, to_json
from sisbridge.sandbox import runner

FUNCTIONS = ("connect", "export", "disconnect")
REPO = Path(__file__).resolve().parents[2]
CONSOLE_DIR = REPO / "console"
SIGN_IN_TTL_S = 8 * 3600  # as `sisbridge token`

LOCAL_DEFAULTS = {
    # The sandboxes speak http on loopback; this is refused on Cloud Functions by config.py.
    "SISBRIDGE_ALLOW_INSECURE_SIS": "1",
}

# The console is served with the same policy static hosting should set (console/README.md).
CONSOLE_HEADERS = {
    # Google Identity Services (the cloud sign-in) is the only outside origin: its script, button
    # frame and styles.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' https://accounts.google.com/gsi/client; "
        "style-src 'self' https://accounts.google.com/gsi/style; frame-src https://accounts.google.com/gsi/; "
        "connect-src 'self' https://accounts.google.com/gsi/; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8",
                 ".json": "application/json; charset=utf-8", ".svg": "image/svg+xml"}


def _function_mounts(functions_dir: Path) -> dict[str, Any]:
    import functions_framework

    return {
        f"/{name}": _root_as_slash(
            functions_framework.create_app(target=name, source=str(functions_dir / name / "main.py"))
        )
        for name in FUNCTIONS
    }


def functions_app(functions_dir: Path = REPO / "functions") -> Any:
    """One WSGI app: `/connect/...`, `/export/...`, `/disconnect/...`, each the real function app."""

    def index(environ: Any, start_response: Any) -> Any:
        body = {"service": "sisbridge", "functions": [f"/{n}" for n in FUNCTIONS]}
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    return DispatcherMiddleware(index, _function_mounts(functions_dir))


def local_app(functions_dir: Path = REPO / "functions", console_dir: Path = CONSOLE_DIR) -> Any:
    """The functions as `functions_app` mounts them, the console at `/`, and the local-only routes."""
    mounts = {**_function_mounts(functions_dir), "/local": local_routes}
    return DispatcherMiddleware(console_app(console_dir), mounts)


def _root_as_slash(app: Any) -> Any:
    """`/connect` reaches the mounted app with an empty path; deployed, the function sees `/`."""

    def mounted(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("PATH_INFO"):
            environ = {**environ, "PATH_INFO": "/"}
        return app(environ, start_response)

    return mounted


# ------------------------------------------------------------------------------------- console


def console_app(console_dir: Path = CONSOLE_DIR) -> Any:
    """The static console: `/` is index.html; files only, no listing, no dotfiles."""
    root = str(console_dir.resolve())

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            if request.method not in ("GET", "HEAD"):
                raise MethodNotAllowed(f"{request.method} is not allowed on {request.path}",
                                       allow=("GET", "HEAD"))
            relative = request.path.lstrip("/") or "index.html"
            path = safe_join(root, relative)
            hidden = any(part.startswith(".") for part in relative.split("/"))
            if path is None or hidden or not os.path.isfile(path):
                raise NotFound(f"no such path: {request.path}", hint="The console starts at /.")
        except AppError as err:
            return error_response(err)(environ, start_response)
        suffix = Path(path).suffix.lower()
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0]
        content_type = content_type or "application/octet-stream"
        with open(path, "rb") as f:
            body = f.read()
        response = Response(body if request.method == "GET" else b"", content_type=content_type)
        response.headers.update(CONSOLE_HEADERS)
        response.content_length = len(body)
        return response(environ, start_response)

    return serve


# ---------------------------------------------------------------------------- local-only routes


def local_routes(environ: dict[str, Any], start_response: Any) -> Any:
    request = Request(environ)
    try:
        settings = bootstrap.deps().settings
        _refuse_unless_local(request, settings)
        route = (request.method, request.path.rstrip("/") or "/")
        if route == ("GET", "/config"):
            body: Any = local_config(settings)
        elif route == ("POST", "/sign-in"):
            payload = read_json(request, max_bytes=settings.max_body_bytes, allowed=("email", "admin"))
            email = require_str(payload, "email", max_len=254)
            body = sign_in(email, admin=bool(optional_bool(payload, "admin")))
        elif request.path.rstrip("/") in ("/config", "/sign-in"):
            raise MethodNotAllowed(f"{request.method} is not allowed on /local{request.path}",
                                   allow=("GET", "HEAD") if request.path.startswith("/config") else ("POST",))
        else:
            raise NotFound(f"no such path: /local{request.path}", hint="Check the URL.")
    except AppError as err:
        return error_response(err)(environ, start_response)
    response = Response(to_json(body), content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response(environ, start_response)


def _refuse_unless_local(request: Request, settings: Settings) -> None:
    if settings.identity_mode is not IdentityMode.LOCAL or settings.on_cloud:
        raise Forbidden("Local sign-in is off: this sisbridge checks Google ID tokens.",
                        hint="Sign in with Google, or run the local stack with SISBRIDGE_IDENTITY=local.")
    try:
        loopback = ipaddress.ip_address((request.remote_addr or "").split("%")[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise Forbidden("Local sign-in only answers on this machine (loopback).",
                        hint="Open the console at http://localhost:8080/ on the machine that runs sisbridge.")


def sandbox_url(settings: Settings) -> str | None:
    """The sandboxes' root, when the Classroom API is the local sandbox's (`<root>/classroom`)."""
    url = settings.classroom_api_url.rstrip("/")
    host = urlsplit(url).hostname or ""
    if not url.endswith("/classroom") or host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return url[: -len("/classroom")]


def local_config(settings: Settings) -> dict[str, Any]:
    """What the console pre-fills in local mode: the sandbox SIS per vendor and its credentials."""
    from sisbridge.sandbox import seed
    from sisbridge.vendors import PROFILES

    base = sandbox_url(settings)
    sandbox = None
    if base is not None:
        sandbox = {
            "url": base,
            "host_urls": {sis: f"{base}/{sis}" for sis in PROFILES},
            # Capita's token service is vendor-hosted; the sandbox serves it under its own path.
            "token_urls": {sis: f"{base}/{sis}/connect/token" for sis, p in PROFILES.items() if p.token_url},
            "access_key": seed.ACCESS_KEY,
            "secret_code": seed.SECRET_CODE,
        }
    return {
        "identity": settings.identity_mode.value,
        "sandbox": sandbox,
        "people": {"admin": f"admin@{seed.DOMAIN}", "teacher": seed.TEACHERS[0].email},
    }


def sign_in(email: str, *, admin: bool = False) -> dict[str, Any]:
    """A local token for `email`, as `sisbridge token [--admin]` mints it."""
    from sisbridge.identity_keys import LocalKeys
    from sisbridge.services.access import grant_admin

    deps = bootstrap.deps()
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or "@" in domain or any(c.isspace() for c in email):
        raise InvalidRequest("Enter an email address such as ada.lovelace@district.example.", field="email")
    if admin:
        grant_admin(deps.tenants, email)
    keys = LocalKeys(deps.settings.key_dir)
    token = keys.mint_token(email, audience=deps.settings.audience, ttl=SIGN_IN_TTL_S)
    return {"token": token, "email": email, "admin": admin, "expires_in": SIGN_IN_TTL_S}


# --------------------------------------------------------------------------------------- serve


def apply_local_defaults(environ: dict[str, str] | None = None) -> None:
    env = os.environ if environ is None else environ
    for key, value in LOCAL_DEFAULTS.items():
        env.setdefault(key, value)


def start(*, host: str = "127.0.0.1", port: int = 8080) -> runner.RunningServer:
    apply_local_defaults()
    bootstrap.use(bootstrap.build(Settings.from_env()))
    return runner.start(local_app(), host=host, port=port)
