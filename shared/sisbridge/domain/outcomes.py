"""Why something was not exported: stable reason codes the dry run and history show.

Reasons fall in two kinds, and the difference decides whether an SIS copy may be deleted:

* withdrawn: the item no longer exists as exportable in Classroom (courseWork deleted, draft or
  ungraded; a grade removed, or only a draft grade left). A copy sisbridge wrote earlier is
  deleted, if sisbridge created it and the vendor allows it (see plan.py).
* held (`SkipReason.holds`): the item still exists, but cannot be sent as it is now (a fractional
  max on a whole-number SIS, no category or grading period the SIS accepts, a grade awaiting its
  return after a resubmission). What the SIS already has is left alone: a configuration problem
  must never erase grades from a report card.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["ItemKind", "OrphanReason", "Skip", "SkipReason"]


class ItemKind(enum.Enum):
    LINE_ITEM = "lineItem"
    RESULT = "result"


class SkipReason(enum.Enum):
    # lineItems (courseWork)
    DRAFT = "draft"
    DELETED = "deleted"
    UNKNOWN_STATE = "unknown_state"  # Classroom reported no state: keep what the SIS has
    UNGRADED = "ungraded"  # no max points
    FRACTIONAL_POINTS = "fractional_points"  # the SIS takes whole-number max points only
    NO_CATEGORY = "no_category"
    NO_GRADING_PERIOD = "no_grading_period"
    NO_SCHOOL = "no_school"  # OneRoster 1.2 needs the class's school
    NO_ASSIGN_DATE = "no_assign_date"
    # results (submissions; one with no grade at all is not a skip, there is nothing to send)
    DRAFT_GRADE = "draft_grade"  # only a draft grade: teacher-only, never exported
    NOT_RETURNED = "not_returned"  # an assigned grade on a submission that is not returned (resubmitted)
    UNMATCHED_STUDENT = "unmatched_student"
    LINE_ITEM_SKIPPED = "line_item_skipped"
    UNKNOWN_ASSIGNMENT = "unknown_assignment"

    @property
    def holds(self) -> bool:
        """True: keep any copy the SIS already has. False: the item is withdrawn."""
        return self in _HOLDS


_HOLDS = frozenset({
    SkipReason.UNKNOWN_STATE, SkipReason.FRACTIONAL_POINTS, SkipReason.NO_CATEGORY,
    SkipReason.NO_GRADING_PERIOD, SkipReason.NO_SCHOOL, SkipReason.NO_ASSIGN_DATE,
    SkipReason.NOT_RETURNED, SkipReason.UNMATCHED_STUDENT, SkipReason.LINE_ITEM_SKIPPED,
    SkipReason.UNKNOWN_ASSIGNMENT,
})


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    kind: ItemKind
    reason: SkipReason
    course_work_id: str
    user_id: str | None = None  # results only: the Classroom student
    sourced_id: str | None = None  # the id it has or would have in the SIS, when known
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "reason": self.reason.value, "courseWorkId": self.course_work_id,
                "userId": self.user_id, "sourcedId": self.sourced_id, "detail": self.detail}


class OrphanReason(enum.Enum):
    """Why an item sisbridge wrote, and no longer exports, is left in the SIS instead of deleted."""

    NOT_CREATED_BY_SISBRIDGE = "not_created_by_sisbridge"  # it existed before our first write
    DELETE_UNSUPPORTED = "delete_unsupported"  # the vendor has no DELETE
    LINE_ITEM_KEPT = "line_item_kept"  # a result whose lineItem is kept: delete both or neither
    STUDENT_UNMATCHED = "student_unmatched"  # the student no longer matches: keep their grade
    SUBMISSION_MISSING = "submission_missing"  # no submission came for the student: a gap, not a removal
