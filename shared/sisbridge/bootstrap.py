"""The composition root: which adapters run, decided once from `Settings`, built lazily.

Nothing connects at import time. `deps()` builds the object graph on first use and caches it for
the instance (Cloud Functions reuse warm instances); tests and the local stack install their own
with `use()`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2

from sisbridge.config import SecretsBackend, Settings, StoreBackend, TasksBackend
from sisbridge.identity import TokenVerifier, verifier_from_settings
from sisbridge.logs import setup_logging
from sisbridge.netguard import Resolver, system_resolver
from sisbridge.ports.secrets import SecretStore
from sisbridge.ports.store import DocumentStore
from sisbridge.export_store import ClassLinkRepository, ExportRunRepository, LeaseRepository, LedgerRepository
from sisbridge.repositories import AuditLog, ConnectionRepository, TenantRepository, utc_now

if TYPE_CHECKING:
    from sisbridge.oneroster import RetryPolicy
    from sisbridge.ports.classroom import ClassroomSource
    from sisbridge.ports.tasks import TaskQueue


@dataclass
class Deps:
    settings: Settings
    store: DocumentStore
    secrets: SecretStore
    verifier: TokenVerifier
    resolver: Resolver = system_resolver
    sis_transport: httpx2.AsyncBaseTransport | None = None  # None: a real network transport
    sis_timeout_s: float = 20.0  # per SIS request, connect/read/write
    sis_retry: RetryPolicy | None = None  # None: the OneRoster client's default policy
    sis_max_concurrency: int | None = None  # None: the vendor profile's limit
    classroom: ClassroomSource | None = None  # None: the Classroom API at settings.classroom_api_url
    tasks: TaskQueue | None = None  # None: built from settings (in-process queue locally)
    tenants: TenantRepository = field(init=False)
    connections: ConnectionRepository = field(init=False)
    audit: AuditLog = field(init=False)
    links: ClassLinkRepository = field(init=False)
    runs: ExportRunRepository = field(init=False)
    leases: LeaseRepository = field(init=False)
    ledgers: LedgerRepository = field(init=False)

    def __post_init__(self) -> None:
        self.tenants = TenantRepository(self.store, clock=utc_now)
        self.connections = ConnectionRepository(self.store, clock=utc_now)
        self.audit = AuditLog(self.store, clock=utc_now)
        self.links = ClassLinkRepository(self.store)
        self.runs = ExportRunRepository(self.store)
        self.leases = LeaseRepository(self.store)
        self.ledgers = LedgerRepository(self.store)
        if self.classroom is None:
            self.classroom = build_classroom(self.settings)
        if self.tasks is None:
            self.tasks = build_tasks(self.settings, self)


def build_store(settings: Settings) -> DocumentStore:
    if settings.store_backend is StoreBackend.FIRESTORE:
        from google.cloud import firestore

        from sisbridge.adapters.firestore_store import FirestoreDocumentStore

        return FirestoreDocumentStore(firestore.Client(project=settings.project))
    from sisbridge.adapters.sqlite_store import SqliteDocumentStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteDocumentStore(str(settings.data_dir / "sisbridge.sqlite3"))


def build_secrets(settings: Settings) -> SecretStore:
    if settings.secrets_backend is SecretsBackend.SECRET_MANAGER:
        from google.cloud import secretmanager

        from sisbridge.adapters.secret_manager import SecretManagerSecretStore

        if settings.secret_manager_endpoint:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            client = secretmanager.SecretManagerServiceClient(
                transport="rest",
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=settings.secret_manager_endpoint),
            )
        else:
            client = secretmanager.SecretManagerServiceClient()
        return SecretManagerSecretStore(client, str(settings.project))
    from sisbridge.adapters.local_secrets import LocalSecretStore

    return LocalSecretStore(settings.data_dir / "secrets", settings.key_dir / "secrets.key")


def build_classroom(settings: Settings) -> ClassroomSource:
    from sisbridge.adapters.classroom_api import DelegatedCredentials, ClassroomApiSource, is_google

    if is_google(settings.classroom_api_url):
        credentials = DelegatedCredentials(service_account_email=settings.classroom_sa_email)
        return ClassroomApiSource(settings.classroom_api_url, credentials_factory=credentials)
    return ClassroomApiSource(settings.classroom_api_url)  # a sandbox or test double: no Google credentials


def build_tasks(settings: Settings, deps: Deps) -> TaskQueue:
    if settings.tasks_backend is TasksBackend.CLOUD_TASKS:
        from google.cloud import tasks_v2

        from sisbridge.adapters.cloud_tasks import CloudTasksQueue

        if settings.tasks_endpoint:
            import grpc
            from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

            channel = grpc.insecure_channel(settings.tasks_endpoint)
            client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
        else:
            client = tasks_v2.CloudTasksClient()
        queue = client.queue_path(str(settings.project), settings.region, settings.tasks_queue)
        return CloudTasksQueue(client, queue, str(settings.worker_url),
                               service_account_email=settings.invoker_email, audience=settings.worker_url)
    from sisbridge.adapters.inprocess_tasks import InProcessTaskQueue

    def handle(task: Any) -> None:
        from sisbridge.services.export import run_task

        run_task(task, deps)

    return InProcessTaskQueue(handle)


def build(settings: Settings) -> Deps:
    setup_logging(settings.log_level, project=settings.project)
    return Deps(
        settings=settings,
        store=build_store(settings),
        secrets=build_secrets(settings),
        verifier=verifier_from_settings(settings),
    )


_lock = threading.Lock()
_deps: Deps | None = None


def deps() -> Deps:
    global _deps
    with _lock:
        if _deps is None:
            _deps = build(Settings.from_env())
        return _deps


def use(new: Deps | None) -> None:
    """Install the graph every entry point will use (None: rebuild from the environment)."""
    global _deps
    with _lock:
        _deps = new
