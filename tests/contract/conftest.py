"""Fixtures for the contract suites: every port's suite runs against every adapter.

Emulators are started once per session, on free loopback ports, and reset before each test.
An emulator that cannot start skips its tests locally (with the reason) but fails the run when
`CI` is set, so CI can never go green without exercising the Google clients.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.emulators` whether pytest runs as `pytest` or `python -m pytest`
    sys.path.insert(0, str(ROOT))

from sisbridge.adapters.local_secrets import LocalSecretStore  # noqa: E402
from sisbridge.adapters.sqlite_store import SqliteDocumentStore  # noqa: E402
from sisbridge.ports.secrets import SecretStore  # noqa: E402
from sisbridge.ports.store import DocumentStore  # noqa: E402

from tests import emulators  # noqa: E402

STORES = ["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)]
SECRET_STORES = ["local", pytest.param("secret_manager", marks=pytest.mark.emulator)]


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(
            f"{reason}\n(CI is set: emulator-backed contract tests must run, not skip)", pytrace=False
        )
    pytest.skip(reason)


# ------------------------------------------------------------------------------------ emulators


@pytest.fixture(scope="session")
def firestore_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[emulators.Emulator]:
    try:
        emulator = emulators.start_firestore(tmp_path_factory.mktemp("firestore-emulator"))
    except emulators.EmulatorUnavailable as exc:
        unavailable(f"Firestore emulator unavailable: {exc}")
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("FIRESTORE_EMULATOR_HOST", emulator.address)
            yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def firestore_client(firestore_emulator: emulators.Emulator) -> Iterator[Any]:
    from google.cloud import firestore

    client = firestore.Client(project=emulators.FIRESTORE_PROJECT)
    yield client
    client.close()


@pytest.fixture(scope="session")
def drongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[emulators.Emulator]:
    try:
        emulator = emulators.start_drongo(tmp_path_factory.mktemp("drongo"))
    except emulators.EmulatorUnavailable as exc:
        unavailable(f"Secret Manager emulator (drongo) unavailable: {exc}")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def secret_manager_client(drongo: emulators.Emulator) -> Iterator[Any]:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import secretmanager

    client = secretmanager.SecretManagerServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=drongo.url),  # http:// → plain HTTP
    )
    yield client
    client.transport.close()


# --------------------------------------------------------------------------------------- ports


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    if request.param == "sqlite":
        with SqliteDocumentStore(tmp_path / "data" / "sisbridge.db") as sqlite:
            yield sqlite
        return
    from sisbridge.adapters.firestore_store import FirestoreDocumentStore

    client = request.getfixturevalue("firestore_client")
    emulators.reset_firestore(request.getfixturevalue("firestore_emulator"))
    yield FirestoreDocumentStore(client)


@pytest.fixture
def local_secrets(tmp_path: Path) -> LocalSecretStore:
    return LocalSecretStore(tmp_path / "data" / "secrets", tmp_path / "keys" / "secrets.key")


@pytest.fixture(params=SECRET_STORES)
def secrets(request: pytest.FixtureRequest, tmp_path: Path) -> SecretStore:
    if request.param == "local":
        return LocalSecretStore(tmp_path / "data" / "secrets", tmp_path / "keys" / "secrets.key")
    from sisbridge.adapters.secret_manager import SecretManagerSecretStore

    client = request.getfixturevalue("secret_manager_client")
    emulators.reset_drongo(request.getfixturevalue("drongo"))
    return SecretManagerSecretStore(client, emulators.SECRETS_PROJECT)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock that ticks one second per reading, from a fixed UTC instant."""
    state = {"now": datetime(2026, 9, 1, 8, 0, 0, 123456, tzinfo=UTC)}

    def tick() -> datetime:
        state["now"] += timedelta(seconds=1)
        return state["now"]

    return tick
