"""The task queue port: export tasks delivered at least once to a worker, deduplicated by name.

The worker contract, the same for every adapter:
  * a task is delivered as `POST {worker_url}` with the task's JSON (`ExportTask.to_json`) as the
    body, `Content-Type: application/json` and the header `X-Sisbridge-Task-Name: <task.name>`
    (the in-process queue may instead call a Python handler with the `ExportTask`);
  * a 2xx answer acknowledges it; any other answer (or an exception) is retried with backoff, a
    bounded number of times, so the worker must be idempotent: delivery is at least once;
  * a task whose name was enqueued recently is not enqueued again (`EnqueueResult.DUPLICATE`).
    Cloud Tasks keeps a name for about an hour after the task ran or was deleted; the in-process
    queue mirrors that with `dedupe_window_s`.

Names are deterministic hashes, as Cloud Tasks recommends (a hashed id spreads load, a sequential or
timestamped one hot-spots): with a `slot` every task for the same tenant, course and slot is the same
export, whatever its reason (the scheduler and a teacher's click in the same slot coalesce); without
one, the task is identified by its reason and `run_id`.
"""

from __future__ import annotations

import enum
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sisbridge.errors import InvalidRequest

__all__ = [
    "MAX_DELAY_S",
    "TASK_NAME_HEADER",
    "EnqueueCounts",
    "EnqueueResult",
    "ExportReason",
    "ExportTask",
    "TaskQueue",
]

TASK_NAME_HEADER = "X-Sisbridge-Task-Name"
MAX_DELAY_S = 30 * 24 * 3600  # Cloud Tasks schedules at most 30 days ahead
NAME_LENGTH = 32  # hex characters of sha256: 128 bits
_FIELDS = ("tenant", "course_id", "reason", "run_id", "slot")


class ExportReason(enum.StrEnum):
    SCHEDULE = "schedule"  # the periodic fan-out
    TEACHER = "teacher"  # a teacher asked for an export now
    WEBHOOK = "webhook"  # a Classroom change notification
    RETRY = "retry"  # a later attempt at a run that could not finish


class EnqueueResult(enum.Enum):
    ENQUEUED = "enqueued"
    DUPLICATE = "duplicate"  # a task with this name is pending or ran recently


@dataclass(frozen=True, slots=True, kw_only=True)
class EnqueueCounts:
    enqueued: int = 0
    duplicate: int = 0

    @property
    def total(self) -> int:
        return self.enqueued + self.duplicate


def _text(value: Any, field: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 1024:
        raise InvalidRequest(f"an export task's {field} must be a non-empty string")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportTask:
    """Export one Classroom course of one tenant to its SIS."""

    tenant: str
    course_id: str
    reason: ExportReason
    run_id: str
    slot: str | None = None  # a coalescing key, e.g. the schedule's "2026-09-01T08:00Z"

    def __post_init__(self) -> None:
        for field in ("tenant", "course_id", "run_id"):
            _text(getattr(self, field), field)
        _text(self.slot, "slot", optional=True)
        try:
            object.__setattr__(self, "reason", ExportReason(self.reason))
        except (ValueError, TypeError):
            choices = ", ".join(r.value for r in ExportReason)
            raise InvalidRequest(
                f"an export task's reason is one of {choices}, not {self.reason!r}"
            ) from None

    @property
    def name(self) -> str:
        """The task's deterministic id: hex, safe as a Cloud Tasks task id."""
        key: list[str] = [self.tenant, self.course_id]
        key += ["slot", self.slot] if self.slot is not None else ["run", self.reason.value, self.run_id]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:NAME_LENGTH]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tenant": self.tenant,
            "course_id": self.course_id,
            "reason": self.reason.value,
            "run_id": self.run_id,
            "slot": self.slot,
        }

    def to_body(self) -> bytes:
        """The bytes a worker receives."""
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: Any, *, name: str | None = None) -> ExportTask:
        """Parse a delivered task; `name` (the header) must match the body's. Bad input is InvalidRequest."""
        if not isinstance(data, Mapping):
            raise InvalidRequest("an export task is a JSON object")
        unknown = sorted(set(data) - {*_FIELDS, "name"})
        if unknown:
            raise InvalidRequest(f"unknown export task fields: {', '.join(unknown)}")
        fields: dict[str, Any] = {k: data.get(k) for k in _FIELDS}  # each checked by __post_init__
        task = cls(**fields)
        for claimed in (data.get("name"), name):
            if claimed is not None and claimed != task.name:
                raise InvalidRequest("the export task's name does not match its fields")
        return task


class TaskQueue(ABC):
    """Accepts export tasks for at-least-once delivery to the worker (see the module docstring).

    `enqueue` and `enqueue_many` check their arguments here; adapters implement `_enqueue` and may
    override `_enqueue_many` to send in parallel. Failures are `QueueError`.
    """

    def enqueue(self, task: ExportTask, *, delay_s: float = 0) -> EnqueueResult:
        """Queue `task` for delivery in `delay_s` seconds; DUPLICATE if its name is already taken."""
        return self._enqueue(_task(task), _delay(delay_s))

    def enqueue_many(self, tasks: Iterable[ExportTask], *, delay_s: float = 0) -> EnqueueCounts:
        """Queue every task; tasks repeated in `tasks` count as duplicates. On a `QueueError` some
        tasks may be queued: calling again with the same tasks is safe (they come back DUPLICATE)."""
        unique: dict[str, ExportTask] = {}
        repeated = 0
        for task in tasks:
            name = _task(task).name
            repeated += name in unique
            unique.setdefault(name, task)
        results = self._enqueue_many(list(unique.values()), _delay(delay_s))
        return EnqueueCounts(
            enqueued=sum(r is EnqueueResult.ENQUEUED for r in results),
            duplicate=repeated + sum(r is EnqueueResult.DUPLICATE for r in results),
        )

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release threads and connections; the default holds none."""

    def __enter__(self) -> TaskQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _enqueue(self, task: ExportTask, delay_s: float) -> EnqueueResult: ...

    def _enqueue_many(self, tasks: Sequence[ExportTask], delay_s: float) -> list[EnqueueResult]:
        """One result per task, in order; the default enqueues one by one."""
        return [self._enqueue(task, delay_s) for task in tasks]


def _task(task: Any) -> ExportTask:
    if not isinstance(task, ExportTask):
        raise TypeError(f"a task queue takes ExportTask, not {type(task).__name__}")
    return task


def _delay(delay_s: Any) -> float:
    if isinstance(delay_s, bool) or not isinstance(delay_s, int | float) or not 0 <= delay_s <= MAX_DELAY_S:
        raise InvalidRequest(f"delay_s must be a number of seconds between 0 and {MAX_DELAY_S}")
    return float(delay_s)
