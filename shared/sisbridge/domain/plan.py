"""The export plan for one linked class: what to create, update and delete in the SIS.

`plan_export` compares what Classroom says now (`mapping.map_export`) with what the SIS last
acknowledged (the `Ledger`):

* exported, not in the ledger → create; in it with another hash → update; same hash → unchanged,
  no operation, unless `full=True` (a resync rewrites every exported item);
* in the ledger, no longer exported, and not held (see `outcomes.py`) → delete, but only a lineItem
  sisbridge created, and only on a vendor with DELETE. Otherwise it stays in the SIS and is
  reported as orphaned, with the reason. A result goes with its lineItem: deleted before it, or
  kept (orphaned) with it. A grade is deleted only when Classroom shows the submission without
  it; a grade whose student no longer matches, or whose submission did not come at all, is kept:
  a roster glitch or an incomplete read must not erase grades.

Operations are ordered so the SIS never sees a dangling reference: lineItem creates and updates,
then result writes, then result deletes, then lineItem deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sisbridge.oneroster.models import LineItem, Result
from sisbridge.vendors import OneRosterVersion

from .content import (
    Scalar,
    content_hash,
    line_item_content,
    line_item_summary,
    result_content,
    result_summary,
)
from .ledger import Ledger, LedgerEntry
from .mapping import ExportInputs, LineItemDecision, map_export
from .operations import Action, ItemState, Operation
from .outcomes import ItemKind, OrphanReason, Skip
from .roster_match import RosterMatch

__all__ = ["ExportPlan", "Orphan", "plan_export"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Orphan:
    """An item sisbridge wrote that Classroom no longer exports, left in the SIS on purpose."""

    kind: ItemKind
    sourced_id: str
    reason: OrphanReason
    line_item_sourced_id: str | None = None
    summary: dict[str, Scalar] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "sourcedId": self.sourced_id, "reason": self.reason.value,
                "lineItemSourcedId": self.line_item_sourced_id, "summary": self.summary}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportPlan:
    class_sourced_id: str
    version: OneRosterVersion
    full: bool
    operations: tuple[Operation, ...]
    unchanged: int
    skipped: tuple[Skip, ...]
    orphaned: tuple[Orphan, ...]
    roster: RosterMatch
    decisions: tuple[LineItemDecision, ...]  # one per exported lineItem, changed or not

    @property
    def is_empty(self) -> bool:
        return not self.operations

    def count(self, action: Action, kind: ItemKind) -> int:
        return sum(1 for op in self.operations if op.action is action and op.kind is kind)

    def counts(self) -> dict[str, Any]:
        per_kind = {kind.value: {a.value: self.count(a, kind) for a in Action} for kind in ItemKind}
        return {**per_kind, "unchanged": self.unchanged, "skipped": len(self.skipped),
                "orphaned": len(self.orphaned)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, for the dry-run API."""
        return {
            "class": self.class_sourced_id,
            "version": self.version.value,
            "full": self.full,
            "counts": self.counts(),
            "operations": [op.to_dict() for op in self.operations],
            "skipped": [s.to_dict() for s in self.skipped],
            "orphaned": [o.to_dict() for o in self.orphaned],
            "roster": self.roster.to_dict(),
            "lineItems": [d.to_dict() for d in self.decisions],
        }


def plan_export(inputs: ExportInputs, ledger: Ledger, *, full: bool = False) -> ExportPlan:
    if ledger.class_sourced_id != inputs.sis_class.sourced_id:
        raise ValueError(f"the ledger of class {ledger.class_sourced_id!r} cannot plan class "
                         f"{inputs.sis_class.sourced_id!r}")
    mapped = map_export(inputs)
    line_item_writes: list[Operation] = []
    result_writes: list[Operation] = []
    unchanged = 0
    exported: set[str] = set()

    def write(payload: LineItem | Result, new: ItemState, course_work_id: str, user_id: str | None = None,
              ) -> None:
        nonlocal unchanged
        exported.add(payload.sourced_id)
        before = ledger.get(payload.sourced_id)
        if before is not None and before.content_hash == new.content_hash and not full:
            unchanged += 1
            return
        is_result = isinstance(payload, Result)
        op = Operation(
            action=Action.CREATE if before is None else Action.UPDATE,
            kind=ItemKind.RESULT if is_result else ItemKind.LINE_ITEM,
            sourced_id=payload.sourced_id, old=before.state if before else None, new=new, payload=payload,
            line_item_sourced_id=payload.line_item.sourced_id if isinstance(payload, Result) else None,
            student_sourced_id=payload.student.sourced_id if isinstance(payload, Result) else None,
            course_work_id=course_work_id, user_id=user_id)
        (result_writes if is_result else line_item_writes).append(op)

    for m in mapped.line_items:
        item = m.line_item
        state = ItemState(content_hash=content_hash(line_item_content(item)), summary=line_item_summary(item))
        write(item, state, m.course_work_id)
    for r in mapped.results:
        result = r.result
        state = ItemState(content_hash=content_hash(result_content(result)), summary=result_summary(result))
        write(result, state, r.course_work_id, r.user_id)

    gone = [e for e in ledger if e.sourced_id not in exported and e.sourced_id not in mapped.held]
    deletable = inputs.vendor.limits.supports_delete
    orphaned: list[Orphan] = []
    line_item_deletes: list[Operation] = []
    kept_line_items: set[str] = set(mapped.held)
    for entry in sorted((e for e in gone if e.kind is ItemKind.LINE_ITEM), key=lambda e: e.sourced_id):
        if deletable and entry.created:
            line_item_deletes.append(_delete(entry))
        else:
            kept_line_items.add(entry.sourced_id)
            why = OrphanReason.DELETE_UNSUPPORTED if not deletable else OrphanReason.NOT_CREATED_BY_SISBRIDGE
            orphaned.append(_orphan(entry, why))
    deleted_line_items = {op.sourced_id for op in line_item_deletes}
    students = {m.sourced_id for m in mapped.roster.matched}
    result_deletes: list[Operation] = []
    for entry in sorted((e for e in gone if e.kind is ItemKind.RESULT),
                        key=lambda e: (e.line_item or "", e.sourced_id)):
        parent = entry.line_item
        if parent in deleted_line_items:
            result_deletes.append(_delete(entry))
        elif parent in mapped.held:
            continue  # the lineItem is held, so are its grades
        elif parent in kept_line_items:
            orphaned.append(_orphan(entry, OrphanReason.LINE_ITEM_KEPT))
        elif entry.student not in students:
            orphaned.append(_orphan(entry, OrphanReason.STUDENT_UNMATCHED))
        elif entry.sourced_id not in mapped.with_submission:
            orphaned.append(_orphan(entry, OrphanReason.SUBMISSION_MISSING))
        elif not deletable:
            orphaned.append(_orphan(entry, OrphanReason.DELETE_UNSUPPORTED))
        else:
            result_deletes.append(_delete(entry))

    return ExportPlan(
        class_sourced_id=mapped.class_sourced_id,
        version=mapped.version,
        full=full,
        operations=(*line_item_writes, *result_writes, *result_deletes, *line_item_deletes),
        unchanged=unchanged,
        skipped=mapped.skipped,
        orphaned=tuple(orphaned),
        roster=mapped.roster,
        decisions=tuple(m.decision for m in mapped.line_items),
    )


def _delete(entry: LedgerEntry) -> Operation:
    return Operation(action=Action.DELETE, kind=entry.kind, sourced_id=entry.sourced_id, old=entry.state,
                     line_item_sourced_id=entry.line_item, student_sourced_id=entry.student)


def _orphan(entry: LedgerEntry, reason: OrphanReason) -> Orphan:
    return Orphan(kind=entry.kind, sourced_id=entry.sourced_id, reason=reason,
                  line_item_sourced_id=entry.line_item, summary=dict(entry.summary))
