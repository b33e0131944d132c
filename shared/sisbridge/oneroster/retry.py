"""When to try a request again, and how long to wait first.

Retried: 429, 5xx, timeouts and dropped connections (`SisRateLimited`, `SisUnavailable`,
`SisTimeout`), for every method: OneRoster writes are PUT/DELETE on a sourcedId we chose, so a
replay is harmless. Never retried: any other 4xx (401 is handled once by the auth layer, not here).
Waits are exponential with full jitter, or what `Retry-After` asks (capped), and the whole call
is bounded both in attempts and in elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sisbridge.errors import SisError, SisRateLimited, SisTimeout, SisUnavailable

__all__ = ["NO_RETRY", "RetryPolicy", "retry_after_of"]

RETRYABLE = (SisRateLimited, SisUnavailable, SisTimeout)


def retry_after_of(error: SisError) -> float | None:
    """The server's requested wait: `SisRateLimited.retry_after`, or a 503's `details["retry_after"]`."""
    value = getattr(error, "retry_after", None)
    if value is None:
        value = error.details.get("retry_after")
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 5  # including the first
    max_elapsed_s: float = 60.0  # no retry is started that would end after this
    base_delay_s: float = 0.5  # first backoff ceiling; doubles per attempt
    max_delay_s: float = 20.0  # ceiling of one backoff
    max_retry_after_s: float = 30.0  # the longest Retry-After honoured as-is

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.max_elapsed_s, self.base_delay_s, self.max_delay_s, self.max_retry_after_s) < 0:
            raise ValueError("retry delays must not be negative")

    @staticmethod
    def is_retryable(error: SisError) -> bool:
        return isinstance(error, RETRYABLE)

    def backoff(self, attempt: int, rand: float) -> float:
        """Full jitter: uniform in [0, min(max_delay, base·2^(attempt-1))); `rand` in [0, 1)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2.0 ** max(0, attempt - 1)))
        return ceiling * min(max(rand, 0.0), 1.0)

    def delay_after(self, error: SisError, *, attempt: int, elapsed: float, rand: float) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up and raise `error`."""
        if not self.is_retryable(error) or attempt >= self.max_attempts:
            return None
        asked = retry_after_of(error)
        delay = min(asked, self.max_retry_after_s) if asked is not None else self.backoff(attempt, rand)
        if elapsed + delay > self.max_elapsed_s:
            return None
        return delay


NO_RETRY = RetryPolicy(max_attempts=1)
