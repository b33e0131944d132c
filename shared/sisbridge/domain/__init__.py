"""Export planning: pure rules from Classroom data and a ledger to an SIS export plan.

Standard library and sisbridge's own value modules only (`oneroster.models`, `vendors`); no I/O.
"""

from .classroom import (
    ClassroomAssignment,
    ClassroomGrade,
    ClassroomGradingPeriod,
    ClassroomStudent,
    CourseWorkState,
    SubmissionState,
)
from .content import content_hash, line_item_content, result_content
from .ids import line_item_sourced_id, result_sourced_id
from .ledger import DEFAULT_CHUNK_BYTES, Ledger, LedgerEntry, LedgerError
from .mapping import ExportInputs, LineItemDecision, MappedExport, MappedLineItem, MappedResult, map_export
from .operations import Action, ItemState, Operation
from .outcomes import ItemKind, OrphanReason, Skip, SkipReason
from .plan import ExportPlan, Orphan, plan_export
from .roster_match import RosterMatch, StudentMatch, UnmatchedReason, UnmatchedStudent, match_roster

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "Action",
    "ClassroomAssignment",
    "ClassroomGrade",
    "ClassroomGradingPeriod",
    "ClassroomStudent",
    "CourseWorkState",
    "ExportInputs",
    "ExportPlan",
    "ItemKind",
    "ItemState",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LineItemDecision",
    "MappedExport",
    "MappedLineItem",
    "MappedResult",
    "Operation",
    "Orphan",
    "OrphanReason",
    "RosterMatch",
    "Skip",
    "SkipReason",
    "StudentMatch",
    "SubmissionState",
    "UnmatchedReason",
    "UnmatchedStudent",
    "content_hash",
    "line_item_content",
    "line_item_sourced_id",
    "map_export",
    "match_roster",
    "plan_export",
    "result_content",
    "result_sourced_id",
]
