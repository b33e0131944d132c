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


# ------------------------------------------------------------------------------------ Classroom
# One adapter (ClassroomApiSource) over loopback HTTP against the Classroom sandbox, served at the
# root and mounted under /classroom as `make run` serves it.

CLASSROOM_PREFIX = "/classroom"


@pytest.fixture(scope="session")
def classroom_sandboxes() -> Iterator[dict[str, tuple[str, Any]]]:
    """Maps "root" and "mounted" to (Classroom API base URL, ClassroomState)."""
    from sisbridge.sandbox import runner
    from sisbridge.sandbox.classroom import EXTENSION, ClassroomConfig, create_app
    from werkzeug.exceptions import NotFound as WerkzeugNotFound
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    root_app, mounted_app = create_app(ClassroomConfig()), create_app(ClassroomConfig())
    root = runner.start(root_app)
    mounted = runner.start(DispatcherMiddleware(WerkzeugNotFound(), {CLASSROOM_PREFIX: mounted_app}))
    try:
        yield {
            "root": (root.url, root_app.extensions[EXTENSION]),
            "mounted": (mounted.url + CLASSROOM_PREFIX, mounted_app.extensions[EXTENSION]),
        }
    finally:
        root.stop()
        mounted.stop()


@pytest.fixture(params=["root", "mounted"])
def classroom_sandbox(
    request: pytest.FixtureRequest, classroom_sandboxes: dict[str, tuple[str, Any]]
) -> tuple[str, Any]:
    """(base URL, ClassroomState) of a freshly reset sandbox, at / and under /classroom."""
    url, state = classroom_sandboxes[request.param]
    state.reset()
    return url, state


@pytest.fixture
def classroom_waits() -> list[float]:
    """The backoff waits `classroom_source` asked for (it does not really sleep)."""
    return []


@pytest.fixture
def classroom_source(classroom_sandbox: tuple[str, Any], classroom_waits: list[float]) -> Iterator[Any]:
    from sisbridge.adapters.classroom_api import ClassroomApiSource, ClassroomRetry

    source = ClassroomApiSource(
        classroom_sandbox[0],
        retry=ClassroomRetry(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05),
        sleep=classroom_waits.append,
        timeout=10,
    )
    yield source
    source.close()


# ---------------------------------------------------------------------------------- task queues
TASK_QUEUES = ["inprocess", pytest.param("cloudtasks", marks=pytest.mark.emulator)]


@pytest.fixture(scope="session")
def tasks_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[emulators.Emulator]:
    """gcloud-tasks-emulator from `.venv-tasks`, with the `exports` queue, `--max-retries 3`."""
    try:
        emulator = emulators.start_cloud_tasks(tmp_path_factory.mktemp("cloud-tasks"))
    except emulators.EmulatorUnavailable as exc:
        unavailable(f"Cloud Tasks emulator unavailable: {exc}")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def cloud_tasks_client(tasks_emulator: emulators.Emulator) -> Iterator[Any]:
    """The official sync client on an insecure channel (the default one would try TLS)."""
    import grpc
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(tasks_emulator.address)
    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    client.get_queue(name=emulators.TASKS_QUEUE)  # the emulator answers and has its queue
    yield client
    channel.close()


@pytest.fixture
def cloud_tasks_queue_path(cloud_tasks_client: Any) -> Iterator[str]:
    """A queue of this test's own (the emulator keeps one delivery thread per queue), deleted after."""
    import uuid

    parent = emulators.TASKS_QUEUE.rsplit("/queues/", 1)[0]
    path = f"{parent}/queues/t-{uuid.uuid4().hex[:12]}"
    cloud_tasks_client.create_queue(parent=parent, queue={"name": path})
    yield path
    cloud_tasks_client.delete_queue(name=path)


@pytest.fixture(params=TASK_QUEUES)
def task_queue_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """`make(worker_url, **options) -> TaskQueue` for the adapter under test; closed after the test.

    Both give up a task after 1 + TASKS_MAX_RETRIES deliveries (the emulator's `--max-retries`).
    """
    made: list[Any] = []
    kind = request.param

    def make(worker_url: str, **options: Any) -> Any:
        if kind == "inprocess":
            from sisbridge.adapters.inprocess_tasks import Backoff, InProcessTaskQueue

            queue: Any = InProcessTaskQueue(
                worker_url,
                max_attempts=1 + emulators.TASKS_MAX_RETRIES,
                backoff=Backoff(initial_s=0.02, max_s=0.1),
                timeout_s=10,
                **options,
            )
        else:
            from sisbridge.adapters.cloud_tasks import CloudTasksQueue

            queue = CloudTasksQueue(
                request.getfixturevalue("cloud_tasks_client"),
                request.getfixturevalue("cloud_tasks_queue_path"),
                worker_url,
                **options,
            )
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.close()
