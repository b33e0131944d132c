"""`TaskQueue` on Google Cloud Tasks: one HTTP task per export, named so the service dedupes it.

Each task is `POST {worker_url}` with the task's JSON and `X-Sisbridge-Task-Name`, named
`{queue_path}/tasks/{task.name}`. Cloud Tasks refuses a name that exists or ran within about an
hour with ALREADY_EXISTS, which is `EnqueueResult.DUPLICATE` here. With `service_account_email`
the task carries an `oidc_token`, so the worker (a Cloud Function that requires authentication)
receives a Google ID token for `audience` (default: the worker URL). The enqueuing identity needs
`roles/cloudtasks.enqueuer` and `iam.serviceAccounts.actAs` on that service account.

Retries of failed deliveries are the queue's `retryConfig` (set in infra), not this module's.
`create_task` itself is retried on UNAVAILABLE/DEADLINE_EXCEEDED: a named task makes that safe
(a replay that finds its own first attempt answers ALREADY_EXISTS, counted as DUPLICATE).

`enqueue_many` sends `concurrency` requests at a time from a thread pool (the sync gRPC client is
thread-safe); each failure becomes a `QueueError`, raised after every other task was tried.

Local emulator (gcloud-tasks-emulator): build the client on an insecure channel
(`CloudTasksGrpcTransport(channel=grpc.insecure_channel(host_port))`). It delivers and retries,
but it neither dedupes names nor sends the OIDC token; `create_task_request` exposes exactly what
is sent, so both are checked on the request instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exc
from google.cloud import tasks_v2

from sisbridge.errors import QueueError
from sisbridge.ports.tasks import TASK_NAME_HEADER, EnqueueResult, ExportTask, TaskQueue

__all__ = ["CloudTasksQueue"]

logger = logging.getLogger(__name__)

_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,  # includes DeadlineExceeded
    gexc.InternalServerError,
    gexc.TooManyRequests,  # includes ResourceExhausted
    gexc.Aborted,
    gexc.RetryError,
    auth_exc.TransportError,
)
_RETRY = gretry.Retry(
    predicate=gretry.if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
    initial=0.1,
    maximum=2.0,
    multiplier=2.0,
    timeout=20.0,
)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except _TRANSIENT as exc:
        raise QueueError(f"{what}: Cloud Tasks is unavailable ({exc})", retryable=True) from exc
    except (gexc.NotFound, gexc.FailedPrecondition) as exc:
        raise QueueError(
            f"{what}: the queue is missing or not accepting tasks ({exc})",
            hint="Check the queue exists, is RUNNING, and that SISBRIDGE_REGION names its location.",
        ) from exc
    except (gexc.PermissionDenied, gexc.Unauthenticated, auth_exc.GoogleAuthError) as exc:
        raise QueueError(
            f"{what}: Cloud Tasks refused the call ({exc})",
            hint="Grant roles/cloudtasks.enqueuer, and actAs on the tasks' service account.",
        ) from exc
    except gexc.GoogleAPIError as exc:
        raise QueueError(f"{what}: Cloud Tasks failed ({exc})") from exc


class CloudTasksQueue(TaskQueue):
    def __init__(
        self,
        client: tasks_v2.CloudTasksClient,
        queue_path: str,
        worker_url: str,
        *,
        service_account_email: str | None = None,
        audience: str | None = None,
        concurrency: int = 32,
        timeout_s: float = 10.0,
    ) -> None:
        """
        Args:
            client: a sync CloudTasksClient (an emulator's is built on an insecure channel).
            queue_path: `projects/{p}/locations/{l}/queues/{q}` (`client.queue_path(...)`).
            worker_url: where each task is POSTed.
            service_account_email: sign each delivery with an OIDC token of this account.
            audience: the token's audience; default the worker URL (as Cloud Tasks does).
            concurrency: parallel `create_task` calls in `enqueue_many`.
            timeout_s: per `create_task` attempt.
        """
        if queue_path.count("/") != 5 or not queue_path.startswith("projects/"):
            raise ValueError(f"not a queue path: {queue_path!r}")
        if audience is not None and service_account_email is None:
            raise ValueError("an OIDC audience needs service_account_email")
        self._client = client
        self.queue_path = queue_path
        self.worker_url = worker_url
        self._service_account = service_account_email
        self._audience = audience
        self._concurrency = max(1, concurrency)
        self._timeout = timeout_s

    def task_path(self, task: ExportTask) -> str:
        return f"{self.queue_path}/tasks/{task.name}"

    def create_task_request(self, task: ExportTask, *, delay_s: float = 0) -> tasks_v2.CreateTaskRequest:
        """The exact request `enqueue` sends for `task`."""
        http = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=self.worker_url,
            headers={"Content-Type": "application/json", TASK_NAME_HEADER: task.name},
            body=task.to_body(),
        )
        if self._service_account is not None:
            token = tasks_v2.OidcToken(service_account_email=self._service_account)
            if self._audience is not None:
                token.audience = self._audience
            http.oidc_token = token
        created = tasks_v2.Task(name=self.task_path(task), http_request=http)
        if delay_s > 0:
            created.schedule_time = datetime.now(UTC) + timedelta(seconds=delay_s)
        return tasks_v2.CreateTaskRequest(parent=self.queue_path, task=created)

    def _enqueue(self, task: ExportTask, delay_s: float) -> EnqueueResult:
        request = self.create_task_request(task, delay_s=delay_s)
        with _translated(f"enqueueing export task {task.name}"):
            try:
                self._client.create_task(request=request, retry=_RETRY, timeout=self._timeout)
            except gexc.AlreadyExists:
                return EnqueueResult.DUPLICATE
        return EnqueueResult.ENQUEUED

    def _enqueue_many(self, tasks: Sequence[ExportTask], delay_s: float) -> list[EnqueueResult]:
        if len(tasks) <= 1:
            return super()._enqueue_many(tasks, delay_s)

        def one(task: ExportTask) -> EnqueueResult | QueueError:
            try:
                return self._enqueue(task, delay_s)
            except QueueError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(tasks))) as pool:
            outcomes: list[Any] = list(pool.map(one, tasks))
        errors = [o for o in outcomes if isinstance(o, QueueError)]
        if errors:
            done = len(outcomes) - len(errors)
            logger.error("enqueued %d export tasks, %d failed: %s", done, len(errors), errors[0].message)
            raise QueueError(
                f"{len(errors)} of {len(outcomes)} export tasks were not enqueued: {errors[0].message}",
                retryable=all(e.retryable for e in errors),
                failed=len(errors),
                enqueued=done,
            ) from errors[0]
        return outcomes
