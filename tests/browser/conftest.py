"""Browser tests of the console: the real local stack in-process, driven by Debian's Chromium.

`stack` is one district per test: the SIS and Classroom sandboxes on a loopback port, and
`local_stack.local_app()` (the three functions, the console at `/`, the local-only routes) on
another, over embedded adapters in the test's tmp dir, installed with `bootstrap.use()`. `page`
is a fresh browser context on it that may reach nothing but loopback.

Playwright's sync API with our own fixtures (not pytest-playwright: the two cannot share a run),
launched on `/usr/bin/chromium` (never `playwright install`). Without Chromium or the playwright
package the browser tests skip with the reason, and fail under CI (`CI` set): `make browser-deps`
installs both.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from functions_framework import _function_registry
from sisbridge import bootstrap, local_stack
from sisbridge.adapters.local_secrets import LocalSecretStore
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.config import Settings
from sisbridge.identity import verifier_from_settings
from sisbridge.identity_keys import LocalKeys
from sisbridge.sandbox import runner, seed
from sisbridge.sandbox import stack as sandbox_stack

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-results" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
ADMIN = f"admin@{seed.DOMAIN}"
ADA = seed.TEACHERS[0].email
ALGEBRA, GEOMETRY = seed.SECTIONS[0], seed.SECTIONS[1]


# ------------------------------------------------------------------------------------ the stack


@dataclass
class Stack:
    url: str  # the console and the functions
    sandbox_url: str
    deps: bootstrap.Deps

    def token(self, email: str) -> str:
        return LocalKeys(self.deps.settings.key_dir).mint_token(email, audience=self.deps.settings.audience)

    def call(self, method: str, path: str, email: str, body: Any = None) -> Any:
        """The API as `email`, for test set-up and for checking what the console did."""
        headers = {"Authorization": f"Bearer {self.token(email)}", "Connection": "close"}
        r = httpx2.request(method, f"{self.url}{path}", json=body, headers=headers, timeout=30,
                           trust_env=False)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def make_admin(self, email: str = ADMIN) -> None:
        r = httpx2.post(f"{self.url}/local/sign-in", json={"email": email, "admin": True}, trust_env=False,
                        headers={"Connection": "close"})
        assert r.status_code == 200, r.text

    def connect(self, sis: str = "infinite_campus") -> None:
        """An authorized sandbox SIS, as the admin would leave it."""
        self.make_admin()
        body = {"sis": sis, "host_url": f"{self.sandbox_url}/{sis}", "access_key": seed.ACCESS_KEY,
                "secret_code": seed.SECRET_CODE}
        self.call("POST", "/connect", ADMIN, body)
        assert self.call("POST", "/connect/authorize", ADMIN)["status"] == "authorized"

    def link_and_export(self, section: seed.Section, teacher: str = ADA) -> dict[str, Any]:
        course = section.classroom_course_id
        self.call("PUT", f"/export/courses/{course}/link", teacher,
                  {"class_sourced_id": section.class_sourced_id})
        run = self.call("POST", f"/export/courses/{course}/exports", teacher, {})
        assert self.deps.tasks is not None and self.deps.tasks.drain(60)
        return self.call("GET", f"/export/courses/{course}/exports/{run['run_id']}", teacher)

    def knobs(self, **values: Any) -> None:
        r = httpx2.put(f"{self.sandbox_url}/_sandbox/knobs", json=values, trust_env=False)
        assert r.status_code == 200, r.text

    def has_credentials(self) -> bool:
        conn = self.deps.connections.get(seed.DOMAIN)
        return conn is not None and conn.secret_ref is not None


def _stop(server: runner.RunningServer) -> None:
    """Close from inside waitress's loop thread (between two selects, without waiting out its
    one-second select); `RunningServer.stop()` only if that thread is gone or does not finish."""
    waitress = server.server
    try:
        waitress.trigger.pull_trigger(waitress.close)
    except OSError:  # the trigger's pipe is already closed: the loop thread can no longer be woken
        pass
    server.thread.join(timeout=5)
    if server.thread.is_alive() or not waitress.trigger._closed:
        server.stop()
    else:
        waitress.task_dispatcher.shutdown()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    sandbox = sandbox_stack.start(sandbox_stack.SandboxOptions(port=0))
    settings = Settings.from_env({
        "SISBRIDGE_DATA_DIR": str(tmp_path / "data"), "SISBRIDGE_KEY_DIR": str(tmp_path / "keys"),
        "SISBRIDGE_ALLOW_INSECURE_SIS": "1", "SISBRIDGE_CLASSROOM_API_URL": f"{sandbox.url}/classroom",
    })
    deps = bootstrap.Deps(
        settings=settings, store=SqliteDocumentStore(str(tmp_path / "db.sqlite3")),
        secrets=LocalSecretStore(tmp_path / "data" / "secrets", tmp_path / "keys" / "secrets.key"),
        verifier=verifier_from_settings(settings),
    )
    bootstrap.use(deps)
    # functions-framework registers each function globally, appends its folder to sys.path and
    # replaces sys.modules["main"]: all put back afterwards.
    registry, path, main = dict(_function_registry.REGISTRY_MAP), list(sys.path), sys.modules.get("main")
    server = runner.start(local_stack.local_app())
    try:
        yield Stack(url=server.url, sandbox_url=sandbox.url, deps=deps)
    finally:
        _stop(server)
        bootstrap.use(None)
        assert deps.tasks is not None and deps.classroom is not None
        deps.tasks.close()
        deps.classroom.close()
        _stop(sandbox)
        _function_registry.REGISTRY_MAP.clear()
        _function_registry.REGISTRY_MAP.update(registry)
        sys.path[:] = path
        if main is None:
            sys.modules.pop("main", None)
        else:
            sys.modules["main"] = main


# ---------------------------------------------------------------------------------- the browser


def _missing_browser() -> str | None:
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"Chromium is not installed at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed")
    return "; ".join(problems) + " (make browser-deps installs them)" if problems else None


def _absent(missing: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {missing}", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


def playwright_expect() -> Any:
    """Playwright's `expect`, for a browser test module to import at its top (the module skips,
    or fails under CI, when playwright is not installed)."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        _absent("the playwright package is not installed (make browser-deps installs it)")
    return expect


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for this folder's tests. Package-scoped, not session-scoped: while Playwright's
    sync API is open its event loop runs on the main thread, where later suites call asyncio.run()."""
    missing = _missing_browser()
    if missing:
        _absent(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Console:
    """A browser tab on the stack's console, and what went wrong in it."""

    page: Any
    stack: Stack
    page_errors: list[str]
    blocked: list[str]

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        """Save a screenshot to test-results/screenshots/<name>.png (the viewport only for a modal,
        whose backdrop covers the viewport)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], f"{name}: the page scrolls sideways ({width}px)"
        return path

    def open(self, hash_path: str = "/") -> None:
        self.page.goto(f"{self.stack.url}/#{hash_path}")
        self.page.wait_for_selector("html[data-ready=true]")

    def sign_in_as_admin(self) -> None:
        self.open("/sign-in")
        self.page.get_by_role("button", name="Sign in as the district admin").click()
        self.page.get_by_role("heading", level=1, name="SIS connection").wait_for()

    def sign_in_as_teacher(self) -> None:
        self.open("/sign-in")
        self.page.get_by_role("button", name="Sign in as Ada Lovelace (teacher)").click()
        self.page.get_by_role("heading", level=1, name="My courses").wait_for()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.page.get_by_role("heading", level=1, name="Sign in").wait_for()
        assert self.page.locator("#account").is_hidden() and self.page.locator("#nav").is_hidden()

    def low_contrast(self) -> list[dict[str, Any]]:
        """Visible text below WCAG AA contrast (4.5:1; 3:1 for large text) against its background."""
        return self.page.evaluate(CONTRAST_JS)


@pytest.fixture
def console(browser: Any, stack: Stack) -> Iterator[Console]:
    context = browser.new_context(viewport=LAPTOP, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(15_000)
    blocked: list[str] = []

    def loopback_only(route: Any) -> None:  # the console must need nothing from the network
        blocked.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(("http://127.0.0.1:", "data:")), loopback_only)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    try:
        yield Console(page=page, stack=stack, page_errors=errors, blocked=blocked)
    finally:
        context.close()
    assert not errors, errors
    assert not blocked, f"the console tried to reach the network: {blocked}"


def config_override(**values: Any) -> Callable[[Any], None]:
    """A route handler that serves console/config.js with `values` changed (as a deployment would)."""
    body = "export default " + json.dumps({"apiBase": "", "functionUrls": {}, "signIn": "local",
                                            "googleClientId": "", "pollIntervalMs": 500} | values) + ";\n"

    def fulfil(route: Any) -> None:
        route.fulfill(status=200, content_type="text/javascript; charset=utf-8", body=body)

    return fulfil


CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()
