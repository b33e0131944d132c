"""Carrying out an export plan against the SIS: lineItems before their results, bounded
concurrency, one bad item never stopping the rest, and ledger checkpoints as writes succeed so a
redelivered or crashed task resumes without repeating acknowledged writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sisbridge.domain import Action, ExportPlan, ItemKind, Ledger, LedgerEntry, Operation
from sisbridge.errors import (
    AppError,
    SisAuthRejected,
    SisError,
    SisForbidden,
    SisInvalidData,
    SisNotFound,
)
from sisbridge.export_store import RunError
from sisbridge.oneroster import LineItem, OneRosterClient, Result, WriteOutcome

CHECKPOINT_EVERY = 200  # acknowledged writes
CHECKPOINT_SECONDS = 5.0

Checkpoint = Callable[[dict[str, Any], int], Awaitable[None]]  # (journal record, operations done)


class FatalSisError(Exception):
    """The SIS refused the connection itself (credentials, licence): stop, don't try every item."""

    def __init__(self, error: SisError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class Execution:
    ledger: Ledger
    done: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    errors: list[RunError] = field(default_factory=list)
    failed_ids: set[str] = field(default_factory=set)


def explain(exc: AppError, op: Operation) -> RunError:
    """A SIS rejection in words a teacher can act on, with a stable code."""
    description = (getattr(exc, "sis_description", None) or exc.message or "").lower()
    code, hint = exc.code, exc.hint
    if isinstance(exc, SisInvalidData):
        if "closed" in description or "locked" in description:
            code, hint = "grading_period_closed", ("The SIS grading period is closed for edits. Ask your SIS "
                                                   "administrator to reopen it, or move the assignment's due date.")
        elif "enrol" in description or "not a member" in description:
            code, hint = "student_not_enrolled", ("The student is not enrolled in this SIS class. Check the "
                                                  "roster in the SIS; the grade is kept and sent once they are.")
        elif "title" in description and ("long" in description or "characters" in description):
            code, hint = "title_too_long", "Shorten the assignment title in Classroom."
        elif "category" in description:
            code, hint = "category_invalid", "Pick a grade category that exists in the SIS for this class."
    elif isinstance(exc, SisNotFound) and op.kind is ItemKind.RESULT:
        code, hint = "unknown_student", "The SIS does not know this student; check their SIS record and email."
    return RunError(code=code, message=exc.message, hint=hint, student=op.student_sourced_id,
                    item=op.course_work_id, sourced_id=op.sourced_id, retryable=exc.retryable)


async def _apply(sis: OneRosterClient, op: Operation) -> WriteOutcome | None:
    if op.action is Action.DELETE:
        if op.kind is ItemKind.LINE_ITEM:
            await sis.delete_line_item(op.sourced_id)
        else:
            await sis.delete_result(op.sourced_id)
        return None
    if isinstance(op.payload, LineItem):
        return await sis.put_line_item(op.payload)
    assert isinstance(op.payload, Result)
    return await sis.put_result(op.payload)


def _phases(plan: ExportPlan) -> list[list[Operation]]:
    """lineItem writes, result writes, result deletes, lineItem deletes: each phase finishes first."""
    order = [(ItemKind.LINE_ITEM, False), (ItemKind.RESULT, False), (ItemKind.RESULT, True),
             (ItemKind.LINE_ITEM, True)]
    return [[op for op in plan.operations if op.kind is kind and (op.action is Action.DELETE) is delete]
            for kind, delete in order]


async def execute(plan: ExportPlan, ledger: Ledger, sis: OneRosterClient, checkpoint: Checkpoint) -> Execution:
    state = Execution(ledger=ledger)
    pending: list[Operation] = []
    last = time.monotonic()

    async def flush() -> None:
        nonlocal pending, last
        batch, pending, last = pending, [], time.monotonic()
        if batch:
            # Every item at a sisbridge sourcedId is sisbridge's (the ids are UUIDv5 in its own
            # namespace), so a create answered "200 updated" (a lost first answer, a lost ledger)
            # is recorded as created by sisbridge all the same.
            state.ledger = state.ledger.acknowledge(batch)
            await checkpoint(state.ledger.delta(op.sourced_id for op in batch), state.done)

    async def one(op: Operation) -> None:
        blocked = op.line_item_sourced_id in state.failed_ids and op.kind is ItemKind.RESULT
        if blocked and op.action is not Action.DELETE:
            state.errors.append(RunError(code="line_item_failed", message="Not sent: its assignment failed.",
                                         hint="Fix the assignment's error; its grades follow on the next export.",
                                         student=op.student_sourced_id, item=op.course_work_id,
                                         sourced_id=op.sourced_id))
            state.failed_ids.add(op.sourced_id)
            return
        try:
            await _apply(sis, op)
        except (SisAuthRejected, SisForbidden) as exc:
            raise FatalSisError(exc) from exc
        except AppError as exc:
            state.errors.append(explain(exc, op))
            state.failed_ids.add(op.sourced_id)
            return
        state.done += 1
        if op.action is Action.DELETE:
            state.deleted += 1
        elif op.action is Action.CREATE:
            state.created += 1
        else:
            state.updated += 1
        pending.append(op)
        if len(pending) >= CHECKPOINT_EVERY or time.monotonic() - last > CHECKPOINT_SECONDS:
            await flush()  # the writes keep flowing meanwhile: the client's semaphore bounds them

    width = 2 * sis.max_concurrency  # a few more workers than the SIS takes, so no slot waits

    for phase in _phases(plan):
        creates = [op for op in phase if op.action is Action.CREATE]
        if creates:  # durable before the first PUT: see _placeholders
            intended = _placeholders(state.ledger, creates)
            await checkpoint(intended.delta(op.sourced_id for op in creates), state.done)
        async def worker(queue: Iterator[Operation]) -> None:
            for op in queue:
                await one(op)

        queue = iter(phase)  # shared by the workers: each operation is taken once
        await asyncio.gather(*(worker(queue) for _ in range(width)))
        await flush()  # a phase's acknowledgements are durable before the next phase starts
        refused = {e.sourced_id for e in state.errors if not e.retryable}  # surely not applied
        # Creates the SIS did not confirm (a timeout, a 5xx) may have landed: keep their placeholders.
        state.ledger = _placeholders(state.ledger, [op for op in creates if op.sourced_id not in refused])
    return state


PLACEHOLDER_HASH = ""  # matches no content: the item is sent again, as an update


def _placeholders(ledger: Ledger, creates: list[Operation]) -> Ledger:
    """`ledger` plus, for each create not yet in it, an entry "created by sisbridge, content unknown".

    Recorded before the creates are sent, it covers a worker that dies (or an answer lost) after the
    SIS applied a PUT but before the acknowledgement: the next run re-sends the item as an update and
    keeps it as sisbridge's to delete. Without it, the re-sent PUT is answered "updated" and the item
    is taken for one the SIS had before (never deleted), and a grade withdrawn meanwhile stays in the
    SIS unseen."""
    entries = dict(ledger.entries)
    for op in creates:
        entries.setdefault(op.sourced_id, LedgerEntry(
            sourced_id=op.sourced_id, kind=op.kind, content_hash=PLACEHOLDER_HASH, created=True,
            line_item=op.line_item_sourced_id, student=op.student_sourced_id))
    return Ledger(class_sourced_id=ledger.class_sourced_id, entries=entries)
