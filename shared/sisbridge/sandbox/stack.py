"""Both sandboxes behind one loopback port: the SIS at `/<vendor>/…`, Classroom at `/classroom`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from sisbridge.vendors import PROFILES, AuthMethod

from . import runner, seed

CLASSROOM_PREFIX = "/classroom"


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = 8700
    vendor: str | None = None  # also serve this vendor at "/"
    latency_ms: int = 0
    fault_rate: float = 0.0
    max_concurrency: int | None = None


def build_app(options: SandboxOptions) -> Any:
    from .classroom import ClassroomConfig
    from .classroom import create_app as classroom_app
    from .sis import SandboxConfig
    from .sis import create_app as sis_app

    sis = sis_app(
        SandboxConfig(
            latency_ms=options.latency_ms,
            fault_rate=options.fault_rate,
            max_concurrency=options.max_concurrency,
            root_vendor=options.vendor,
        )
    )
    return DispatcherMiddleware(sis, {CLASSROOM_PREFIX: classroom_app(ClassroomConfig())})


def start(options: SandboxOptions) -> runner.RunningServer:
    return runner.start(build_app(options), host=options.host, port=options.port)


def describe(base: str, options: SandboxOptions) -> str:
    """What a newcomer needs to connect: per vendor the host URL, OneRoster bases, token URL."""
    lines = [
        f"SIS sandbox on {base}  (latency {options.latency_ms} ms, faults {options.fault_rate:.0%}, "
        f"max concurrency {options.max_concurrency or 'unlimited'})",
        f"Classroom sandbox: {base}{CLASSROOM_PREFIX}/v1/courses",
        f"Credentials: access key {seed.ACCESS_KEY!r}, secret code {seed.SECRET_CODE!r}",
        "",
    ]
    for profile in PROFILES.values():
        host = f"{base}/{profile.id}"
        token_url = f"{base}/capita_sims/connect/token" if profile.token_url else None
        lines.append(f"{profile.name}  [sis={profile.id}]  host URL: {host}")
        for version in profile.versions:
            ep = profile.endpoints(host, version=version, auth=AuthMethod.OAUTH2, token_url=token_url)
            bases = ep.rostering if ep.rostering == ep.gradebook else f"{ep.rostering} + {ep.gradebook}"
            lines.append(f"    OneRoster {version.value}: {bases}")
        oauth2 = AuthMethod.OAUTH2 in profile.auth_methods
        lines.append(
            f"    token URL: {ep.token_url}" if oauth2 else "    auth: OAuth 1.0a (HMAC-SHA256), no token URL"
        )
    if options.vendor:
        lines.append(f"\n{PROFILES[options.vendor].name} is also served at the root: host URL {base}")
    return "\n".join(lines)
