"""The retry policy: what is retried, how long to wait, and when to stop (no I/O)."""

from __future__ import annotations

import pytest
from sisbridge.errors import (
    SisAuthRejected,
    SisError,
    SisInvalidData,
    SisNotFound,
    SisProtocolError,
    SisRateLimited,
    SisTimeout,
    SisUnavailable,
)
from sisbridge.oneroster import RetryPolicy

POLICY = RetryPolicy(max_attempts=5, max_elapsed_s=60, base_delay_s=0.5, max_delay_s=4, max_retry_after_s=10)


@pytest.mark.parametrize("error", [SisRateLimited("x"), SisUnavailable("x"), SisTimeout("x")])
def test_retryable(error: SisError) -> None:
    assert POLICY.delay_after(error, attempt=1, elapsed=0, rand=0.5) == 0.25


@pytest.mark.parametrize("error", [SisInvalidData("x"), SisNotFound("x"), SisAuthRejected("x"),
                                   SisProtocolError("x")])
def test_never_retried(error: SisError) -> None:
    assert POLICY.delay_after(error, attempt=1, elapsed=0, rand=0.5) is None


def test_exponential_full_jitter_with_ceiling() -> None:
    assert [POLICY.backoff(n, 1.0) for n in range(1, 7)] == [0.5, 1, 2, 4, 4, 4]
    assert POLICY.backoff(3, 0.0) == 0
    assert POLICY.backoff(3, 0.25) == 0.5


def test_attempts_bounded() -> None:
    err = SisUnavailable("x")
    assert POLICY.delay_after(err, attempt=4, elapsed=0, rand=0.1) is not None
    assert POLICY.delay_after(err, attempt=5, elapsed=0, rand=0.1) is None


def test_total_time_bounded() -> None:
    err = SisRateLimited("x", retry_after=5)
    assert POLICY.delay_after(err, attempt=1, elapsed=54, rand=0) == 5
    assert POLICY.delay_after(err, attempt=1, elapsed=56, rand=0) is None


def test_retry_after_is_honoured_and_capped() -> None:
    assert POLICY.delay_after(SisRateLimited("x", retry_after=0), attempt=1, elapsed=0, rand=0.9) == 0
    assert POLICY.delay_after(SisRateLimited("x", retry_after=3600), attempt=1, elapsed=0, rand=0.9) == 10
    assert POLICY.delay_after(SisUnavailable("x", retry_after=2), attempt=1, elapsed=0, rand=0.9) == 2


def test_invalid_policies() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=-1)
