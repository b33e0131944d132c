"""The whole product over loopback: Classroom sandbox → sisbridge → SIS sandbox, embedded adapters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from sisbridge import bootstrap
from sisbridge.adapters.local_secrets import LocalSecretStore
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.config import Settings
from sisbridge.identity import verifier_from_settings
from sisbridge.identity_keys import LocalKeys
from sisbridge.identity import Caller
from sisbridge.sandbox import runner, seed
from sisbridge.sandbox.classroom import ClassroomConfig
from sisbridge.sandbox.classroom import create_app as classroom_app
from sisbridge.sandbox.sis import SandboxConfig
from sisbridge.sandbox.sis import create_app as sis_app

ADMIN = "admin@district.example"
ADA = seed.TEACHERS[0]


@dataclass
class World:
    url: str
    deps: bootstrap.Deps
    sis_state: Any
    classroom_state: Any
    keys: LocalKeys

    def caller(self, email: str) -> Caller:
        return self.deps.verifier.verify(self.keys.mint_token(email, audience=self.deps.settings.audience))

    def knobs(self, **values: Any) -> None:
        r = httpx2.put(f"{self.url}/_sandbox/knobs", json=values)
        assert r.status_code == 200, r.text

    def gradebook(self, vendor: str) -> dict[str, Any]:
        return httpx2.get(f"{self.url}/_sandbox/{vendor}/gradebook").json()

    def stats(self) -> dict[str, Any]:
        return httpx2.get(f"{self.url}/_sandbox/stats").json()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    sis = sis_app(SandboxConfig())
    classroom = classroom_app(ClassroomConfig())
    server = runner.start(DispatcherMiddleware(sis, {"/classroom": classroom}))
    settings = Settings.from_env({
        "SISBRIDGE_DATA_DIR": str(tmp_path / "data"), "SISBRIDGE_KEY_DIR": str(tmp_path / "keys"),
        "SISBRIDGE_ALLOW_INSECURE_SIS": "1", "SISBRIDGE_ADMINS": ADMIN,
        "SISBRIDGE_CLASSROOM_API_URL": f"{server.url}/classroom",
    })
    deps = bootstrap.Deps(
        settings=settings, store=SqliteDocumentStore(str(tmp_path / "db.sqlite3")),
        secrets=LocalSecretStore(tmp_path / "data" / "secrets", tmp_path / "keys" / "secrets.key"),
        verifier=verifier_from_settings(settings),
    )
    bootstrap.use(deps)
    try:
        yield World(url=server.url, deps=deps, sis_state=sis.extensions["sis_sandbox"],
                    classroom_state=classroom.extensions["classroom_sandbox"], keys=LocalKeys(settings.key_dir))
    finally:
        bootstrap.use(None)
        assert deps.tasks is not None and deps.classroom is not None
        deps.tasks.close()
        deps.classroom.close()
        server.stop()
