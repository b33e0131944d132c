"""The local stack's own routes, without a browser: `/local/sign-in` mints tokens like
`sisbridge token` and refuses when identity is not local or the caller is not on loopback;
`/local/config` hands the console the sandbox's details; the deployed functions have neither; the
console's files are served with their security headers and nothing outside `console/`."""

from __future__ import annotations

from pathlib import Path

import httpx2
from sisbridge import bootstrap, local_stack
from sisbridge.adapters.local_secrets import LocalSecretStore
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.config import Settings
from sisbridge.identity import verifier_from_settings
from sisbridge.sandbox import seed
from werkzeug.test import Client

from .conftest import ADA, ADMIN, Stack

CLIENT_ID = "1234567890-test.apps.googleusercontent.com"


def post(stack: Stack, path: str, body: object) -> httpx2.Response:
    return httpx2.post(f"{stack.url}{path}", json=body, trust_env=False, headers={"Connection": "close"})


def test_local_sign_in_mints_tokens_the_functions_accept(stack: Stack) -> None:
    admin = post(stack, "/local/sign-in", {"email": " Admin@District.example ", "admin": True})
    assert admin.status_code == 200, admin.text
    assert admin.json()["email"] == ADMIN and admin.json()["admin"] is True
    teacher = post(stack, "/local/sign-in", {"email": ADA})
    bearer = lambda r: {"Authorization": f"Bearer {r.json()['token']}", "Connection": "close"}  # noqa: E731
    get = lambda path, r: httpx2.get(f"{stack.url}{path}", headers=bearer(r), trust_env=False)  # noqa: E731
    assert get("/connect", admin).json()["status"] == "none"
    assert get("/connect", teacher).status_code == 403
    courses = get("/export/courses", teacher).json()["courses"]
    assert {c["course_id"] for c in courses} == {"600000000001", "600000000002"}

    bad = post(stack, "/local/sign-in", {"email": "not-an-email"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "email"
    extra = post(stack, "/local/sign-in", {"email": ADA, "role": "admin"})
    assert extra.status_code == 400 and extra.json()["error"]["details"]["field"] == "role"
    assert httpx2.get(f"{stack.url}/local/sign-in", trust_env=False).status_code == 405

    config = httpx2.get(f"{stack.url}/local/config", trust_env=False).json()
    assert config["sandbox"]["host_urls"]["aspen"] == f"{stack.sandbox_url}/aspen"
    sandbox = config["sandbox"]
    assert (sandbox["access_key"], sandbox["secret_code"]) == (seed.ACCESS_KEY, seed.SECRET_CODE)


def test_the_deployed_functions_have_no_sign_in_route(stack: Stack) -> None:
    for fn in ("connect", "export", "disconnect"):
        r = post(stack, f"/{fn}/local/sign-in", {"email": ADMIN, "admin": True})
        assert r.status_code in (404, 405), (fn, r.status_code)
        assert "token" not in r.text


def test_local_sign_in_refuses_when_identity_is_google(stack: Stack, tmp_path: Path) -> None:
    settings = Settings.from_env({
        "SISBRIDGE_IDENTITY": "google", "SISBRIDGE_AUDIENCE": CLIENT_ID,
        "SISBRIDGE_DATA_DIR": str(tmp_path / "g"), "SISBRIDGE_KEY_DIR": str(tmp_path / "gk"),
    })
    google = bootstrap.Deps(settings=settings, store=SqliteDocumentStore(str(tmp_path / "g.sqlite3")),
                            secrets=LocalSecretStore(tmp_path / "g" / "s", tmp_path / "gk" / "s.key"),
                            verifier=verifier_from_settings(settings))
    bootstrap.use(google)
    try:
        refused = post(stack, "/local/sign-in", {"email": ADMIN, "admin": True})
        config = httpx2.get(f"{stack.url}/local/config", trust_env=False)
    finally:
        bootstrap.use(stack.deps)
        assert google.tasks is not None and google.classroom is not None
        google.tasks.close()
        google.classroom.close()
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert "Google" in refused.json()["error"]["message"]
    assert config.status_code == 403
    assert google.tenants.get(seed.DOMAIN) is None  # nobody was made an admin


def test_local_sign_in_answers_only_on_loopback(stack: Stack) -> None:
    client = Client(local_stack.local_routes)
    remote = client.post("/sign-in", json={"email": ADMIN, "admin": True},
                         environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert remote.status_code == 403
    assert remote.get_json()["error"]["message"].startswith("Local sign-in only answers on this machine")
    local = client.post("/sign-in", json={"email": ADMIN}, environ_base={"REMOTE_ADDR": "::1"})
    assert local.status_code == 200


def test_the_console_is_served_with_its_security_headers(stack: Stack) -> None:
    index = httpx2.get(f"{stack.url}/", trust_env=False)
    assert index.status_code == 200 and index.headers["Content-Type"].startswith("text/html")
    csp = index.headers["Content-Security-Policy"]
    assert "script-src 'self' https://accounts.google.com/gsi/client" in csp
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    app_js = httpx2.get(f"{stack.url}/js/app.js", trust_env=False)
    assert app_js.headers["Content-Type"].startswith("text/javascript")  # module scripts need it
    for path in ("/../README.md", "/%2e%2e/pyproject.toml", "/js/../../Makefile", "/.hidden", "/nothing.js"):
        assert httpx2.get(f"{stack.url}{path}", trust_env=False).status_code == 404, path
    assert httpx2.post(f"{stack.url}/index.html", trust_env=False).status_code == 405
