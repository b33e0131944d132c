"""Fixtures shared by every suite: the sandboxes on loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sis_server() -> Iterator[str]:
    """One SIS sandbox for the session, every vendor mounted at /<vendor>. Tests that change
    knobs or need a clean district start their own."""
    from sisbridge.sandbox import runner
    from sisbridge.sandbox.sis import SandboxConfig, create_app

    server = runner.start(create_app(SandboxConfig()))
    yield server.url
    server.stop()
