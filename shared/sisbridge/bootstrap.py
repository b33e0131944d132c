"""The composition root: which adapters run, decided once from `Settings`, built lazily.

Nothing connects at import time. `deps()` builds the object graph on first use and caches it for
the instance (Cloud Functions reuse warm instances); tests and the local stack install their own
with `use()`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx2

from sisbridge.config import SecretsBackend, Settings, StoreBackend
from sisbridge.identity import TokenVerifier, verifier_from_settings
from sisbridge.logs import setup_logging
from sisbridge.netguard import Resolver, system_resolver
from sisbridge.ports.secrets import SecretStore
from sisbridge.ports.store import DocumentStore
from sisbridge.repositories import AuditLog, ConnectionRepository, TenantRepository, utc_now


@dataclass
class Deps:
    settings: Settings
    store: DocumentStore
    secrets: SecretStore
    verifier: TokenVerifier
    resolver: Resolver = system_resolver
    sis_transport: httpx2.AsyncBaseTransport | None = None  # None: a real network transport
    tenants: TenantRepository = field(init=False)
    connections: ConnectionRepository = field(init=False)
    audit: AuditLog = field(init=False)

    def __post_init__(self) -> None:
        self.tenants = TenantRepository(self.store, clock=utc_now)
        self.connections = ConnectionRepository(self.store, clock=utc_now)
        self.audit = AuditLog(self.store, clock=utc_now)


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
