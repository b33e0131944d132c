"""Retries, backoff, the concurrency bound and timeouts, driven by the sandbox's fault knobs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sisbridge.errors import SisRateLimited, SisTimeout, SisUnavailable
from sisbridge.oneroster import DeleteOutcome, GUIDRef, LineItem, RetryPolicy, WriteOutcome
from sisbridge.sandbox import seed
from sisbridge.vendors import AuthMethod, OneRosterVersion

from .conftest import Flavour, Sandbox

pytestmark = pytest.mark.anyio
IC12 = Flavour("infinite_campus", OneRosterVersion.V1P2, AuthMethod.OAUTH2)  # max_concurrency 5
GEN11 = Flavour("oneroster_1p1", OneRosterVersion.V1P1, AuthMethod.OAUTH1)
CLS = "cls-alg1-p1"


def item(n: int) -> LineItem:
    from datetime import UTC, datetime

    t = datetime(2026, 9, 1, tzinfo=UTC)
    return LineItem(sourced_id=f"gc-li-{n}", title=f"Item {n}", class_=GUIDRef(sourced_id=CLS),
                    assign_date=t, due_date=t, category=GUIDRef(sourced_id=f"cat-{CLS}-1"),
                    school=GUIDRef(sourced_id=seed.SCHOOL_ID), result_value_min=0, result_value_max=10)


def stored_ids(sandbox: Sandbox, vendor: str) -> set[str]:
    return {o["sourcedId"] for o in sandbox.state.gradebook(vendor)["lineItems"] if not o["_deleted"]}


@pytest.mark.parametrize("flavour", [IC12, GEN11], ids=lambda f: f.id)
async def test_faults_are_retried_until_every_write_lands(sandbox: Sandbox, flavour: Flavour,
                                                          no_sleep: Any) -> None:
    sandbox.knobs(fault_rate=0.3, retry_after_s=0)
    async with sandbox.client(flavour, retry=RetryPolicy(max_attempts=12), sleep=no_sleep) as sis:
        outcomes = await asyncio.gather(*(sis.put_line_item(item(n)) for n in range(60)))
        stats = sis.stats
    assert outcomes == [WriteOutcome.CREATED] * 60
    assert stored_ids(sandbox, flavour.vendor) >= {f"gc-li-{n}" for n in range(60)}
    served = sandbox.statuses(flavour.vendor)
    faults = served.get("429", 0) + served.get("500", 0)
    assert faults > 0 and stats.retries == faults
    assert stats.by_status[429] + stats.by_status[500] == faults
    assert no_sleep.delays == [0] * faults  # Retry-After: 0 honoured


async def test_permanent_faults_stop_after_the_attempt_bound(sandbox: Sandbox, no_sleep: Any) -> None:
    sandbox.knobs(fault_rate=1.0, retry_after_s=1)
    async with sandbox.client(GEN11, retry=RetryPolicy(max_attempts=4), sleep=no_sleep) as sis:
        with pytest.raises((SisUnavailable, SisRateLimited)) as exc:
            await sis.put_line_item(item(1))
        assert sis.stats.retries == 3
    assert exc.value.details["attempts"] == 4
    assert sum(sandbox.statuses(GEN11.vendor).values()) == 4
    assert no_sleep.delays == [1, 1, 1]  # the server's Retry-After, each time


async def test_retries_stop_at_the_time_bound(sandbox: Sandbox) -> None:
    sandbox.knobs(fault_rate=1.0, retry_after_s=1)
    policy = RetryPolicy(max_attempts=50, max_elapsed_s=0.5, max_retry_after_s=0.2)  # waits 0.2 s, not 1 s
    started = time.monotonic()
    async with sandbox.client(GEN11, retry=policy) as sis:
        with pytest.raises((SisUnavailable, SisRateLimited)):
            await sis.put_line_item(item(1))
        attempts = sis.stats.requests
    assert 2 <= attempts <= 4 and time.monotonic() - started < 1.5


async def test_client_limit_keeps_the_sis_from_refusing(sandbox: Sandbox) -> None:
    """Sandbox limit = client limit (the profile's 5): 200 concurrent PUTs, not one 429."""
    limit = IC12.profile.limits.max_concurrency
    sandbox.knobs(max_concurrency=limit, latency_ms=5)
    async with sandbox.client(IC12) as sis:  # NO_RETRY: a single 429 would fail the test
        outcomes = await asyncio.gather(*(sis.put_line_item(item(n)) for n in range(200)))
        assert sis.stats.max_in_flight == limit
        assert 429 not in sis.stats.by_status
    assert outcomes == [WriteOutcome.CREATED] * 200
    assert sandbox.statuses(IC12.vendor) == {"201": 200}
    assert sandbox.stats()["max_in_flight_by_vendor"][IC12.vendor] <= limit


async def test_a_client_above_the_sis_limit_meets_429s_and_retries_them(sandbox: Sandbox,
                                                                        no_sleep: Any) -> None:
    sandbox.knobs(max_concurrency=2, latency_ms=5, retry_after_s=0)
    policy = RetryPolicy(max_attempts=30)
    async with sandbox.client(IC12, max_concurrency=8, retry=policy, sleep=no_sleep) as sis:
        outcomes = await asyncio.gather(*(sis.put_line_item(item(n)) for n in range(40)))
        assert sis.stats.by_status[429] > 0 and sis.stats.retries == sis.stats.by_status[429]
    assert outcomes == [WriteOutcome.CREATED] * 40


async def test_backoff_does_not_hold_a_concurrency_slot(sandbox: Sandbox) -> None:
    """One request sleeping in backoff must not block others: the slot is released while it waits."""
    sandbox.knobs(fault_rate=0.0)
    release = asyncio.Event()

    async def slow_sleep(_: float) -> None:
        await release.wait()

    async with sandbox.client(GEN11, max_concurrency=1, retry=RetryPolicy(max_attempts=2),
                              sleep=slow_sleep) as sis:
        sandbox.knobs(fault_rate=1.0, retry_after_s=0)
        stuck = asyncio.create_task(sis.put_line_item(item(1)))
        while sis.stats.retries == 0:
            await asyncio.sleep(0.01)
        sandbox.knobs(fault_rate=0.0)
        assert [t async for t in sis.teachers_by_email(seed.TEACHERS[0].email)]  # gets the only slot
        release.set()
        assert await stuck is WriteOutcome.CREATED


async def test_slow_sis_maps_to_timeout(sandbox: Sandbox) -> None:
    sandbox.knobs(latency_ms=500)
    async with sandbox.client(GEN11, timeout=0.1) as sis:
        with pytest.raises(SisTimeout) as exc:
            await sis.put_line_item(item(1))
        assert sis.stats.failures["sis_timeout"] == 1
    assert "0.1 s" in exc.value.message and exc.value.url and "/lineItems/gc-li-1" in exc.value.url


async def test_delete_that_404s_after_a_lost_answer_counts_as_deleted(sandbox: Sandbox) -> None:
    """The first DELETE times out on our side but the SIS still performs it; the retry then 404s."""
    async with sandbox.client(GEN11) as sis:
        await sis.put_line_item(item(1))

    async def wait_for_server(_: float) -> None:
        sandbox.knobs(latency_ms=0)
        await asyncio.sleep(0.6)  # the first, slow DELETE completes on the server meanwhile

    sandbox.knobs(latency_ms=400)
    policy = RetryPolicy(max_attempts=2)
    async with sandbox.client(GEN11, timeout=0.1, retry=policy, sleep=wait_for_server) as sis:
        assert await sis.delete_line_item("gc-li-1") is DeleteOutcome.DELETED
        assert sis.stats.failures["sis_timeout"] == 1 and sis.stats.by_status[404] == 1
    deletes = sandbox.stats()["requests"][GEN11.vendor]["DELETE"]
    assert deletes == {"200": 1, "404": 1}


async def test_unreachable_sis_is_unavailable(no_sleep: Any) -> None:
    import socket

    from sisbridge.oneroster import OneRosterClient
    from sisbridge.vendors import PROFILES

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    profile = PROFILES["oneroster_1p2"]
    endpoints = profile.endpoints(f"http://127.0.0.1:{port}", version=OneRosterVersion.V1P2)
    async with OneRosterClient(endpoints, profile, access_key="k", secret_code="secret-xyz",
                               retry=RetryPolicy(max_attempts=3), sleep=no_sleep) as sis:
        with pytest.raises(SisUnavailable) as exc:
            await sis.get_class("x")
        assert sis.stats.retries == 2
    assert "secret-xyz" not in str(exc.value.to_dict())
