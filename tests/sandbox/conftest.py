"""Fixtures for the sandbox suites. Each group is prefixed by the sandbox it serves (`classroom_*`, …)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

# ---------------------------------------------------------------------- classroom_*
CLASSROOM_PREFIX = "/classroom"


@pytest.fixture(scope="session")
def classroom_servers() -> Iterator[dict[str, tuple[str, Any]]]:
    """Two Classroom sandboxes for the session: served at the root, and mounted under /classroom.

    Maps "root"/"mounted" to (API base URL, ClassroomState).
    """
    from sisbridge.sandbox import runner
    from sisbridge.sandbox.classroom import EXTENSION, ClassroomConfig, create_app

    root_app, mounted_app = create_app(ClassroomConfig()), create_app(ClassroomConfig())
    root = runner.start(root_app)
    mounted = runner.start(DispatcherMiddleware(NotFound(), {CLASSROOM_PREFIX: mounted_app}))
    yield {
        "root": (root.url, root_app.extensions[EXTENSION]),
        "mounted": (mounted.url + CLASSROOM_PREFIX, mounted_app.extensions[EXTENSION]),
    }
    root.stop()
    mounted.stop()


@pytest.fixture(params=["root", "mounted"])
def classroom_target(
    request: pytest.FixtureRequest, classroom_servers: dict[str, tuple[str, Any]]
) -> tuple[str, Any]:
    """(base URL, state) of a freshly reset sandbox; every test using it runs at / and under /classroom."""
    url, state = classroom_servers[request.param]
    state.reset()
    return url, state


@pytest.fixture
def classroom_http(classroom_target: tuple[str, Any]) -> Iterator[httpx2.Client]:
    """A raw HTTP client whose base URL is the sandbox's API root (…/v1 and …/_sandbox below it)."""
    with httpx2.Client(base_url=classroom_target[0], timeout=10) as client:
        yield client


@pytest.fixture
def classroom_state(classroom_target: tuple[str, Any]) -> Any:
    """The in-process ClassroomState behind `classroom_http`."""
    return classroom_target[1]


# ---------------------------------------------------------------------- sis_*
@pytest.fixture(scope="session")
def sis_sandbox_server() -> Iterator[tuple[str, Any]]:
    """A SIS sandbox of its own for the SIS suite: every vendor at /<vendor>; (server URL, SisSandbox)."""
    from sisbridge.sandbox import runner
    from sisbridge.sandbox.sis import SandboxConfig, create_app

    app = create_app(SandboxConfig())
    server = runner.start(app)
    yield server.url, app.extensions["sis_sandbox"]
    server.stop()


@pytest.fixture
def sis_state(sis_sandbox_server: tuple[str, Any]) -> Any:
    """The SisSandbox, back to the seed (gradebooks, knobs, counters) and with every token revoked."""
    state = sis_sandbox_server[1]
    state.reset()
    state.revoke_tokens()
    return state


@pytest.fixture
def sis_url(sis_sandbox_server: tuple[str, Any], sis_state: Any) -> str:
    """The server URL of the freshly reset SIS sandbox (vendor v lives at {sis_url}/{v})."""
    return sis_sandbox_server[0]


@pytest.fixture
def sis_http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=10) as client:
        yield client
