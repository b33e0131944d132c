"""What the SIS sandbox is started with (`SandboxConfig`) and the knobs that change while it runs.

`SandboxConfig` is a frozen value. The runtime knobs live in a mutable `Knobs` object that every
request reads afresh, so a test or the bench can turn latency or faults up and down on a running
server (through `sandbox.config` or `PUT /_sandbox/knobs`) without restarting it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sisbridge.sandbox import seed

# A second credential pair: roster scopes only, as when the district has no gradebook licence.
ROSTER_ONLY_KEY = "sandbox-roster-only-key"
ROSTER_ONLY_SECRET = "sandbox-roster-only-secret"

# (client id, secret) -> scope names granted (without the version prefix).
ALL_SCOPES = frozenset({
    "roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
    "gradebook-core.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete",
})
ROSTER_SCOPES = frozenset({"roster-core.readonly", "roster.readonly", "roster-demographics.readonly"})
CLIENTS: dict[str, tuple[str, frozenset[str]]] = {
    seed.ACCESS_KEY: (seed.SECRET_CODE, ALL_SCOPES),
    ROSTER_ONLY_KEY: (ROSTER_ONLY_SECRET, ROSTER_SCOPES),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxConfig:
    """How to start the sandbox. The first six fields are also runtime knobs (see `Knobs`)."""

    latency_ms: int = 0  # sleep per OneRoster request (never for /_sandbox or the token endpoint)
    fault_rate: float = 0.0  # probability of an injected 500 or 429 (half each)
    max_concurrency: int | None = None  # requests in flight per vendor above this get 429
    retry_after_s: int = 1  # Retry-After on every 429 and injected 500
    token_ttl_s: int = 3600  # bearer token lifetime
    closed_grading_periods: tuple[str, ...] = ()  # gradingPeriod sourcedIds that refuse writes
    vendors: tuple[str, ...] | None = None  # None: every profile in PROFILES
    root_vendor: str | None = None  # also serve this vendor (same state) at "/"
    seed: int = 0  # seeds the fault RNG, so a fault sequence is reproducible


@dataclass(slots=True, kw_only=True)
class Knobs:
    """The mutable part of the config. Assigning an attribute takes effect on the next request."""

    latency_ms: int = 0
    fault_rate: float = 0.0
    max_concurrency: int | None = None
    retry_after_s: int = 1
    token_ttl_s: int = 3600
    closed_grading_periods: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: SandboxConfig) -> Knobs:
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["closed_grading_periods"] = list(self.closed_grading_periods)
        return out

    def update(self, changes: dict[str, Any]) -> None:
        """Validate and apply `changes` all at once (nothing is applied if one value is bad)."""
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in {f.name for f in fields(self)}:
                raise ValueError(f"unknown knob {key!r}")
            checked[key] = _check_knob(key, value)
        for key, value in checked.items():
            setattr(self, key, value)


def _check_knob(key: str, value: Any) -> Any:
    if key == "closed_grading_periods":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("closed_grading_periods must be a list of sourcedIds")
        return tuple(value)
    if key == "max_concurrency" and value is None:
        return None
    if key == "fault_rate":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError("fault_rate must be a number between 0 and 1")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    if key in {"max_concurrency", "token_ttl_s"} and value < 1:
        raise ValueError(f"{key} must be at least 1")
    return value
