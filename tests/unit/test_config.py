from __future__ import annotations

from pathlib import Path

import pytest

from sisbridge import config
from sisbridge.config import IdentityMode, SecretsBackend, Settings, StoreBackend, TasksBackend
from sisbridge.errors import InvalidConfiguration

CLOUD_READY = {
    "K_SERVICE": "connect",
    "GOOGLE_CLOUD_PROJECT": "demo-prod",
    "SISBRIDGE_STORE": "firestore",
    "SISBRIDGE_SECRETS": "secretmanager",
    "SISBRIDGE_TASKS": "cloudtasks",
    "SISBRIDGE_IDENTITY": "google",
    "SISBRIDGE_AUDIENCE": "1234.apps.googleusercontent.com",
    "SISBRIDGE_WORKER_URL": "https://us-central1-demo-prod.cloudfunctions.net/export/tasks/run",
    "SISBRIDGE_INVOKER_EMAIL": "sisbridge-invoker@demo-prod.iam.gserviceaccount.com",
    "SISBRIDGE_CLASSROOM_SA_EMAIL": "sisbridge-classroom@demo-prod.iam.gserviceaccount.com",
}


def problems(env: dict[str, str]) -> dict[str, str]:
    with pytest.raises(InvalidConfiguration) as caught:
        Settings.from_env(env)
    err = caught.value
    assert err.status == 500 and err.code == "invalid_configuration"
    return {p["variable"]: p["problem"] for p in err.details["problems"]}


def test_empty_environment_is_the_embedded_local_stack() -> None:
    s = Settings.from_env({})
    assert s.store_backend is StoreBackend.SQLITE
    assert s.secrets_backend is SecretsBackend.LOCAL
    assert s.tasks_backend is TasksBackend.INPROCESS
    assert s.identity_mode is IdentityMode.LOCAL
    assert s.data_dir == Path("./.sisbridge/data") and s.key_dir == Path("./.sisbridge/keys")
    assert s.audience == config.LOCAL_AUDIENCE
    assert s.classroom_api_url == config.LOCAL_CLASSROOM_API_URL
    assert s.jwks_url == "https://www.googleapis.com/oauth2/v3/certs"
    assert s.issuers == ("https://accounts.google.com", "accounts.google.com")
    assert s.max_body_bytes == 64 * 1024
    assert s.admins == frozenset() and s.project is None and not s.allow_insecure_sis and not s.on_cloud
    assert (s.secret_manager_endpoint, s.tasks_endpoint, s.firestore_emulator_host) == (None, None, None)


def test_settings_are_frozen() -> None:
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.project = "x"  # type: ignore[misc]


def test_values_are_read_and_normalised(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "SISBRIDGE_STORE": " Firestore ",
            "SISBRIDGE_SECRETS": "secretmanager",
            "SISBRIDGE_TASKS": "cloudtasks",
            "SISBRIDGE_WORKER_URL": "http://127.0.0.1:8080/export/tasks/run",
            "SISBRIDGE_INVOKER_EMAIL": "invoker@demo-test.iam.gserviceaccount.com",
            "GOOGLE_CLOUD_PROJECT": "demo-test",
            "SISBRIDGE_REGION": "europe-west1",
            "SISBRIDGE_ADMINS": "Ada@School.EDU, bob@school.edu,,",
            "SISBRIDGE_ALLOW_INSECURE_SIS": "1",
            "SISBRIDGE_DATA_DIR": str(tmp_path / "data"),
            "SISBRIDGE_KEY_DIR": str(tmp_path / "keys"),
            "SISBRIDGE_IDENTITY": "google",
            "SISBRIDGE_AUDIENCE": "client-id",
            "SISBRIDGE_ISSUERS": "https://issuer.example, other",
            "SISBRIDGE_JWKS_URL": "http://127.0.0.1:9/certs",
            "SISBRIDGE_CLASSROOM_API_URL": "http://127.0.0.1:8700/classroom/",
            "SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:8085",
            "CLOUD_TASKS_EMULATOR_HOST": "127.0.0.1:8123",
            "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8081",
            "SISBRIDGE_MAX_BODY_BYTES": "1024",
            "SISBRIDGE_LOG_LEVEL": "debug",
        }
    )
    assert s.store_backend is StoreBackend.FIRESTORE
    assert s.secrets_backend is SecretsBackend.SECRET_MANAGER
    assert s.tasks_backend is TasksBackend.CLOUD_TASKS
    assert s.project == "demo-test" and s.region == "europe-west1"
    assert s.admins == frozenset({"ada@school.edu", "bob@school.edu"})
    assert s.allow_insecure_sis
    assert s.data_dir == tmp_path / "data" and s.key_dir == tmp_path / "keys"
    assert s.identity_mode is IdentityMode.GOOGLE and s.audience == "client-id"
    assert s.issuers == ("https://issuer.example", "other")
    assert s.jwks_url == "http://127.0.0.1:9/certs"
    assert s.classroom_api_url == "http://127.0.0.1:8700/classroom"
    assert s.secret_manager_endpoint == "http://127.0.0.1:8085"  # REST transport wants a URL
    assert s.tasks_endpoint == "127.0.0.1:8123"  # gRPC channel wants host:port
    assert s.firestore_emulator_host == "127.0.0.1:8081"
    assert s.max_body_bytes == 1024 and s.log_level == "DEBUG"
    assert s.describe()["emulators"] == {
        "firestore": "127.0.0.1:8081",
        "secretmanager": "http://127.0.0.1:8085",
        "cloudtasks": "127.0.0.1:8123",
    }


def test_every_bad_value_is_reported_at_once_naming_its_variable() -> None:
    found = problems(
        {
            "SISBRIDGE_STORE": "postgres",
            "SISBRIDGE_SECRETS": "vault",
            "SISBRIDGE_TASKS": "celery",
            "SISBRIDGE_IDENTITY": "saml",
            "SISBRIDGE_ALLOW_INSECURE_SIS": "maybe",
            "SISBRIDGE_ADMINS": "ada@school.edu, not-an-email",
            "SISBRIDGE_MAX_BODY_BYTES": "lots",
            "SISBRIDGE_LOG_LEVEL": "chatty",
            "SISBRIDGE_JWKS_URL": "ftp://x",
        }
    )
    assert set(found) == {
        "SISBRIDGE_STORE",
        "SISBRIDGE_SECRETS",
        "SISBRIDGE_TASKS",
        "SISBRIDGE_IDENTITY",
        "SISBRIDGE_ALLOW_INSECURE_SIS",
        "SISBRIDGE_ADMINS",
        "SISBRIDGE_MAX_BODY_BYTES",
        "SISBRIDGE_LOG_LEVEL",
        "SISBRIDGE_JWKS_URL",
    }
    assert "sqlite, firestore" in found["SISBRIDGE_STORE"] and "'postgres'" in found["SISBRIDGE_STORE"]
    assert "not-an-email" in found["SISBRIDGE_ADMINS"]


@pytest.mark.parametrize("value", ["0", "-5", str(64 * 1024 * 1024)])
def test_max_body_bytes_must_be_in_range(value: str) -> None:
    assert "SISBRIDGE_MAX_BODY_BYTES" in problems({"SISBRIDGE_MAX_BODY_BYTES": value})


@pytest.mark.parametrize(
    ("backend_var", "value"),
    [
        ("SISBRIDGE_STORE", "firestore"),
        ("SISBRIDGE_SECRETS", "secretmanager"),
        ("SISBRIDGE_TASKS", "cloudtasks"),
    ],
)
def test_google_backends_need_a_project(backend_var: str, value: str) -> None:
    found = problems({backend_var: value})
    assert backend_var in found["GOOGLE_CLOUD_PROJECT"]


def test_google_identity_needs_an_audience() -> None:
    assert "SISBRIDGE_AUDIENCE" in problems({"SISBRIDGE_IDENTITY": "google"})


@pytest.mark.parametrize("keys", ["./.sisbridge/data", "./.sisbridge/data/keys", "./.sisbridge"])
def test_key_dir_is_kept_apart_from_data(keys: str) -> None:
    assert "SISBRIDGE_KEY_DIR" in problems({"SISBRIDGE_KEY_DIR": keys})


@pytest.mark.parametrize(
    "runtime",
    [{"K_SERVICE": "connect"}, {"FUNCTION_TARGET": "connect", "K_REVISION": "connect-00001"}],
)
def test_cloud_runtime_is_detected(runtime: dict[str, str]) -> None:
    env = {k: v for k, v in CLOUD_READY.items() if k != "K_SERVICE"} | runtime
    s = Settings.from_env(env)
    assert s.on_cloud
    assert s.classroom_api_url == config.GOOGLE_CLASSROOM_API_URL


def test_function_target_alone_is_not_the_cloud() -> None:
    assert not Settings.from_env({"FUNCTION_TARGET": "connect"}).on_cloud  # functions-framework locally


def test_a_complete_cloud_configuration_is_accepted() -> None:
    s = Settings.from_env(CLOUD_READY)
    assert (
        s.on_cloud
        and s.store_backend is StoreBackend.FIRESTORE
        and s.audience.endswith("googleusercontent.com")
    )


def test_on_cloud_the_local_defaults_are_all_refused() -> None:
    found = problems({"K_SERVICE": "connect", "GOOGLE_CLOUD_PROJECT": "p"})
    assert {"SISBRIDGE_IDENTITY", "SISBRIDGE_STORE", "SISBRIDGE_SECRETS", "SISBRIDGE_TASKS"} <= set(found)
    assert "Google Cloud" in found["SISBRIDGE_STORE"]


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("SISBRIDGE_ALLOW_INSECURE_SIS", "1"),
        ("SISBRIDGE_IDENTITY", "local"),
        ("SISBRIDGE_STORE", "sqlite"),
        ("SISBRIDGE_SECRETS", "local"),
        ("SISBRIDGE_TASKS", "inprocess"),
        ("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8081"),
        ("SECRET_MANAGER_EMULATOR_HOST", "127.0.0.1:8085"),
        ("CLOUD_TASKS_EMULATOR_HOST", "127.0.0.1:8123"),
        ("SISBRIDGE_JWKS_URL", "http://127.0.0.1/certs"),
        ("SISBRIDGE_CLASSROOM_API_URL", "http://127.0.0.1:8700/classroom"),
    ],
)
def test_each_local_or_insecure_choice_is_refused_on_cloud(var: str, value: str) -> None:
    found = problems(CLOUD_READY | {var: value})
    assert list(found) == [var]
    assert Settings.from_env({k: v for k, v in (CLOUD_READY | {var: value}).items() if k != "K_SERVICE"})


def test_from_env_without_argument_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(CLOUD_READY) + ["FUNCTION_TARGET", "K_REVISION", "SISBRIDGE_REGION"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SISBRIDGE_REGION", "asia-east1")
    assert Settings.from_env().region == "asia-east1"


def test_cloud_tasks_and_google_classroom_need_their_accounts() -> None:
    env = {k: v for k, v in CLOUD_READY.items() if k not in
           ("SISBRIDGE_WORKER_URL", "SISBRIDGE_INVOKER_EMAIL", "SISBRIDGE_CLASSROOM_SA_EMAIL")}
    found = problems(env)
    assert {"SISBRIDGE_WORKER_URL", "SISBRIDGE_INVOKER_EMAIL", "SISBRIDGE_CLASSROOM_SA_EMAIL"} <= set(found)
