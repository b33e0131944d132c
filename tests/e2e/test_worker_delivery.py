"""The Cloud Tasks worker under at-least-once delivery: a task delivered twice writes nothing twice,
and a worker that dies mid-run is resumed by the redelivery without repeating what the ledger
acknowledged."""

from __future__ import annotations

import threading

import httpx2
import pytest

from sisbridge.errors import ExportInProgress
from sisbridge.export_store import ExportRun, RunState
from sisbridge.ports.tasks import ExportReason, ExportTask
from sisbridge.services import export as exports

from .conftest import World
from .support import (
    ALGEBRA,
    INFINITE_CAMPUS,
    TENANT,
    add_assignment,
    book,
    client_writes,
    expected,
    setup,
    statuses,
    writes,
)

def _task(run_id: str) -> ExportTask:
    """A scheduled export's task: its run is created by the first delivery."""
    return ExportTask(tenant=TENANT, course_id=ALGEBRA.classroom_course_id, reason=ExportReason.SCHEDULE,
                      run_id=run_id)


class WorkerDied(BaseException):
    """The instance running the worker went away (scale-in, out of memory, a deploy): no code of
    the worker runs after it, no `except Exception` sees it."""


class DiesAfterWrites(httpx2.AsyncBaseTransport):
    """The network, until the SIS has applied the n-th PUT: the worker dies before it reads the
    answer, so that write happened and was never acknowledged."""

    def __init__(self, puts: int) -> None:
        self._left = puts
        self._network = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._network.handle_async_request(request)
        if request.method == "PUT":
            self._left -= 1
            if self._left == 0:
                await response.aclose()
                raise WorkerDied
        return response

    async def aclose(self) -> None:
        await self._network.aclose()


def test_a_task_delivered_twice_writes_nothing_twice(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    task = _task("sched-twice")

    first = exports.run_task(task, world.deps)
    seen = world.stats()["total"]
    second = exports.run_task(task, world.deps)

    assert first.state is RunState.PARTIAL and first.counts["created"] > 0
    assert (second.run_id, second.state, second.counts) == (first.run_id, first.state, first.counts)
    assert world.stats()["total"] == seen  # the redelivery did not even read the SIS
    assert set(client_writes(book(world, INFINITE_CAMPUS.vendor)).values()) == {1}


def test_a_task_delivered_twice_at_once_writes_nothing_twice(world: World) -> None:
    """Cloud Tasks delivers again when a delivery outlives its dispatch deadline, while the first
    one is still running."""
    setup(world, INFINITE_CAMPUS)
    task = _task("sched-at-once")
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        try:
            outcomes.append(exports.run_task(task, world.deps))
        except Exception as exc:  # a refused delivery: Cloud Tasks retries it
            outcomes.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    sis = book(world, INFINITE_CAMPUS.vendor)
    exp = expected(world)
    assert set(sis.items) == set(exp.results) | set(exp.line_items)
    assert set(client_writes(sis).values()) == {1}, outcomes
    # The delivery that found the class busy is refused with a retryable error (Cloud Tasks tries
    # it again later), unless it only started once the other had finished.
    assert all((isinstance(o, ExportRun) and o.state.finished) or isinstance(o, ExportInProgress)
               for o in outcomes), outcomes
    seen = world.stats()["total"]
    retried = exports.run_task(task, world.deps)
    assert retried.state is RunState.PARTIAL and world.stats()["total"] == seen


def test_a_worker_that_dies_mid_run_resumes_without_repeating_acknowledged_writes(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    for n in range(20):  # 20 more assignments graded for the 11 matched students: over 200 results
        add_assignment(world, ALGEBRA, f"Worksheet {n + 1}", max_points=10,
                       grades={i: float((i + n) % 11) for i in range(11)})
    exp = expected(world)
    items = len(exp.line_items) + len(exp.results)
    assert len(exp.line_items) == 24 and len(exp.results) > 240
    task = _task("sched-crash")

    # The SIS applies 220 results after the 24 lineItems; the worker dies on the last of them.
    world.deps.sis_transport = DiesAfterWrites(24 + 220)
    with pytest.raises(WorkerDied):
        exports.run_task(task, world.deps)
    world.deps.sis_transport = None
    crashed = world.deps.runs.get(TENANT, "sched-crash")
    assert crashed is not None and crashed.state is RunState.RUNNING
    acknowledged = crashed.done  # at the last checkpoint: every lineItem and some results
    assert 24 < acknowledged < 24 + 220
    puts_at_crash = sum(statuses(world, INFINITE_CAMPUS.vendor, "PUT").values())

    resumed = exports.run_task(task, world.deps)  # Cloud Tasks redelivers the unacknowledged task

    assert resumed.state is RunState.PARTIAL and resumed.counts["failed"] == 0
    sis = book(world, INFINITE_CAMPUS.vendor)
    assert set(sis.line_items) == set(exp.line_items) and set(sis.results) == set(exp.results)
    assert all(float(sis.results[sid]["score"]) == g.score for sid, g in exp.results.items())
    resent = sum(statuses(world, INFINITE_CAMPUS.vendor, "PUT").values()) - puts_at_crash
    assert resent == items - acknowledged  # nothing the ledger acknowledged went out again
    counts = client_writes(sis)
    assert all(counts[sid] == 1 for sid in exp.line_items)
    twice = {sid for sid, n in counts.items() if n == 2}
    assert max(counts.values()) == 2 and len(twice) <= puts_at_crash - acknowledged  # the unacknowledged
    assert "DELETE" not in writes(world, INFINITE_CAMPUS.vendor)


def test_assignments_whose_creation_the_dying_worker_never_confirmed_can_still_be_deleted(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    task = _task("sched-early-death")
    world.deps.sis_transport = DiesAfterWrites(2)  # while the lineItems are being created
    with pytest.raises(WorkerDied):
        exports.run_task(task, world.deps)
    world.deps.sis_transport = None
    exports.run_task(task, world.deps)
    exp = expected(world)
    assert set(book(world, INFINITE_CAMPUS.vendor).line_items) == set(exp.line_items)

    # The teacher then deletes every assignment: sisbridge created them all, so all must go.
    for work in world.classroom_state.course_work_list(ALGEBRA.classroom_course_id):
        world.classroom_state.delete_course_work(ALGEBRA.classroom_course_id, work.id)
    run = exports.run_task(_task("sched-after-deletes"), world.deps)

    sis = book(world, INFINITE_CAMPUS.vendor)
    assert not sis.line_items and not sis.results, run.orphaned
    assert run.counts["deleted"] == len(exp.line_items) + len(exp.results) and run.orphaned == ()
