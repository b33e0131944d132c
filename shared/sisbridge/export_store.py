"""Repositories for linking and exporting, over the `DocumentStore` port.

    tenants/{t}/links/{course_id}                 ClassLink: a Classroom course ↔ a SIS class
    tenants/{t}/runs/{run_id}                     ExportRun: one export, its progress and errors
    tenants/{t}/leases/{course_id}                ClassLease: who is exporting this class right now
    tenants/{t}/ledgers/{course_id}               ledger head: chunk count and version
    tenants/{t}/ledgers/{course_id}/chunks/{n}    ledger chunks (each well under Firestore's 1 MiB)

Unlinking and disconnecting keep links (inactive), runs and ledgers: the ledger is what makes a
later export rewrite the same sourcedIds instead of creating new ones.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sisbridge.ports.store import DocumentStore, Txn
from sisbridge.repositories import Clock, tenant_path, utc_now

MAX_RUN_ERRORS = 500  # per run; a count of the rest is kept


# ------------------------------------------------------------------------------------------ links


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassLink:
    tenant_id: str
    course_id: str
    class_sourced_id: str
    class_title: str = ""
    course_name: str = ""
    teacher_email: str = ""  # who linked it; exports read Classroom as this teacher
    active: bool = True
    linked_at: datetime | None = None
    last_run_id: str | None = None
    last_state: str | None = None  # RunState value of the latest finished run
    last_finished_at: datetime | None = None


def _link_doc(link: ClassLink) -> dict[str, Any]:
    return {k: getattr(link, k) for k in ClassLink.__dataclass_fields__ if k not in ("tenant_id", "course_id")}


class ClassLinkRepository:
    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store, self._clock = store, clock

    @staticmethod
    def _path(tenant_id: str, course_id: str) -> str:
        return f"{tenant_path(tenant_id)}/links/{course_id}"

    def get(self, tenant_id: str, course_id: str, *, txn: Txn | None = None) -> ClassLink | None:
        doc = (txn or self._store).get(self._path(tenant_id, course_id))
        return None if doc is None else ClassLink(tenant_id=tenant_id, course_id=course_id, **doc)

    def save(self, link: ClassLink, *, txn: Txn | None = None) -> ClassLink:
        stamped = replace(link, linked_at=link.linked_at or self._clock())
        (txn or self._store).put(self._path(link.tenant_id, link.course_id), _link_doc(stamped))
        return stamped

    def index_course(self, tenant_id: str, course_id: str) -> None:
        """Record which tenant a Classroom course belongs to (course ids are global): webhooks name
        only the course."""
        self._store.put(f"courses/{course_id}", {"tenant": tenant_id})

    def tenant_of_course(self, course_id: str) -> str | None:
        entry = self._store.get(f"courses/{course_id}")
        return str(entry["tenant"]) if entry else None

    def active(self, tenant_id: str) -> list[ClassLink]:
        docs = self._store.list(f"{tenant_path(tenant_id)}/links", where=[("active", "==", True)])
        return [ClassLink(tenant_id=tenant_id, course_id=d.id, **d.data) for d in docs]

    def all(self, tenant_id: str) -> list[ClassLink]:
        return [ClassLink(tenant_id=tenant_id, course_id=d.id, **d.data)
                for d in self._store.list(f"{tenant_path(tenant_id)}/links")]


# ------------------------------------------------------------------------------------------- runs


class RunState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, some items failed: each has an error
    FAILED = "failed"  # nothing or little done: see errors

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCEEDED, RunState.PARTIAL, RunState.FAILED)


class Trigger(enum.Enum):
    CONSOLE = "console"
    WEBHOOK = "webhook"
    SCHEDULE = "schedule"


COUNT_KEYS = ("created", "updated", "unchanged", "deleted", "failed", "skipped", "orphaned")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunError:
    code: str
    message: str
    hint: str = ""
    student: str | None = None  # a Classroom email or SIS sourcedId, never a name
    item: str | None = None  # the courseWork id
    item_title: str | None = None  # the assignment's title in Classroom, for people
    sourced_id: str | None = None
    retryable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRun:
    tenant_id: str
    run_id: str
    course_id: str
    trigger: Trigger
    state: RunState = RunState.QUEUED
    requested_by: str = "system"
    full: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    done: int = 0
    total: int = 0
    counts: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    errors: tuple[RunError, ...] = ()
    errors_dropped: int = 0
    skipped: tuple[Mapping[str, Any], ...] = ()  # {reason, item, student}: not exported, by rule
    orphaned: tuple[Mapping[str, Any], ...] = ()  # items sisbridge wrote and left in the SIS (plan.Orphan)


def new_run_id(now: datetime) -> str:
    """Sortable by creation time, unique across instances."""
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"


def _run_doc(run: ExportRun) -> dict[str, Any]:
    return {
        "course_id": run.course_id, "trigger": run.trigger.value, "state": run.state.value,
        "requested_by": run.requested_by, "full": run.full,
        "created_at": run.created_at, "started_at": run.started_at, "finished_at": run.finished_at,
        "done": run.done, "total": run.total, "counts": dict(run.counts),
        "errors": [{k: getattr(e, k) for k in RunError.__dataclass_fields__} for e in run.errors],
        "errors_dropped": run.errors_dropped, "skipped": [dict(s) for s in run.skipped],
        "orphaned": [dict(o) for o in run.orphaned],
    }


def _run_from(tenant_id: str, run_id: str, d: Mapping[str, Any]) -> ExportRun:
    return ExportRun(
        tenant_id=tenant_id, run_id=run_id, course_id=d["course_id"], trigger=Trigger(d["trigger"]),
        state=RunState(d["state"]), requested_by=d.get("requested_by", "system"), full=bool(d.get("full")),
        created_at=d.get("created_at"), started_at=d.get("started_at"),
        finished_at=d.get("finished_at"), done=int(d.get("done", 0)), total=int(d.get("total", 0)),
        counts={k: int(d.get("counts", {}).get(k, 0)) for k in COUNT_KEYS},
        errors=tuple(RunError(**e) for e in d.get("errors", ())), errors_dropped=int(d.get("errors_dropped", 0)),
        skipped=tuple(d.get("skipped", ())), orphaned=tuple(d.get("orphaned", ())),
    )


class ExportRunRepository:
    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store, self._clock = store, clock

    @staticmethod
    def _path(tenant_id: str, run_id: str) -> str:
        return f"{tenant_path(tenant_id)}/runs/{run_id}"

    def get(self, tenant_id: str, run_id: str, *, txn: Txn | None = None) -> ExportRun | None:
        doc = (txn or self._store).get(self._path(tenant_id, run_id))
        return None if doc is None else _run_from(tenant_id, run_id, doc)

    def save(self, run: ExportRun, *, txn: Txn | None = None) -> ExportRun:
        errors, dropped = run.errors, run.errors_dropped
        if len(errors) > MAX_RUN_ERRORS:
            errors, dropped = errors[:MAX_RUN_ERRORS], dropped + len(errors) - MAX_RUN_ERRORS
        stamped = replace(run, created_at=run.created_at or self._clock(), errors=errors, errors_dropped=dropped)
        (txn or self._store).put(self._path(run.tenant_id, run.run_id), _run_doc(stamped))
        return stamped

    def for_course(self, tenant_id: str, course_id: str, *, limit: int = 20) -> list[ExportRun]:
        """Newest first. (Firestore needs the composite index course_id + created_at, in infra/.)"""
        docs = self._store.list(f"{tenant_path(tenant_id)}/runs", where=[("course_id", "==", course_id)],
                                order_by="created_at", descending=True, limit=limit)
        return [_run_from(tenant_id, d.id, d.data) for d in docs]


# ------------------------------------------------------------------------------------------ lease


class LeaseOutcome(enum.Enum):
    ACQUIRED = "acquired"
    HELD = "held"  # another run holds it; this trigger is coalesced into a follow-up


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassLease:
    holder: str  # run id
    attempt: str  # which delivery of the run's task holds it
    expires_at: datetime
    follow_up: bool = False  # a trigger arrived while held: run once more after the holder


class LeaseRepository:
    """One export per class at a time. A lease expires, so a crashed worker never blocks a class.

    The lease is held by one delivery (`attempt`) of one run's task: Cloud Tasks may deliver a task
    again while the first delivery still runs (past its dispatch deadline), and that second
    delivery must wait, not write every item a second time. A delivery after a crash takes over
    once the dead one's lease expires (checkpoints renew it while a delivery makes progress)."""

    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now, ttl: timedelta = timedelta(minutes=15)) -> None:
        self._store, self._clock, self._ttl = store, clock, ttl

    @staticmethod
    def _path(tenant_id: str, course_id: str) -> str:
        return f"{tenant_path(tenant_id)}/leases/{course_id}"

    def acquire(self, tenant_id: str, course_id: str, run_id: str, *, attempt: str) -> LeaseOutcome:
        path = self._path(tenant_id, course_id)

        def run(txn: Txn) -> LeaseOutcome:
            now = self._clock()
            doc = txn.get(path)
            same_run = bool(doc) and doc["holder"] == run_id  # type: ignore[index]
            if doc and doc["expires_at"] > now and not (same_run and doc.get("attempt") == attempt):
                if not same_run:  # another run: this trigger becomes a follow-up of it
                    txn.put(path, {**doc, "follow_up": True})
                return LeaseOutcome.HELD
            follow_up = bool(doc.get("follow_up")) if doc and same_run else False
            txn.put(path, {"holder": run_id, "attempt": attempt, "expires_at": now + self._ttl,
                           "follow_up": follow_up})
            return LeaseOutcome.ACQUIRED

        return self._store.transaction(run)

    def request_follow_up(self, tenant_id: str, course_id: str) -> bool:
        """Ask the current holder to run once more when it finishes; False when nobody holds it."""
        path = self._path(tenant_id, course_id)

        def run(txn: Txn) -> bool:
            doc = txn.get(path)
            if not doc or doc["expires_at"] <= self._clock():
                return False
            txn.put(path, {**doc, "follow_up": True})
            return True

        return self._store.transaction(run)

    def renew(self, tenant_id: str, course_id: str, run_id: str) -> None:
        path = self._path(tenant_id, course_id)

        def run(txn: Txn) -> None:
            doc = txn.get(path)
            if doc and doc["holder"] == run_id:
                txn.put(path, {**doc, "expires_at": self._clock() + self._ttl})

        self._store.transaction(run)

    def release(self, tenant_id: str, course_id: str, run_id: str, *, attempt: str) -> bool:
        """Give the lease up; True when a trigger arrived meanwhile and a follow-up run is due."""
        path = self._path(tenant_id, course_id)

        def run(txn: Txn) -> bool:
            doc = txn.get(path)
            if not doc or doc["holder"] != run_id or doc.get("attempt") != attempt:
                return False
            txn.delete(path)
            return bool(doc.get("follow_up"))

        return self._store.transaction(run)


# ----------------------------------------------------------------------------------------- ledger


class LedgerRepository:
    """A ledger is stored as chunks (a full save) plus journal records (checkpoints since).

    A checkpoint appends one small journal record, so it costs the same whatever the class's size;
    a full save (at the end of a run) writes the chunks and clears the journal. Loading replays
    any journal left by a crashed run over the chunks.
    """

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    @staticmethod
    def _head(tenant_id: str, course_id: str) -> str:
        return f"{tenant_path(tenant_id)}/ledgers/{course_id}"

    def load(self, tenant_id: str, course_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(chunks, journal records oldest first)."""
        head_path = self._head(tenant_id, course_id)
        head = self._store.get(head_path)
        chunks = [] if head is None else [self._store.get(f"{head_path}/chunks/{n}") or {}
                                          for n in range(int(head["chunks"]))]
        journal = sorted(self._store.list(f"{head_path}/journal"), key=lambda d: d.id)
        return chunks, [d.data for d in journal]

    def append(self, tenant_id: str, course_id: str, record: Mapping[str, Any]) -> None:
        record_id = f"{time.time_ns():020d}-{uuid.uuid4().hex[:6]}"  # sortable across instances
        self._store.put(f"{self._head(tenant_id, course_id)}/journal/{record_id}", dict(record))

    def save(self, tenant_id: str, course_id: str, chunks: Sequence[Mapping[str, Any]]) -> int:
        """Write every chunk, then the head, then clear the journal; returns the store writes made.
        A crash part-way leaves either the old chunks plus journal or the new chunks: both readable."""
        head_path = self._head(tenant_id, course_id)
        old = self._store.get(head_path)
        for n, chunk in enumerate(chunks):
            self._store.put(f"{head_path}/chunks/{n}", dict(chunk))
        self._store.put(head_path, {"chunks": len(chunks)})
        writes = len(chunks) + 1
        for n in range(len(chunks), int(old["chunks"]) if old else 0):
            self._store.delete(f"{head_path}/chunks/{n}")
            writes += 1
        for record in self._store.list(f"{head_path}/journal"):
            self._store.delete(f"{head_path}/journal/{record.id}")
            writes += 1
        return writes
