"""Fixtures for the function suites: the real Cloud Functions, driven through the
functions-framework test client, over real local adapters built fresh for every test.

`make_stack()` builds a `Deps` in the test's own directories (SQLite store, encrypted local
secrets, local sign-in keys) and installs it with `bootstrap.use()`; it is removed afterwards.
`Console` is one signed-in user calling the `connect` and `disconnect` functions, the way the
admin web console does. SIS calls go over loopback to the session's SIS sandbox, or to the
stand-in servers the error suites start, all addressed by IP literal. Tests about host names
resolve them with `FakeDns`, given to the SSRF guard as its resolver; one test uses real DNS.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from functions_framework import _function_registry
from sisbridge import bootstrap
from sisbridge.config import Settings
from sisbridge.http import to_json
from sisbridge.identity import LocalKeys, verifier_from_settings
from sisbridge.netguard import Resolver, system_resolver
from sisbridge.oneroster import RetryPolicy
from sisbridge.ports.secrets import SecretStore
from sisbridge.ports.store import DocumentStore
from sisbridge.sandbox import runner, seed
from sisbridge.services.sis_session import credential_secret_name
from sisbridge.vendors import PROFILES
from werkzeug.test import TestResponse

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
if str(ROOT) not in sys.path:  # `tests.contract` for the emulator fixtures, as tests/contract does
    sys.path.insert(0, str(ROOT))

from tests.contract.conftest import (  # noqa: E402,F401  (the emulator fixtures, reused as they are)
    drongo,
    firestore_client,
    firestore_emulator,
    secret_manager_client,
)

DISTRICT = "district.example"
ADMIN = "admin@district.example"
TEACHER = "ada.lovelace@district.example"
OTHER_DISTRICT = "other.example"
OTHER_ADMIN = "admin@other.example"
PUBLIC_IP = "93.184.216.34"  # any globally routable address; FakeDns hands it out, nothing dials it


# ---------------------------------------------------------------------------- vendor flavours


@dataclass(frozen=True, slots=True)
class Flavour:
    """One way an admin can connect: a vendor profile and one auth method it offers."""

    sis: str
    auth: str  # "oauth2" or "oauth1"

    @property
    def id(self) -> str:
        return f"{self.sis}-{self.auth}"

    @property
    def oauth2(self) -> bool:
        return self.auth == "oauth2"


FLAVOURS = [Flavour(p.id, a.value) for p in PROFILES.values() for a in p.auth_methods]


def flavours(items: list[Flavour]) -> dict[str, Any]:
    return {"argvalues": items, "ids": [f.id for f in items]}


def connect_body(sis_url: str, flavour: Flavour, *, access_key: str = seed.ACCESS_KEY,
                 secret_code: str = seed.SECRET_CODE, host_suffix: str = "") -> dict[str, Any]:
    """What the admin types to connect `flavour` to the sandbox at `sis_url`."""
    body: dict[str, Any] = {
        "sis": flavour.sis,
        "host_url": f"{sis_url}/{flavour.sis}{host_suffix}",
        "access_key": access_key,
        "secret_code": secret_code,
        "auth_method": flavour.auth,
    }
    if flavour.sis == "capita_sims":  # its real token service is Capita's; the sandbox serves one
        body["token_url"] = f"{sis_url}/capita_sims/connect/token"
    return body


# ---------------------------------------------------------------------------------- servers


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve a WSGI app on loopback (`runner.start`) and yield its URL.

    It is stopped from waitress's own loop thread. `RunningServer.stop()` closes the listening
    socket from the calling thread; when the loop is busy at that moment (a connection closing),
    its next select() gets the closed descriptor, the loop thread dies with EBADF and its open
    connections leak (a ResourceWarning, an error under filterwarnings=error).
    """
    server = runner.start(app)
    try:
        yield server.url
    finally:
        waitress = server.server
        waitress.trigger.pull_trigger(waitress.close)  # runs between two selects, on the loop thread
        server.thread.join(timeout=5)  # the loop ends once the last connection has closed
        if server.thread.is_alive():
            server.stop()
        waitress.task_dispatcher.shutdown()


# -------------------------------------------------------------------------------------- DNS


class FakeDns:
    """A resolver for the SSRF guard: names from `records`, IP literals as themselves (as
    getaddrinfo does), anything else fails like a missing name."""

    def __init__(self, records: Mapping[str, list[str]] | None = None) -> None:
        self.records = dict(records or {})
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host in self.records:
            return list(self.records[host])
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


# ---------------------------------------------------------------------------------- the stack


@dataclass
class Functions:
    """The deployed functions as functions-framework builds them, one test client each."""

    clients: dict[str, Any]
    bodies: list[str] = field(default_factory=list)  # every response body any console received


class Console:
    """One caller of the admin API; `token=None` sends no Authorization header."""

    def __init__(self, functions: Functions, token: str | None) -> None:
        self._functions = functions
        self.token = token

    def call(self, function: str, method: str, path: str, *, json_body: Any = None, data: Any = None,
             content_type: str | None = None, headers: Mapping[str, str] | None = None) -> TestResponse:
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        sent.update(headers or {})
        response: TestResponse = self._functions.clients[function].open(
            path, method=method, json=json_body, data=data, content_type=content_type, headers=sent)
        self._functions.bodies.append(response.get_data(as_text=True))
        return response

    def partners(self) -> TestResponse:
        return self.call("connect", "GET", "/partners")

    def get(self) -> TestResponse:
        return self.call("connect", "GET", "/")

    def connect(self, body: Any) -> TestResponse:
        return self.call("connect", "POST", "/", json_body=body)

    def authorize(self) -> TestResponse:
        return self.call("connect", "POST", "/authorize")

    def set_permissions(self, teacher_export_enabled: Any) -> TestResponse:
        return self.call("connect", "PUT", "/permissions",
                         json_body={"teacher_export_enabled": teacher_export_enabled})

    def rotate_webhook_secret(self) -> TestResponse:
        return self.call("connect", "POST", "/webhook-secret")

    def disconnect(self) -> TestResponse:
        return self.call("disconnect", "POST", "/")

    def view(self) -> dict[str, Any]:
        """GET /connect, which must succeed."""
        response = self.get()
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body


@dataclass
class Stack:
    deps: bootstrap.Deps
    keys: LocalKeys
    functions: Functions
    root: Path  # holds data/ (and keys/, unless settings put them elsewhere)

    def token(self, email: str, **claims: Any) -> str:
        return self.keys.mint_token(email, **claims)

    def console(self, email: str = ADMIN, **claims: Any) -> Console:
        return Console(self.functions, self.token(email, **claims))

    def anonymous(self, token: str | None = None) -> Console:
        return Console(self.functions, token)

    def has_credentials(self, tenant: str = DISTRICT) -> bool:
        return self.deps.secrets.exists(credential_secret_name(tenant))

    def audit_actions(self, tenant: str = DISTRICT) -> list[str]:
        return [e.action for e in reversed(self.deps.audit.recent(tenant, limit=500))]

    def audit_text(self, tenant: str = DISTRICT) -> str:
        return to_json(self.deps.audit.recent(tenant, limit=500))


def local_settings(root: Path, **overrides: Any) -> Settings:
    base = Settings(
        data_dir=root / "data",
        key_dir=root / "keys",
        allow_insecure_sis=True,  # the sandboxes speak http on loopback
        admins=frozenset({ADMIN, OTHER_ADMIN}),
    )
    return replace(base, **overrides)


@pytest.fixture(autouse=True)
def clean_registries() -> Iterator[None]:
    """functions-framework registers each loaded function globally, appends its folder to
    sys.path and replaces sys.modules["main"]; put all three back after each test."""
    registry = dict(_function_registry.REGISTRY_MAP)
    path = list(sys.path)
    main = sys.modules.get("main")
    yield
    _function_registry.REGISTRY_MAP.clear()
    _function_registry.REGISTRY_MAP.update(registry)
    sys.path[:] = path
    if main is None:
        sys.modules.pop("main", None)
    else:
        sys.modules["main"] = main


@pytest.fixture
def functions() -> Functions:
    clients = {
        name: functions_framework.create_app(target=name, source=str(FUNCTIONS_DIR / name / "main.py"))
        .test_client()
        for name in ("connect", "disconnect")
    }
    return Functions(clients)


StackFactory = Callable[..., Stack]


@pytest.fixture
def make_stack(tmp_path: Path, functions: Functions) -> Iterator[StackFactory]:
    """Build and install a dependency graph: `make_stack(allow_insecure_sis=False, resolver=...)`.

    Settings overrides are keyword arguments; `settings=` replaces them whole. `store=` and
    `secrets=` swap in other adapters (the emulator suite); `sis_timeout_s`/`sis_retry` go to Deps.
    """
    built: list[bootstrap.Deps] = []
    owned: list[Any] = []  # stores this factory opened, closed at the end

    def make(*, settings: Settings | None = None, resolver: Resolver = system_resolver,
             store: DocumentStore | None = None, secrets: SecretStore | None = None,
             sis_timeout_s: float = 20.0, sis_retry: RetryPolicy | None = None, **overrides: Any) -> Stack:
        root = tmp_path / f"stack-{len(built)}"
        settings = settings or local_settings(root, **overrides)
        if store is None:
            store = bootstrap.build_store(settings)
            owned.append(store)
        deps = bootstrap.Deps(
            settings=settings,
            store=store,
            secrets=secrets or bootstrap.build_secrets(settings),
            verifier=verifier_from_settings(settings),
            resolver=resolver,
            sis_timeout_s=sis_timeout_s,
            sis_retry=sis_retry,
        )
        built.append(deps)
        bootstrap.use(deps)
        return Stack(deps=deps, keys=LocalKeys(settings.key_dir), functions=functions,
                     root=settings.data_dir.parent)

    yield make
    bootstrap.use(None)
    for opened in owned:
        opened.close()


@pytest.fixture
def stack(make_stack: StackFactory) -> Stack:
    """The default: local adapters, insecure (http, loopback) SIS hosts allowed, real DNS."""
    return make_stack()


@pytest.fixture
def admin(stack: Stack) -> Console:
    return stack.console(ADMIN)


def error_of(response: TestResponse) -> dict[str, Any]:
    """The `error` object of a JSON error response (and the body is nothing else)."""
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert error["code"] and error["message"] and isinstance(error["hint"], str), error
    return error

