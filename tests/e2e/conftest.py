"""The whole product over loopback: Classroom sandbox → sisbridge → SIS sandbox, embedded adapters.

`world` is one district: both sandboxes on one loopback server and a `bootstrap.Deps` on SQLite,
local secrets and local sign-in keys, installed with `bootstrap.use()` so the Cloud Functions see
it too. `another_world` builds a second, independent one (its own sandboxes and store) for
comparisons; it is not installed. `export_api` is the real `export` Cloud Function behind the
functions-framework test client.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import functions_framework
import httpx2
import pytest
from flask.testing import FlaskClient
from functions_framework import _function_registry
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from sisbridge import bootstrap
from sisbridge.adapters.local_secrets import LocalSecretStore
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.config import Settings
from sisbridge.identity import Caller, verifier_from_settings
from sisbridge.identity_keys import LocalKeys
from sisbridge.sandbox import runner, seed
from sisbridge.sandbox.classroom import ClassroomConfig
from sisbridge.sandbox.classroom import create_app as classroom_app
from sisbridge.sandbox.sis import SandboxConfig
from sisbridge.sandbox.sis import create_app as sis_app

ADMIN = "admin@district.example"
ADA = seed.TEACHERS[0]
EXPORT_MAIN = Path(__file__).resolve().parents[2] / "functions" / "export" / "main.py"


@dataclass
class World:
    url: str
    deps: bootstrap.Deps
    sis_state: Any
    classroom_state: Any
    keys: LocalKeys

    def token(self, email: str) -> str:
        return self.keys.mint_token(email, audience=self.deps.settings.audience)

    def caller(self, email: str) -> Caller:
        return self.deps.verifier.verify(self.token(email))

    def knobs(self, **values: Any) -> None:
        r = httpx2.put(f"{self.url}/_sandbox/knobs", json=values)
        assert r.status_code == 200, r.text

    def gradebook(self, vendor: str) -> dict[str, Any]:
        return httpx2.get(f"{self.url}/_sandbox/{vendor}/gradebook").json()

    def stats(self) -> dict[str, Any]:
        return httpx2.get(f"{self.url}/_sandbox/stats").json()


@contextmanager
def open_world(root: Path, *, install: bool) -> Iterator[World]:
    sis = sis_app(SandboxConfig())
    classroom = classroom_app(ClassroomConfig())
    server = runner.start(DispatcherMiddleware(sis, {"/classroom": classroom}))
    settings = Settings.from_env({
        "SISBRIDGE_DATA_DIR": str(root / "data"), "SISBRIDGE_KEY_DIR": str(root / "keys"),
        "SISBRIDGE_ALLOW_INSECURE_SIS": "1", "SISBRIDGE_ADMINS": ADMIN,
        "SISBRIDGE_CLASSROOM_API_URL": f"{server.url}/classroom",
    })
    deps = bootstrap.Deps(
        settings=settings, store=SqliteDocumentStore(str(root / "db.sqlite3")),
        secrets=LocalSecretStore(root / "data" / "secrets", root / "keys" / "secrets.key"),
        verifier=verifier_from_settings(settings),
    )
    if install:
        bootstrap.use(deps)
    try:
        yield World(url=server.url, deps=deps, sis_state=sis.extensions["sis_sandbox"],
                    classroom_state=classroom.extensions["classroom_sandbox"], keys=LocalKeys(settings.key_dir))
    finally:
        if install:
            bootstrap.use(None)
        assert deps.tasks is not None and deps.classroom is not None
        deps.tasks.close()
        deps.classroom.close()
        server.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with open_world(tmp_path / "main", install=True) as w:
        yield w


@pytest.fixture
def another_world(tmp_path: Path) -> Iterator[Callable[[], World]]:
    """Build further independent worlds on demand (not installed for the functions)."""
    with ExitStack() as stack:
        made: list[World] = []

        def make() -> World:
            made.append(stack.enter_context(open_world(tmp_path / f"other{len(made)}", install=False)))
            return made[-1]

        yield make


@pytest.fixture
def export_api(world: World) -> Iterator[FlaskClient]:
    """The `export` function as deployed, over `world`. functions-framework registers the function
    globally, appends its folder to sys.path and replaces sys.modules["main"]: all put back after."""
    registry = dict(_function_registry.REGISTRY_MAP)
    path = list(sys.path)
    main = sys.modules.get("main")
    try:
        yield functions_framework.create_app(target="export", source=str(EXPORT_MAIN)).test_client()
    finally:
        _function_registry.REGISTRY_MAP.clear()
        _function_registry.REGISTRY_MAP.update(registry)
        sys.path[:] = path
        if main is None:
            sys.modules.pop("main", None)
        else:
            sys.modules["main"] = main
