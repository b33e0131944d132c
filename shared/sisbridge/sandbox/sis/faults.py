"""Traffic shaping for OneRoster requests: in-flight limit, injected faults, latency, and counters.

Only OneRoster routes pass through here; the token endpoint and `/_sandbox` are never delayed or
faulted. The fault RNG is seeded, so a given seed and request order give the same fault sequence.
`max_in_flight` counts requests as they arrive, including the ones refused for concurrency, so it
shows how parallel the client really was.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .config import Knobs
from .imsx import ImsxError


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: dict[str, dict[str, dict[int, int]]] = defaultdict(
                lambda: defaultdict(lambda: defaultdict(int)))
            self._tokens: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            self._max_in_flight: dict[str, int] = defaultdict(int)

    def record(self, vendor: str, method: str, status: int) -> None:
        with self._lock:
            self._requests[vendor][method][status] += 1

    def record_token(self, vendor: str, status: int) -> None:
        with self._lock:
            self._tokens[vendor][status] += 1

    def saw_in_flight(self, vendor: str, count: int) -> None:
        with self._lock:
            if count > self._max_in_flight[vendor]:
                self._max_in_flight[vendor] = count

    def snapshot(self) -> dict[str, Any]:
        """`requests[vendor][method][status]` counts OneRoster calls; token calls are counted apart."""
        with self._lock:
            requests = {v: {m: {str(s): n for s, n in by_s.items()} for m, by_s in by_m.items()}
                        for v, by_m in self._requests.items()}
            return {
                "requests": requests,
                "total": sum(sum(by_s.values()) for by_m in self._requests.values()
                             for by_s in by_m.values()),
                "token_requests": {v: {str(s): n for s, n in by_s.items()}
                                   for v, by_s in self._tokens.items()},
                "max_in_flight": max(self._max_in_flight.values(), default=0),
                "max_in_flight_by_vendor": dict(self._max_in_flight),
            }


class Traffic:
    """Per-vendor in-flight counting, the concurrency limit, fault injection and latency."""

    def __init__(self, knobs: Knobs, seed: int, stats: Stats) -> None:
        self.knobs = knobs
        self.stats = stats
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = defaultdict(int)
        self._rng = random.Random(seed)
        self._seed = seed

    def reseed(self) -> None:
        with self._lock:
            self._rng = random.Random(self._seed)

    @contextmanager
    def admit(self, vendor: str, *, hold_until: float = 0.0) -> Iterator[None]:
        """Count the request in flight; refuse it (429) above `max_concurrency`, or inject a fault.

        Latency is a service time: every OneRoster request takes at least `latency_ms` from arrival
        to answer, the sandbox's own processing included: `hold_until` is arrival + latency.
        """
        with self._lock:
            self._in_flight[vendor] += 1
            count = self._in_flight[vendor]
        try:
            self.stats.saw_in_flight(vendor, count)
            knobs = self.knobs
            if knobs.max_concurrency is not None and count > knobs.max_concurrency:
                raise self._busy(f"More than {knobs.max_concurrency} concurrent requests")
            self._maybe_fault(knobs)
            yield
        finally:
            remaining = hold_until - time.perf_counter()
            if remaining > 0:  # still in flight while the SIS "works": the concurrency limit sees it
                time.sleep(remaining)
            with self._lock:
                self._in_flight[vendor] -= 1

    def _maybe_fault(self, knobs: Knobs) -> None:
        if knobs.fault_rate <= 0:
            return
        with self._lock:
            hit = self._rng.random() < knobs.fault_rate
            as_500 = hit and self._rng.random() < 0.5
        if as_500:
            raise ImsxError(500, "internal_server_error", "Injected fault: internal server error",
                            headers={"Retry-After": str(knobs.retry_after_s)})
        if hit:
            raise self._busy("Injected fault: server busy")

    def _busy(self, description: str) -> ImsxError:
        retry_after = str(self.knobs.retry_after_s)
        return ImsxError(429, "server_busy", description, headers={"Retry-After": retry_after})
