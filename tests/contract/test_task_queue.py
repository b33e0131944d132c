"""Contract of the task queue port, for `InProcessTaskQueue` and `CloudTasksQueue` (on
gcloud-tasks-emulator 0.6.2): tasks reach a real loopback HTTP worker, failures are redelivered,
names dedupe. The emulator neither dedupes names nor sends OIDC tokens, so for Cloud Tasks those
are checked on the request the adapter builds; the real service does both.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sisbridge.adapters.cloud_tasks import CloudTasksQueue
from sisbridge.adapters.inprocess_tasks import Backoff, InProcessTaskQueue
from sisbridge.errors import InvalidRequest, QueueError
from sisbridge.ports.tasks import (
    TASK_NAME_HEADER,
    EnqueueCounts,
    EnqueueResult,
    ExportReason,
    ExportTask,
    TaskQueue,
)
from sisbridge.sandbox import runner

from tests import emulators

MakeQueue = Callable[..., TaskQueue]


def task(course: str = "600000000001", *, run_id: str = "run-1", slot: str | None = None) -> ExportTask:
    return ExportTask(
        tenant="district.example", course_id=course, reason=ExportReason.SCHEDULE, run_id=run_id, slot=slot
    )


# ------------------------------------------------------------------------------- the worker
@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Worker:
    """One test's worker endpoint: records every delivery and answers from `answers` (then 200)."""

    url: str
    answers: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def handle(self, delivery: Delivery) -> int:
        with self.cond:
            self.deliveries.append(delivery)
            self.cond.notify_all()
            return self.answers.pop(0) if self.answers else 200

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.deliveries) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{len(self.deliveries)} deliveries, expected {count}"
                self.cond.wait(remaining)
            return list(self.deliveries)

    def settle(self, queue: TaskQueue, count: int, *, quiet_s: float = 0.6) -> list[Delivery]:
        """Exactly `count` deliveries: wait for them, then make sure no more arrive."""
        self.wait_for(count)
        if isinstance(queue, InProcessTaskQueue):
            assert queue.drain(10)
        else:
            time.sleep(quiet_s)  # the emulator polls each queue every 0.1 s
        with self.cond:
            assert len(self.deliveries) == count, [d.json for d in self.deliveries]
            return list(self.deliveries)


class WorkerServer:
    """A loopback WSGI server for the session; each test's `Worker` owns a path of its own, so a
    late redelivery from an earlier test can never reach a later one (it gets 404)."""

    def __init__(self) -> None:
        self.workers: dict[str, Worker] = {}
        self.server = runner.start(self, threads=4)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        path = environ["PATH_INFO"]
        worker = self.workers.get(path)
        status = worker.handle(Delivery(path, headers, body, time.monotonic())) if worker else 404
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok" if status < 300 else b"failed"]

    def worker(self) -> Worker:
        path = f"/tasks/{uuid.uuid4().hex[:12]}/export"
        self.workers[path] = Worker(url=self.server.url + path)
        return self.workers[path]


@pytest.fixture(scope="session")
def worker_server() -> Iterator[WorkerServer]:
    server = WorkerServer()
    yield server
    server.server.stop()


@pytest.fixture
def worker(worker_server: WorkerServer) -> Worker:
    return worker_server.worker()


# ------------------------------------------------------------------------ contract: delivery
def test_a_task_reaches_the_worker_with_its_json_and_name(
    worker: Worker, task_queue_factory: MakeQueue
) -> None:
    queue = task_queue_factory(worker.url)
    sent = task(slot="2026-09-01T08:00Z")
    assert queue.enqueue(sent) is EnqueueResult.ENQUEUED
    [got] = worker.settle(queue, 1)
    assert got.path.startswith("/tasks/") and worker.url.endswith(got.path)
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers[TASK_NAME_HEADER.title()] == sent.name
    assert got.json == sent.to_json() and ExportTask.from_json(got.json, name=sent.name) == sent


def test_failed_deliveries_are_retried_until_the_worker_accepts(
    worker: Worker, task_queue_factory: MakeQueue
) -> None:
    worker.answers = [500, 500]
    queue = task_queue_factory(worker.url)
    sent = task()
    queue.enqueue(sent)
    deliveries = worker.settle(queue, 3)
    assert {d.headers[TASK_NAME_HEADER.title()] for d in deliveries} == {sent.name}
    assert all(d.body == sent.to_body() for d in deliveries)


def test_a_task_that_always_fails_is_given_up_after_bounded_attempts(
    worker: Worker, task_queue_factory: MakeQueue
) -> None:
    worker.answers = [503] * 20
    queue = task_queue_factory(worker.url)
    queue.enqueue(task())
    assert len(worker.settle(queue, 1 + emulators.TASKS_MAX_RETRIES)) == 4


def test_enqueue_many_delivers_each_distinct_task(worker: Worker, task_queue_factory: MakeQueue) -> None:
    queue = task_queue_factory(worker.url)
    tasks = [task(f"60000000000{n}") for n in range(1, 6)]
    counts = queue.enqueue_many([*tasks, tasks[0]])  # the repeat is counted, not sent
    assert counts == EnqueueCounts(enqueued=5, duplicate=1) and counts.total == 6
    deliveries = worker.settle(queue, 5)
    assert sorted(d.json["course_id"] for d in deliveries) == sorted(t.course_id for t in tasks)
    assert queue.enqueue_many([]) == EnqueueCounts()


def test_a_delay_postpones_delivery(worker: Worker, task_queue_factory: MakeQueue) -> None:
    queue = task_queue_factory(worker.url)
    started = time.monotonic()
    queue.enqueue(task(), delay_s=1.0)
    [got] = worker.settle(queue, 1)
    assert got.at - started >= 0.9


def test_bad_arguments_are_refused(worker: Worker, task_queue_factory: MakeQueue) -> None:
    queue = task_queue_factory(worker.url)
    with pytest.raises(InvalidRequest):
        queue.enqueue(task(), delay_s=-1)
    with pytest.raises(InvalidRequest):
        queue.enqueue(task(), delay_s=31 * 24 * 3600)
    with pytest.raises(TypeError):
        queue.enqueue({"tenant": "t"})  # type: ignore[arg-type]


# ------------------------------------------------------------------------ contract: dedupe
def test_in_process_queue_refuses_a_name_it_holds(worker: Worker) -> None:
    with InProcessTaskQueue(worker.url, dedupe_window_s=0.5, backoff=Backoff(initial_s=0.01)) as queue:
        assert queue.enqueue(task(slot="s1"), delay_s=0.2) is EnqueueResult.ENQUEUED
        again = ExportTask(
            tenant="district.example",
            course_id="600000000001",
            reason=ExportReason.TEACHER,
            run_id="another-run",
            slot="s1",
        )  # same slot: the same export
        assert queue.enqueue(again) is EnqueueResult.DUPLICATE  # pending
        worker.settle(queue, 1)
        assert queue.enqueue(task(slot="s1")) is EnqueueResult.DUPLICATE  # ran recently
        time.sleep(0.6)
        assert queue.enqueue(task(slot="s1")) is EnqueueResult.ENQUEUED  # the window has passed
        assert queue.enqueue(task(slot="s2")) is EnqueueResult.ENQUEUED
        worker.settle(queue, 3)


@pytest.mark.emulator
def test_cloud_tasks_names_each_task_so_the_service_dedupes(
    cloud_tasks_client: Any, cloud_tasks_queue_path: str
) -> None:
    queue = CloudTasksQueue(cloud_tasks_client, cloud_tasks_queue_path, "http://127.0.0.1:9/w")
    sent = task(slot="s1")
    request = queue.create_task_request(sent)
    assert request.parent == cloud_tasks_queue_path
    assert request.task.name == f"{cloud_tasks_queue_path}/tasks/{sent.name}"
    assert request.task.name == queue.task_path(task(slot="s1"))  # the same export, the same name
    assert request.task.http_request.headers[TASK_NAME_HEADER] == sent.name
    cloud_tasks_client.pause_queue(name=cloud_tasks_queue_path)  # keep it from delivering
    assert queue.enqueue(sent) is EnqueueResult.ENQUEUED
    [stored] = cloud_tasks_client.list_tasks(parent=cloud_tasks_queue_path)
    assert stored.name == request.task.name  # what the real service dedupes on


class AlreadyExistsClient:
    """Stands in for the real service's answer to a reused name (the emulator accepts it)."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    def create_task(self, *, request: Any, **_: Any) -> Any:
        from google.api_core.exceptions import AlreadyExists

        self.requests.append(request)
        raise AlreadyExists("Requested entity already exists")


def test_cloud_tasks_already_exists_is_a_duplicate() -> None:
    client = AlreadyExistsClient()
    queue = CloudTasksQueue(client, "projects/p/locations/l/queues/q", "https://w.example/x")  # type: ignore[arg-type]
    assert queue.enqueue(task()) is EnqueueResult.DUPLICATE
    assert queue.enqueue_many([task(), task("2"), task("3")]) == EnqueueCounts(enqueued=0, duplicate=3)


@pytest.mark.emulator
def test_cloud_tasks_errors_are_queue_errors(cloud_tasks_client: Any) -> None:
    missing = emulators.TASKS_QUEUE.rsplit("/", 1)[0] + "/does-not-exist"
    queue = CloudTasksQueue(cloud_tasks_client, missing, "http://127.0.0.1:9/w")
    with pytest.raises(QueueError) as caught:
        queue.enqueue(task())
    assert not caught.value.retryable and "queue" in caught.value.message
    with pytest.raises(QueueError) as many:
        queue.enqueue_many([task(), task("2")])
    assert many.value.details == {"failed": 2, "enqueued": 0}


@pytest.mark.emulator
def test_cloud_tasks_oidc_token_when_configured(cloud_tasks_client: Any, cloud_tasks_queue_path: str) -> None:
    url = "https://us-central1-demo.cloudfunctions.net/export_class"
    plain = CloudTasksQueue(cloud_tasks_client, cloud_tasks_queue_path, url)
    assert "oidc_token" not in plain.create_task_request(task()).task.http_request

    signed = CloudTasksQueue(
        cloud_tasks_client,
        cloud_tasks_queue_path,
        url,
        service_account_email="tasks@demo.iam.gserviceaccount.com",
    )
    token = signed.create_task_request(task()).task.http_request.oidc_token
    assert token.service_account_email == "tasks@demo.iam.gserviceaccount.com"
    assert token.audience == ""  # unset: Cloud Tasks uses the target URL

    audience = CloudTasksQueue(
        cloud_tasks_client,
        cloud_tasks_queue_path,
        url,
        service_account_email="tasks@demo.iam.gserviceaccount.com",
        audience="sisbridge-worker",
    )
    request = audience.create_task_request(task(), delay_s=60)
    assert request.task.http_request.oidc_token.audience == "sisbridge-worker"
    assert request.task.schedule_time.timestamp() > time.time() + 50
    cloud_tasks_client.pause_queue(name=cloud_tasks_queue_path)
    assert audience.enqueue(task()) is EnqueueResult.ENQUEUED  # the emulator takes it (and ignores it)
    with pytest.raises(ValueError):
        CloudTasksQueue(cloud_tasks_client, cloud_tasks_queue_path, url, audience="a")


# ----------------------------------------------------------------------- in-process specifics
def test_in_process_queue_calls_a_python_handler_and_retries_its_exceptions() -> None:
    seen: list[ExportTask] = []

    def handler(t: ExportTask) -> None:
        seen.append(t)
        if len(seen) < 3:
            raise RuntimeError("SIS down")

    with InProcessTaskQueue(handler, max_attempts=5, backoff=Backoff(initial_s=0.01)) as queue:
        queue.enqueue(task())
        assert queue.drain(5)
        assert seen == [task()] * 3 and queue.delivered == 1 and queue.failed == []


def test_in_process_queue_keeps_given_up_tasks_and_refuses_work_once_closed() -> None:
    def handler(t: ExportTask) -> None:
        raise RuntimeError("always")

    queue = InProcessTaskQueue(handler, max_attempts=2, backoff=Backoff(initial_s=0.01))
    queue.enqueue(task())
    assert queue.drain(5) and queue.failed == [task()]
    queue.close()
    queue.close()  # idempotent
    with pytest.raises(QueueError):
        queue.enqueue(task("2"))


# ---------------------------------------------------------------------------------- the task
def test_task_names_are_deterministic_hashes() -> None:
    scheduled = task(slot="2026-09-01T08:00Z")
    assert scheduled.name == task(run_id="other", slot="2026-09-01T08:00Z").name  # the slot decides
    assert len(scheduled.name) == 32 and int(scheduled.name, 16) >= 0
    assert task().name == task().name != task(run_id="run-2").name
    assert task().name != task(slot="2026-09-01T08:00Z").name != task("2", slot="2026-09-01T08:00Z").name
    retry = ExportTask(
        tenant="district.example", course_id="600000000001", reason=ExportReason.RETRY, run_id="run-1"
    )
    assert retry.name != task().name  # a retry of run-1 is not run-1 itself
    as_text = ExportTask(tenant="t", course_id="c", reason="webhook", run_id="r")  # type: ignore[arg-type]
    assert as_text.reason is ExportReason.WEBHOOK and as_text.reason == "webhook"


def test_task_json_round_trip_and_validation() -> None:
    sent = task(slot="s")
    assert ExportTask.from_json(json.loads(sent.to_body())) == sent
    for bad in (
        [],
        {**sent.to_json(), "reason": "whim"},
        {**sent.to_json(), "tenant": ""},
        {**sent.to_json(), "extra": 1},
        {**sent.to_json(), "name": "0" * 32},
    ):
        with pytest.raises(InvalidRequest):
            ExportTask.from_json(bad)
    with pytest.raises(InvalidRequest):
        ExportTask.from_json(sent.to_json(), name="forged")


# ------------------------------------------------------------------------------ measurement
@pytest.mark.emulator
@pytest.mark.slow
def test_enqueue_10000_tasks_into_the_emulator(
    cloud_tasks_client: Any, cloud_tasks_queue_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A measurement, not a target: printed with the result. The queue is paused (nothing delivered)."""
    cloud_tasks_client.pause_queue(name=cloud_tasks_queue_path)
    queue = CloudTasksQueue(
        cloud_tasks_client, cloud_tasks_queue_path, "http://127.0.0.1:9/never", concurrency=32
    )
    tasks = [task(f"c{n:05d}", run_id="bench") for n in range(10_000)]
    started = time.perf_counter()
    counts = queue.enqueue_many(tasks)
    elapsed = time.perf_counter() - started
    assert counts == EnqueueCounts(enqueued=10_000)
    with capsys.disabled():
        print(
            f"\n[measure] enqueue_many: 10,000 tasks into the Cloud Tasks emulator in {elapsed:.2f} s "
            f"({10_000 / elapsed:,.0f}/s, 32 threads)"
        )
