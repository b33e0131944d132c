"""The OneRoster client suites: one SIS sandbox of our own (we turn its knobs and revoke tokens)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sisbridge.oneroster import NO_RETRY, OneRosterClient
from sisbridge.sandbox import seed
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion, VendorProfile


@dataclass(frozen=True, slots=True)
class Flavour:
    """One way to talk to one sandbox vendor: (vendor, OneRoster version, auth method)."""

    vendor: str
    version: OneRosterVersion
    auth: AuthMethod

    @property
    def profile(self) -> VendorProfile:
        return PROFILES[self.vendor]

    @property
    def id(self) -> str:
        return f"{self.vendor}-{self.version.value}-{self.auth.value}"


def all_flavours() -> list[Flavour]:
    """Every vendor × every version it lists × every auth it lists (OAuth 1.0a exists on 1.1 only)."""
    return [
        Flavour(p.id, v, a)
        for p in PROFILES.values()
        for v in p.versions
        for a in p.auth_methods
        if not (a is AuthMethod.OAUTH1 and v is OneRosterVersion.V1P2)
    ]


FLAVOURS = all_flavours()
OAUTH2_FLAVOURS = [f for f in FLAVOURS if f.auth is AuthMethod.OAUTH2]
OAUTH1_FLAVOURS = [f for f in FLAVOURS if f.auth is AuthMethod.OAUTH1]


def by_id(flavours: list[Flavour]) -> dict[str, Any]:
    return {"argvalues": flavours, "ids": [f.id for f in flavours]}


@dataclass
class Sandbox:
    url: str
    state: Any  # sisbridge.sandbox.sis.SisSandbox

    def endpoints(self, flavour: Flavour) -> Any:
        token_url = f"{self.url}/capita_sims/connect/token" if flavour.vendor == "capita_sims" else None
        return flavour.profile.endpoints(f"{self.url}/{flavour.vendor}", version=flavour.version,
                                         auth=flavour.auth, token_url=token_url)

    def client(self, flavour: Flavour, **kwargs: Any) -> OneRosterClient:
        kwargs.setdefault("access_key", seed.ACCESS_KEY)
        kwargs.setdefault("secret_code", seed.SECRET_CODE)
        kwargs.setdefault("timeout", 10.0)
        kwargs.setdefault("retry", NO_RETRY)
        return OneRosterClient(self.endpoints(flavour), flavour.profile, auth=flavour.auth, **kwargs)

    def knobs(self, **changes: Any) -> None:
        self.state.config.update(changes)

    def stats(self) -> dict[str, Any]:
        return dict(self.state.stats())

    def statuses(self, vendor: str) -> dict[str, int]:
        """OneRoster (non-token) responses the sandbox sent for `vendor`, by status."""
        out: dict[str, int] = {}
        for by_status in self.stats()["requests"].get(vendor, {}).values():
            for status, n in by_status.items():
                out[status] = out.get(status, 0) + n
        return out


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[Sandbox]:
    from sisbridge.sandbox import runner
    from sisbridge.sandbox.sis import SandboxConfig, create_app

    app = create_app(SandboxConfig())
    server = runner.start(app)
    yield Sandbox(server.url, app.extensions["sis_sandbox"])
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The module's sandbox, back to the seed with default knobs and zeroed counters."""
    sandbox_server.state.reset()
    return sandbox_server


@pytest.fixture
def no_sleep() -> Callable[[float], Any]:
    """A sleep that records the delays asked for and returns at once."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    sleep.delays = delays  # type: ignore[attr-defined]
    return sleep
