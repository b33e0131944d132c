"""Exporting a linked course: triggers (console, signed webhook, schedule), the Cloud Tasks worker,
dry runs and run history."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sisbridge import logs
from sisbridge.bootstrap import Deps
from sisbridge.domain import Ledger, LedgerError, plan_export
from sisbridge.errors import AppError, CourseNotLinked, ExportInProgress, NotFound
from sisbridge.export_store import (
    COUNT_KEYS,
    ClassLink,
    ExportRun,
    LeaseOutcome,
    RunError,
    RunState,
    Trigger,
    new_run_id,
)
from sisbridge.identity import Caller
from sisbridge.ports.tasks import EnqueueResult, ExportReason, ExportTask
from sisbridge.repositories import ConnectionStatus, utc_now

from .export_inputs import read_inputs
from .export_runner import Execution, FatalSisError, execute
from .gate import ready_connection, require_course_access
from .sis_session import open_client

logger = logging.getLogger(__name__)

_REASON = {Trigger.CONSOLE: ExportReason.TEACHER, Trigger.WEBHOOK: ExportReason.WEBHOOK,
           Trigger.SCHEDULE: ExportReason.SCHEDULE}
STALE_RUN = timedelta(hours=1)  # a queued/running run older than this no longer absorbs triggers


def _linked(tenant: str, course_id: str, deps: Deps) -> ClassLink:
    link = deps.links.get(tenant, course_id)
    if link is None or not link.active:
        raise CourseNotLinked("This course is not linked to an SIS class.")
    return link


# ----------------------------------------------------------------------------------- triggers


def preview(caller: Caller, course_id: str, deps: Deps, *, full: bool = False) -> dict[str, Any]:
    """Dry run: the plan with old → new values. Reads Classroom and the SIS, writes nothing."""
    require_course_access(caller, course_id, deps)
    conn, creds = ready_connection(caller.tenant, deps)
    link = _linked(caller.tenant, course_id, deps)

    async def plan() -> dict[str, Any]:
        async with open_client(conn, creds, deps) as sis:
            inputs = await read_inputs(link, conn, sis, deps)
        return plan_export(inputs, _ledger(link, deps), full=full).to_dict()

    return {"dry_run": True, "course_id": course_id, "plan": asyncio.run(plan())}


def request_export(tenant: str, course_id: str, deps: Deps, *, trigger: Trigger, actor: str,
                   full: bool = False) -> tuple[ExportRun, bool]:
    """Queue a run, or return the run already queued or running for this class (coalesced)."""
    conn, _ = ready_connection(tenant, deps, for_teacher=True)
    _linked(tenant, course_id, deps)
    latest = deps.runs.for_course(tenant, course_id, limit=1)
    now = utc_now()
    if latest and not latest[0].state.finished and latest[0].created_at and now - latest[0].created_at < STALE_RUN:
        active = latest[0]
        if active.state is RunState.QUEUED and (active.full or not full):
            return active, True
        if active.state is RunState.RUNNING and deps.leases.request_follow_up(tenant, course_id):
            return active, True  # the running export runs once more when it finishes
    run = deps.runs.save(ExportRun(tenant_id=tenant, run_id=new_run_id(now), course_id=course_id, trigger=trigger,
                                   requested_by=actor, full=full, created_at=now))
    _enqueue(run, deps)
    return run, False


def _enqueue(run: ExportRun, deps: Deps, *, slot: str | None = None) -> EnqueueResult:
    assert deps.tasks is not None
    task = ExportTask(tenant=run.tenant_id, course_id=run.course_id, reason=_REASON[run.trigger],
                      run_id=run.run_id, slot=slot)
    return deps.tasks.enqueue(task)


def trigger(caller: Caller, course_id: str, deps: Deps, *, full: bool = False) -> dict[str, Any]:
    require_course_access(caller, course_id, deps)
    run, coalesced = request_export(caller.tenant, course_id, deps, trigger=Trigger.CONSOLE,
                                    actor=caller.email, full=full)
    return {"run_id": run.run_id, "state": run.state, "coalesced": coalesced}


def webhook_tenant(course_id: str, deps: Deps) -> str:
    tenant = deps.links.tenant_of_course(course_id)
    if tenant is None:
        raise CourseNotLinked(f"Course {course_id} is not linked in sisbridge.")
    return tenant


def schedule(deps: Deps, *, slot: str) -> dict[str, int]:
    """Enqueue one task per linked class of every authorized tenant with teacher exports on. Task
    names derive from the class and the slot, so calling twice for one slot enqueues nothing twice."""
    assert deps.tasks is not None
    tasks: list[ExportTask] = []
    for doc in deps.store.list("tenants"):
        conn = deps.connections.get(doc.id)
        if conn is None or conn.status is not ConnectionStatus.AUTHORIZED or not conn.teacher_export_enabled:
            continue
        for link in deps.links.active(doc.id):
            run_id = "sched-" + hashlib.sha256(f"{slot}|{doc.id}|{link.course_id}".encode()).hexdigest()[:20]
            tasks.append(ExportTask(tenant=doc.id, course_id=link.course_id, reason=ExportReason.SCHEDULE,
                                    run_id=run_id, slot=slot))
    counts = deps.tasks.enqueue_many(tasks)
    return {"classes": len(tasks), "enqueued": counts.enqueued, "duplicate": counts.duplicate}


# ------------------------------------------------------------------------------------- worker


def _ledger(link: ClassLink, deps: Deps) -> Ledger:
    chunks, journal = deps.ledgers.load(link.tenant_id, link.course_id)
    try:
        base = Ledger.from_chunks(chunks) if chunks else Ledger.empty(link.class_sourced_id)
        return base.replay(journal)
    except LedgerError:
        # Re-sending is safe (same sourcedIds, PUT overwrites): worst case some unchanged writes.
        logger.error("the ledger is unreadable; planning as a resync against the SIS")
        return Ledger.empty(link.class_sourced_id)


def run_task(task: ExportTask, deps: Deps) -> ExportRun:
    """The Cloud Tasks target. Raises a retryable error to be redelivered; returns to acknowledge."""
    with logs.bind(tenant=task.tenant, course_id=task.course_id, run_id=task.run_id, task_name=task.name):
        run = deps.runs.get(task.tenant, task.run_id)
        if run is None:  # scheduled tasks carry a run id that is created on first delivery
            trig = {ExportReason.SCHEDULE: Trigger.SCHEDULE, ExportReason.WEBHOOK: Trigger.WEBHOOK}.get(
                task.reason, Trigger.CONSOLE)
            run = deps.runs.save(ExportRun(tenant_id=task.tenant, run_id=task.run_id, course_id=task.course_id,
                                           trigger=trig))
        if run.state.finished:
            return run  # a redelivery after the run finished: nothing to do
        try:
            conn, creds = ready_connection(task.tenant, deps, for_teacher=True)
            link = _linked(task.tenant, task.course_id, deps)
        except AppError as exc:
            return _finish(deps, run, RunState.FAILED, [RunError(code=exc.code, message=exc.message, hint=exc.hint)])
        attempt = uuid.uuid4().hex  # this delivery: another delivery of the task must not run alongside
        lease = deps.leases.acquire(task.tenant, task.course_id, run.run_id, attempt=attempt)
        if lease is LeaseOutcome.HELD:
            raise ExportInProgress("Another export of this class is running.", retry_after=30)
        try:
            latest = deps.runs.get(task.tenant, task.run_id)
            if latest is not None and latest.state.finished:
                return latest  # another delivery finished it while this one waited for the lease
            return _run(run, link, conn, creds, deps)
        finally:
            if deps.leases.release(task.tenant, task.course_id, run.run_id, attempt=attempt):
                request_export(task.tenant, task.course_id, deps, trigger=run.trigger, actor="system")


def _run(run: ExportRun, link: ClassLink, conn: Any, creds: Any, deps: Deps) -> ExportRun:
    run = deps.runs.save(replace(run, state=RunState.RUNNING, started_at=run.started_at or utc_now()))
    ledger = _ledger(link, deps)

    async def go() -> tuple[Any, Execution]:
        async with open_client(conn, creds, deps) as sis:
            inputs = await read_inputs(link, conn, sis, deps)
            plan = plan_export(inputs, ledger, full=run.full)

            async def checkpoint(record: dict[str, Any], done: int) -> None:
                deps.ledgers.append(link.tenant_id, link.course_id, record)
                deps.leases.renew(link.tenant_id, link.course_id, run.run_id)
                deps.runs.save(replace(run, done=done, total=len(plan.operations)))

            result = await execute(plan, ledger, sis, checkpoint)
            if result.done:  # compact: one full save, journal cleared
                deps.ledgers.save(link.tenant_id, link.course_id, result.ledger.to_chunks())
            return plan, result

    try:
        plan, result = asyncio.run(go())
    except FatalSisError as fatal:
        err = fatal.error
        deps.connections.modify(run.tenant_id, lambda c: replace(c, status=ConnectionStatus.ERROR))
        return _finish(deps, run, RunState.FAILED, [RunError(code=err.code, message=err.message, hint=err.hint)])
    except AppError as exc:
        if exc.retryable:
            deps.runs.save(replace(run, errors=(RunError(code=exc.code, message=exc.message, hint=exc.hint,
                                                         retryable=True),)))
            raise  # Cloud Tasks redelivers with backoff; acknowledged writes are in the ledger
        return _finish(deps, run, RunState.FAILED, [RunError(code=exc.code, message=exc.message, hint=exc.hint)])

    who = {u.id: u.email or u.id for u in plan.roster.classroom_only}
    unmatched = [RunError(code="unmatched_student",
                          message=f"No student of the SIS class has the email {who.get(str(s.user_id), s.user_id)}.",
                          hint="Add the student to the SIS class, or make their SIS email match their Google account.",
                          student=who.get(str(s.user_id), s.user_id), item=s.course_work_id)
                 for s in plan.skipped if s.reason.value == "unmatched_student"]
    titles = {d.course_work_id: d.classroom_title for d in plan.decisions}
    errors = [replace(e, item_title=titles.get(e.item or "")) for e in (*result.errors, *unmatched)]
    counts = dict.fromkeys(COUNT_KEYS, 0) | {
        "created": result.created, "updated": result.updated, "deleted": result.deleted,
        "unchanged": plan.unchanged, "failed": len(result.errors), "skipped": len(plan.skipped),
        "orphaned": len(plan.orphaned)}
    if not result.errors:
        state = RunState.PARTIAL if unmatched else RunState.SUCCEEDED
    else:
        state = RunState.PARTIAL if result.done or plan.unchanged else RunState.FAILED
    skipped = tuple({"reason": s.reason.value, "item": s.course_work_id, "student": s.user_id}
                    for s in plan.skipped[:500])
    orphaned = tuple(o.to_dict() for o in plan.orphaned[:500])  # left in the SIS on purpose: say so
    return _finish(deps, replace(run, done=result.done, total=len(plan.operations), counts=counts,
                                 skipped=skipped, orphaned=orphaned), state, errors)


def _finish(deps: Deps, run: ExportRun, state: RunState, errors: list[RunError]) -> ExportRun:
    now = utc_now()
    final = deps.runs.save(replace(run, state=state, finished_at=now, errors=tuple(errors)))
    link = deps.links.get(run.tenant_id, run.course_id)
    if link is not None:
        deps.links.save(replace(link, last_run_id=run.run_id, last_state=state.value, last_finished_at=now))
    logger.info("export %s: %s", state.value, {k: v for k, v in final.counts.items() if v})
    return final


# -------------------------------------------------------------------------------------- reads


def get_run(caller: Caller, course_id: str, run_id: str, deps: Deps) -> ExportRun:
    require_course_access(caller, course_id, deps)
    run = deps.runs.get(caller.tenant, run_id)
    if run is None or run.course_id != course_id:
        raise NotFound(f"No export run {run_id} for this course.")
    return run


def list_runs(caller: Caller, course_id: str, deps: Deps, *, limit: int = 20) -> list[ExportRun]:
    require_course_access(caller, course_id, deps)
    return deps.runs.for_course(caller.tenant, course_id, limit=limit)


def overview(tenant: str, deps: Deps) -> list[dict[str, Any]]:
    """The district's linked classes with their last export, failing first (admin console)."""
    rank = {"failed": 0, "partial": 1, None: 2, "succeeded": 3}
    rows = [{"course_id": l.course_id, "course_name": l.course_name, "class_sourced_id": l.class_sourced_id,
             "class_title": l.class_title, "teacher_email": l.teacher_email, "active": l.active,
             "last_state": l.last_state, "last_run_id": l.last_run_id, "last_finished_at": l.last_finished_at}
            for l in deps.links.all(tenant)]
    return sorted(rows, key=lambda r: (rank.get(r["last_state"], 2), not r["active"], r["course_name"] or ""))


def slot_for(now: datetime, minutes: int = 60) -> str:
    """The schedule slot a time falls in, e.g. 2026-12-04T21:00Z for hourly runs."""
    floored = now.replace(minute=(now.minute // minutes) * minutes if minutes < 60 else 0, second=0, microsecond=0)
    return floored.strftime("%Y-%m-%dT%H:%MZ")
