"""`TaskQueue` inside the process, for `make run` and tests: the Cloud Tasks guarantees, no Google.

One background thread delivers due tasks one at a time, either to a Python handler or by POSTing
to a worker URL exactly as Cloud Tasks would (JSON body, `X-Sisbridge-Task-Name`). A failure (an
exception, a non-2xx answer, no answer) is retried after an exponential backoff until
`max_attempts`; then the task is given up, logged and kept in `failed`. Names are deduplicated
while a task is pending and for `dedupe_window_s` after it finished, as Cloud Tasks keeps a name.

Nothing is persisted: tasks still pending when the process stops are lost (the next scheduled
fan-out enqueues them again). The thread starts on the first enqueue; `drain(timeout)` waits until
nothing is pending or in flight, and `close()` stops the thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx2

from sisbridge.errors import QueueError
from sisbridge.logs import bind
from sisbridge.ports.tasks import TASK_NAME_HEADER, EnqueueResult, ExportTask, TaskQueue

__all__ = ["Backoff", "Handler", "InProcessTaskQueue"]

logger = logging.getLogger(__name__)

Handler = Callable[[ExportTask], None]  # raise to have the task retried


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Wait `initial_s · factor^(n-1)`, at most `max_s`, after the n-th failed attempt."""

    initial_s: float = 0.5
    max_s: float = 60.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        return min(self.max_s, self.initial_s * self.factor ** max(0, attempt - 1))


@dataclass(slots=True)
class _Entry:
    task: ExportTask
    attempt: int = 0  # deliveries made so far


class InProcessTaskQueue(TaskQueue):
    def __init__(
        self,
        handler: Handler | str,
        *,
        max_attempts: int = 5,
        backoff: Backoff = Backoff(),
        dedupe_window_s: float = 3600.0,
        timeout_s: float = 60.0,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        """
        Args:
            handler: called with each task, or the worker URL to POST each task to.
            max_attempts: deliveries before a task is given up (the first one included).
            backoff: the wait before each redelivery.
            dedupe_window_s: how long a finished task's name stays taken.
            timeout_s: per delivery, when `handler` is a URL.
            transport: httpx2 transport for the URL delivery (tests).
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http: httpx2.Client | None = None
        self._url = handler if isinstance(handler, str) else ""
        if self._url:
            self._http = httpx2.Client(transport=transport, timeout=timeout_s)
            self._handler: Handler = self._post
        elif callable(handler):
            self._handler = handler
        else:
            raise TypeError("handler must be a callable or a worker URL")
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._window = dedupe_window_s
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Entry]] = []
        self._seq = itertools.count()
        self._names: dict[str, float | None] = {}  # name → finish time; None while pending
        self._in_flight = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self.failed: list[ExportTask] = []  # given up after max_attempts
        self.delivered = 0  # acknowledged deliveries

    # ------------------------------------------------------------------------- TaskQueue
    def _enqueue(self, task: ExportTask, delay_s: float) -> EnqueueResult:
        now = time.monotonic()
        with self._cond:
            if self._closed:
                raise QueueError("the in-process task queue is closed")
            if task.name in self._names:
                finished = self._names[task.name]
                if finished is None or now - finished < self._window:
                    return EnqueueResult.DUPLICATE
            self._names[task.name] = None
            self._push(_Entry(task), now + delay_s)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inprocess-tasks", daemon=True)
                self._thread.start()
            if len(self._names) > 10_000:
                self._forget(now)
            return EnqueueResult.ENQUEUED

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until no task is pending or in flight; False if that did not happen in `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            pending = len(self._heap)
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._http is not None:
            self._http.close()
        if pending:
            logger.warning("in-process task queue closed with %d tasks not delivered", pending)

    # ------------------------------------------------------------------------- worker
    def _push(self, entry: _Entry, due: float) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), entry))
        self._cond.notify_all()

    def _forget(self, now: float) -> None:
        expired = [n for n, t in self._names.items() if t is not None and now - t >= self._window]
        for name in expired:
            del self._names[name]

    def _next(self) -> _Entry | None:
        with self._cond:
            while not self._closed:
                if self._heap:
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._heap)[2]
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        while (entry := self._next()) is not None:
            entry.attempt += 1
            ok = self._deliver(entry)
            now = time.monotonic()
            with self._cond:
                self._in_flight -= 1
                if ok:
                    self.delivered += 1
                    self._names[entry.task.name] = now
                elif entry.attempt >= self._max_attempts:
                    self._names[entry.task.name] = now
                    self.failed.append(entry.task)
                    logger.error("export task %s given up after %d attempts", entry.task.name, entry.attempt)
                else:
                    self._push(entry, now + self._backoff.delay(entry.attempt))
                self._cond.notify_all()

    def _deliver(self, entry: _Entry) -> bool:
        task = entry.task
        with bind(task_name=task.name, tenant=task.tenant, course_id=task.course_id, run_id=task.run_id):
            try:
                self._handler(task)
            except Exception as exc:  # a failed delivery, whatever the handler raised: retried
                logger.warning(
                    "export task delivery %d failed: %s",
                    entry.attempt,
                    exc,
                    exc_info=not isinstance(exc, QueueError),
                )
                return False
            return True

    def _post(self, task: ExportTask) -> None:
        """Deliver as Cloud Tasks does: POST the JSON with the name header; non-2xx is a failure."""
        assert self._http is not None
        response = self._http.post(
            self._url,
            content=task.to_body(),
            headers={"Content-Type": "application/json", TASK_NAME_HEADER: task.name},
        )
        if not response.is_success:
            raise QueueError(f"the worker answered {response.status_code}", retryable=True)
