"""In the cloud, the worker and schedule routes accept only OIDC tokens of the invoker service
account for the worker's audience; everyone else gets 401, and user tokens never pass."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sisbridge.config import IdentityMode

from .conftest import FUNCTIONS_DIR, StackFactory, local_settings, serving

INVOKER = "sisbridge-invoker@demo-prod.iam.gserviceaccount.com"
WORKER_URL = "https://export-abc.a.run.app/tasks/run"
GOOGLE = "https://accounts.google.com"


@pytest.fixture
def google_keys() -> Iterator[tuple[RSAKey, str]]:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
    app = Flask("jwks")

    @app.get("/certs")
    def certs() -> Any:
        return jsonify(KeySet([key]).as_dict(private=False))

    with serving(app) as url:
        yield key, f"{url}/certs"


def _token(key: RSAKey, *, email: str = INVOKER, aud: str = WORKER_URL, iss: str = GOOGLE, **extra: Any) -> str:
    now = int(time.time())
    claims = {"iss": iss, "aud": aud, "sub": "1234567890", "email": email, "email_verified": True,
              "iat": now, "exp": now + 600, **extra}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


@pytest.fixture
def export_client(make_stack: StackFactory, google_keys: tuple[RSAKey, str], tmp_path: Path) -> Any:
    _, jwks_url = google_keys
    settings = local_settings(tmp_path / "cloudish", identity_mode=IdentityMode.GOOGLE, jwks_url=jwks_url,
                              issuers=(GOOGLE,), audience="console-client-id.apps.googleusercontent.com",
                              worker_url=WORKER_URL, invoker_email=INVOKER)
    make_stack(settings=settings)
    return functions_framework.create_app(target="export", source=str(FUNCTIONS_DIR / "export" / "main.py")).test_client()


def test_the_invoker_account_may_run_the_schedule(export_client: Any, google_keys: tuple[RSAKey, str]) -> None:
    key, _ = google_keys
    r = export_client.post("/schedule", headers={"Authorization": f"Bearer {_token(key)}"})
    assert r.status_code == 200 and r.get_json() == {"classes": 0, "enqueued": 0, "duplicate": 0}


@pytest.mark.parametrize("change, why", [
    ({"email": "someone-else@demo-prod.iam.gserviceaccount.com"}, "invoker"),
    ({"aud": "https://another-service.a.run.app"}, "another application"),
    ({"iss": "https://evil.example"}, ""),
    ({"exp": int(time.time()) - 3600}, "expired"),
])
def test_other_tokens_are_refused(export_client: Any, google_keys: tuple[RSAKey, str], change: dict[str, Any],
                                  why: str) -> None:
    key, _ = google_keys
    for path in ("/schedule", "/tasks/run"):
        r = export_client.post(path, headers={"Authorization": f"Bearer {_token(key, **change)}"},
                               json={"tenant": "district.example", "course_id": "1", "reason": "schedule",
                                     "run_id": "r1"})
        assert r.status_code == 401, r.get_data(as_text=True)
        assert why in r.get_json()["error"]["message"]


def test_no_token_and_a_teachers_sign_in_token_are_refused(export_client: Any,
                                                           google_keys: tuple[RSAKey, str]) -> None:
    key, _ = google_keys
    assert export_client.post("/schedule").status_code == 401
    teacher = _token(key, email="ada.lovelace@district.example", hd="district.example",
                     aud="console-client-id.apps.googleusercontent.com")
    assert export_client.post("/schedule", headers={"Authorization": f"Bearer {teacher}"}).status_code == 401
