"""Counters one client keeps about its traffic, for the bench, tests and logs (no payloads)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ClientStats"]


@dataclass(slots=True)
class ClientStats:
    requests: int = 0  # HTTP requests put on the wire (every attempt, token requests included)
    retries: int = 0  # attempts started again after a retryable failure
    token_fetches: int = 0
    auth_refreshes: int = 0  # 401s answered by dropping the token / re-signing
    by_status: Counter[int] = field(default_factory=Counter)  # HTTP status -> count
    failures: Counter[str] = field(default_factory=Counter)  # no HTTP answer: SisError code -> count
    in_flight: int = 0
    max_in_flight: int = 0  # the most API requests on the wire at once

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "token_fetches": self.token_fetches,
            "auth_refreshes": self.auth_refreshes,
            "by_status": dict(sorted(self.by_status.items())),
            "failures": dict(self.failures),
            "max_in_flight": self.max_in_flight,
        }
