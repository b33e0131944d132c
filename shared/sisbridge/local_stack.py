"""`sisbridge serve`: every function on one port under its own name, exactly as deployed, plus the
sandboxes, on embedded adapters (SQLite, local encrypted secrets, local sign-in keys)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from sisbridge import bootstrap
from sisbridge.config import Settings
from sisbridge.sandbox import runner

FUNCTIONS = ("connect", "export", "disconnect")
REPO = Path(__file__).resolve().parents[2]

LOCAL_DEFAULTS = {
    # The sandboxes speak http on loopback; this is refused on Cloud Functions by config.py.
    "SISBRIDGE_ALLOW_INSECURE_SIS": "1",
}


def functions_app(functions_dir: Path = REPO / "functions") -> Any:
    """One WSGI app: `/connect/...`, `/export/...`, `/disconnect/...`, each the real function app."""
    import functions_framework

    mounts = {
        f"/{name}": _root_as_slash(
            functions_framework.create_app(target=name, source=str(functions_dir / name / "main.py"))
        )
        for name in FUNCTIONS
    }

    def index(environ: Any, start_response: Any) -> Any:
        body = {"service": "sisbridge", "functions": [f"/{n}" for n in FUNCTIONS]}
        return Response(__import__("json").dumps(body), mimetype="application/json")(environ, start_response)

    return DispatcherMiddleware(index, mounts)


def _root_as_slash(app: Any) -> Any:
    """`/connect` reaches the mounted app with an empty path; deployed, the function sees `/`."""

    def mounted(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("PATH_INFO"):
            environ = {**environ, "PATH_INFO": "/"}
        return app(environ, start_response)

    return mounted


def apply_local_defaults(environ: dict[str, str] | None = None) -> None:
    env = os.environ if environ is None else environ
    for key, value in LOCAL_DEFAULTS.items():
        env.setdefault(key, value)


def start(*, host: str = "127.0.0.1", port: int = 8080) -> runner.RunningServer:
    apply_local_defaults()
    bootstrap.use(bootstrap.build(Settings.from_env()))
    return runner.start(functions_app(), host=host, port=port)
