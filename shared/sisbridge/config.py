"""Settings: the only place sisbridge reads its environment.

`Settings.from_env(environ)` turns environment variables into one frozen `Settings`. The defaults
are the embedded local stack (SQLite, local secrets, in-process tasks, locally minted tokens), so
`make run` needs no variable at all. On Google Cloud (`K_SERVICE`, or `FUNCTION_TARGET` with
`K_REVISION`) every local or insecure choice is refused, so a deployment states what it uses.

Every problem found is reported at once in one `InvalidConfiguration`, each naming its variable.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sisbridge.errors import InvalidConfiguration

# Backends and identity.
STORE_ENV = "SISBRIDGE_STORE"
SECRETS_ENV = "SISBRIDGE_SECRETS"
TASKS_ENV = "SISBRIDGE_TASKS"
IDENTITY_ENV = "SISBRIDGE_IDENTITY"
# Local directories.
DATA_DIR_ENV = "SISBRIDGE_DATA_DIR"
KEY_DIR_ENV = "SISBRIDGE_KEY_DIR"
# Google Cloud.
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
REGION_ENV = "SISBRIDGE_REGION"
# Who may administer, and what the SIS side may be.
ADMINS_ENV = "SISBRIDGE_ADMINS"
ALLOW_INSECURE_SIS_ENV = "SISBRIDGE_ALLOW_INSECURE_SIS"
# Caller identity (Google ID tokens).
JWKS_URL_ENV = "SISBRIDGE_JWKS_URL"
ISSUERS_ENV = "SISBRIDGE_ISSUERS"
AUDIENCE_ENV = "SISBRIDGE_AUDIENCE"
# Upstream endpoints and emulators.
CLASSROOM_API_URL_ENV = "SISBRIDGE_CLASSROOM_API_URL"
SECRET_MANAGER_EMULATOR_ENV = "SECRET_MANAGER_EMULATOR_HOST"
TASKS_EMULATOR_ENV = "CLOUD_TASKS_EMULATOR_HOST"
FIRESTORE_EMULATOR_ENV = "FIRESTORE_EMULATOR_HOST"
# Edge limits and logging.
TASKS_QUEUE_ENV = "SISBRIDGE_TASKS_QUEUE"  # Cloud Tasks queue id (in project/region)
WORKER_URL_ENV = "SISBRIDGE_WORKER_URL"  # where Cloud Tasks POSTs export tasks (…/export/tasks/run)
INVOKER_EMAIL_ENV = "SISBRIDGE_INVOKER_EMAIL"  # the service account whose OIDC tokens call the worker
CLASSROOM_SA_EMAIL_ENV = "SISBRIDGE_CLASSROOM_SA_EMAIL"  # the domain-wide-delegation service account
MAX_BODY_BYTES_ENV = "SISBRIDGE_MAX_BODY_BYTES"
LOG_LEVEL_ENV = "SISBRIDGE_LOG_LEVEL"
# Set by the Cloud Run / Cloud Functions runtime, read only to detect it.
K_SERVICE_ENV = "K_SERVICE"
K_REVISION_ENV = "K_REVISION"
FUNCTION_TARGET_ENV = "FUNCTION_TARGET"

DEFAULT_DATA_DIR = "./.sisbridge/data"
DEFAULT_KEY_DIR = "./.sisbridge/keys"
DEFAULT_REGION = "us-central1"
GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
GOOGLE_CLASSROOM_API_URL = "https://classroom.googleapis.com"
LOCAL_CLASSROOM_API_URL = "http://127.0.0.1:8700/classroom"  # `make run`'s sandbox (sandbox.stack)
LOCAL_AUDIENCE = "sisbridge-local"  # the audience identity.LocalKeys mints for
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_BODY_BYTES_CEILING = 32 * 1024 * 1024  # Cloud Run's own request limit
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class StoreBackend(enum.Enum):
    SQLITE = "sqlite"  # local file under data_dir
    FIRESTORE = "firestore"


class SecretsBackend(enum.Enum):
    LOCAL = "local"  # files under key_dir
    SECRET_MANAGER = "secretmanager"


class TasksBackend(enum.Enum):
    INPROCESS = "inprocess"  # run in the same process, for the local stack
    CLOUD_TASKS = "cloudtasks"


class IdentityMode(enum.Enum):
    LOCAL = "local"  # tokens minted by identity.LocalKeys
    GOOGLE = "google"  # Google ID tokens, checked against Google's JWKS


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    store_backend: StoreBackend = StoreBackend.SQLITE
    secrets_backend: SecretsBackend = SecretsBackend.LOCAL
    tasks_backend: TasksBackend = TasksBackend.INPROCESS
    identity_mode: IdentityMode = IdentityMode.LOCAL
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    key_dir: Path = Path(DEFAULT_KEY_DIR)
    project: str | None = None
    region: str = DEFAULT_REGION
    admins: frozenset[str] = frozenset()  # lower-cased emails
    allow_insecure_sis: bool = False  # accept http:// SIS hosts (local sandbox only)
    jwks_url: str = GOOGLE_JWKS_URL
    issuers: tuple[str, ...] = GOOGLE_ISSUERS
    audience: str = LOCAL_AUDIENCE  # required in google mode (the OAuth client id)
    classroom_api_url: str = LOCAL_CLASSROOM_API_URL  # Google's on cloud
    secret_manager_endpoint: str | None = None  # "http://host:port": REST transport to an emulator
    tasks_endpoint: str | None = None  # "host:port": insecure gRPC channel to an emulator
    firestore_emulator_host: str | None = None  # read by the Firestore library itself; reported only
    tasks_queue: str = "sisbridge-exports"
    worker_url: str | None = None
    invoker_email: str | None = None
    classroom_sa_email: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    log_level: str = "INFO"
    on_cloud: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check the environment (`os.environ` when None).

        Raises:
            InvalidConfiguration: listing every problem, each naming its variable.
        """
        env = os.environ if environ is None else environ
        problems: list[tuple[str, str]] = []
        reader = _Reader(env, problems)
        on_cloud = bool(env.get(K_SERVICE_ENV)) or bool(
            env.get(FUNCTION_TARGET_ENV) and env.get(K_REVISION_ENV)
        )

        identity = reader.enum(IDENTITY_ENV, IdentityMode, IdentityMode.LOCAL)
        audience = reader.text(AUDIENCE_ENV)
        if audience is None and identity is IdentityMode.LOCAL:
            audience = LOCAL_AUDIENCE
        default_classroom = GOOGLE_CLASSROOM_API_URL if on_cloud else LOCAL_CLASSROOM_API_URL
        emulator = reader.text(SECRET_MANAGER_EMULATOR_ENV)
        settings = cls(
            store_backend=reader.enum(STORE_ENV, StoreBackend, StoreBackend.SQLITE),
            secrets_backend=reader.enum(SECRETS_ENV, SecretsBackend, SecretsBackend.LOCAL),
            tasks_backend=reader.enum(TASKS_ENV, TasksBackend, TasksBackend.INPROCESS),
            identity_mode=identity,
            data_dir=Path(reader.text(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser(),
            key_dir=Path(reader.text(KEY_DIR_ENV) or DEFAULT_KEY_DIR).expanduser(),
            project=reader.text(PROJECT_ENV),
            region=reader.text(REGION_ENV) or DEFAULT_REGION,
            admins=reader.emails(ADMINS_ENV),
            allow_insecure_sis=reader.flag(ALLOW_INSECURE_SIS_ENV),
            jwks_url=reader.url(JWKS_URL_ENV) or GOOGLE_JWKS_URL,
            issuers=reader.items(ISSUERS_ENV) or GOOGLE_ISSUERS,
            audience=audience or "",
            classroom_api_url=(reader.url(CLASSROOM_API_URL_ENV) or default_classroom).rstrip("/"),
            secret_manager_endpoint=_with_scheme(emulator) if emulator else None,
            tasks_endpoint=reader.text(TASKS_EMULATOR_ENV),
            firestore_emulator_host=reader.text(FIRESTORE_EMULATOR_ENV),
            tasks_queue=reader.text(TASKS_QUEUE_ENV) or "sisbridge-exports",
            worker_url=reader.url(WORKER_URL_ENV),
            invoker_email=reader.text(INVOKER_EMAIL_ENV),
            classroom_sa_email=reader.text(CLASSROOM_SA_EMAIL_ENV),
            max_body_bytes=reader.integer(
                MAX_BODY_BYTES_ENV, DEFAULT_MAX_BODY_BYTES, 1, MAX_BODY_BYTES_CEILING
            ),
            log_level=reader.choice(LOG_LEVEL_ENV, LOG_LEVELS, "INFO"),
            on_cloud=on_cloud,
        )
        problems.extend(_check(settings))
        if problems:
            listed = "; ".join(f"{name}: {text}" for name, text in problems)
            raise InvalidConfiguration(
                f"invalid configuration: {listed}",
                problems=[{"variable": name, "problem": text} for name, text in problems],
            )
        return settings

    def describe(self) -> dict[str, Any]:
        """A log-safe summary (no value here is secret) for a start-up log line."""
        return {
            "store": self.store_backend.value,
            "secrets": self.secrets_backend.value,
            "tasks": self.tasks_backend.value,
            "identity": self.identity_mode.value,
            "project": self.project,
            "region": self.region,
            "on_cloud": self.on_cloud,
            "emulators": {
                k: v
                for k, v in (
                    ("firestore", self.firestore_emulator_host),
                    ("secretmanager", self.secret_manager_endpoint),
                    ("cloudtasks", self.tasks_endpoint),
                )
                if v
            },
        }


def _check(s: Settings) -> list[tuple[str, str]]:
    """Rules across fields: what each backend needs, and what the cloud refuses."""
    problems: list[tuple[str, str]] = []
    cloud_backends = [
        name
        for name, used in (
            (STORE_ENV, s.store_backend is StoreBackend.FIRESTORE),
            (SECRETS_ENV, s.secrets_backend is SecretsBackend.SECRET_MANAGER),
            (TASKS_ENV, s.tasks_backend is TasksBackend.CLOUD_TASKS),
        )
        if used
    ]
    if cloud_backends and not s.project:
        problems.append(
            (PROJECT_ENV, f"required by {', '.join(cloud_backends)}; set the Google Cloud project id")
        )
    if s.identity_mode is IdentityMode.GOOGLE and not s.audience:
        problems.append((AUDIENCE_ENV, "required when SISBRIDGE_IDENTITY=google; set the OAuth client id"))
    if _overlaps(s.data_dir, s.key_dir):
        problems.append((KEY_DIR_ENV, f"must be kept apart from {DATA_DIR_ENV} (neither inside the other)"))
    if s.tasks_backend is TasksBackend.CLOUD_TASKS:
        for name, value in ((WORKER_URL_ENV, s.worker_url), (INVOKER_EMAIL_ENV, s.invoker_email)):
            if not value:
                problems.append((name, "is required with Cloud Tasks"))
    if s.on_cloud and s.classroom_api_url == GOOGLE_CLASSROOM_API_URL and not s.classroom_sa_email:
        problems.append((CLASSROOM_SA_EMAIL_ENV, "is required to read Google Classroom as each teacher"))
    if not s.on_cloud:
        return problems
    refused = (
        (
            ALLOW_INSECURE_SIS_ENV,
            s.allow_insecure_sis,
            "insecure (http) SIS hosts are refused on Google Cloud",
        ),
        (
            IDENTITY_ENV,
            s.identity_mode is IdentityMode.LOCAL,
            "local identity is refused on Google Cloud; set google",
        ),
        (
            STORE_ENV,
            s.store_backend is StoreBackend.SQLITE,
            "sqlite is refused on Google Cloud; set firestore",
        ),
        (
            SECRETS_ENV,
            s.secrets_backend is SecretsBackend.LOCAL,
            "local is refused on Google Cloud; set secretmanager",
        ),
        (
            TASKS_ENV,
            s.tasks_backend is TasksBackend.INPROCESS,
            "inprocess is refused on Google Cloud; set cloudtasks",
        ),
        (
            SECRET_MANAGER_EMULATOR_ENV,
            bool(s.secret_manager_endpoint),
            "emulators are refused on Google Cloud",
        ),
        (TASKS_EMULATOR_ENV, bool(s.tasks_endpoint), "emulators are refused on Google Cloud"),
        (FIRESTORE_EMULATOR_ENV, bool(s.firestore_emulator_host), "emulators are refused on Google Cloud"),
        (JWKS_URL_ENV, not s.jwks_url.startswith("https://"), "must be an https URL on Google Cloud"),
        (
            CLASSROOM_API_URL_ENV,
            not s.classroom_api_url.startswith("https://"),
            "must be an https URL on Google Cloud",
        ),
    )
    problems.extend((name, text) for name, bad, text in refused if bad)
    return problems


def _overlaps(a: Path, b: Path) -> bool:
    a, b = a.absolute(), b.absolute()
    return a == b or a in b.parents or b in a.parents


def _with_scheme(host: str) -> str:
    return host if "://" in host else f"http://{host}"


E = TypeVar("E", bound=enum.Enum)


class _Reader:
    """Reads one variable at a time, recording a problem instead of raising, so all are reported."""

    def __init__(self, env: Mapping[str, str], problems: list[tuple[str, str]]) -> None:
        self._env = env
        self._problems = problems

    def text(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def enum(self, name: str, kind: type[E], default: E) -> E:
        raw = self.text(name)
        if raw is None:
            return default
        for member in kind:
            if member.value == raw.lower():
                return member
        allowed = ", ".join(str(m.value) for m in kind)
        self._problems.append((name, f"must be one of {allowed}; got {raw!r}"))
        return default

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.upper() in allowed:
            return raw.upper()
        self._problems.append((name, f"must be one of {', '.join(allowed)}; got {raw!r}"))
        return default

    def flag(self, name: str) -> bool:
        raw = self._env.get(name, "").strip().lower()
        if raw in _TRUE:
            return True
        if raw not in _FALSE:
            self._problems.append((name, f"must be 1 or 0; got {raw!r}"))
        return False

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if low <= value <= high:
            return value
        self._problems.append((name, f"must be a whole number from {low} to {high}; got {raw!r}"))
        return default

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.text(name) or "").split(",") if part.strip())

    def emails(self, name: str) -> frozenset[str]:
        emails = frozenset(item.lower() for item in self.items(name))
        bad = sorted(e for e in emails if e.count("@") != 1 or e.startswith("@") or e.endswith("@"))
        if bad:
            self._problems.append(
                (name, f"must be a comma-separated list of emails; not emails: {', '.join(bad)}")
            )
            return emails - set(bad)
        return emails

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self._problems.append((name, f"must be an http(s) URL; got {raw!r}"))
            return None
        return raw
