"""What the exporter needs from Google Classroom, as plain values.

The Classroom port fills these from the API; the domain never sees Google's JSON. Datetimes must
be timezone-aware (Classroom speaks UTC): a naive one is refused here, because guessing its zone
would move due dates and grading-period boundaries silently.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "ClassroomAssignment",
    "ClassroomGrade",
    "ClassroomGradingPeriod",
    "ClassroomStudent",
    "CourseWorkState",
    "SubmissionState",
]


class CourseWorkState(enum.Enum):
    """Values as Classroom spells them, so the port's enum maps over by `.value`."""

    PUBLISHED = "PUBLISHED"
    DRAFT = "DRAFT"
    DELETED = "DELETED"
    UNSPECIFIED = "COURSE_WORK_STATE_UNSPECIFIED"


class SubmissionState(enum.Enum):
    NEW = "NEW"
    CREATED = "CREATED"
    TURNED_IN = "TURNED_IN"
    RETURNED = "RETURNED"
    RECLAIMED_BY_STUDENT = "RECLAIMED_BY_STUDENT"
    UNSPECIFIED = "SUBMISSION_STATE_UNSPECIFIED"  # treated as not returned

    @property
    def returned(self) -> bool:
        """The student has been given the assigned grade (and may since have unsubmitted)."""
        return self in (SubmissionState.RETURNED, SubmissionState.RECLAIMED_BY_STUDENT)


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassroomGradingPeriod:
    """A Classroom grading period as the teacher tagged it on the courseWork."""

    title: str
    start: date
    end: date


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassroomAssignment:
    """One courseWork. `max_points` None (or 0) means ungraded."""

    id: str
    title: str
    description: str | None = None
    state: CourseWorkState = CourseWorkState.PUBLISHED
    max_points: float | None = None
    due: datetime | None = None  # dueDate + dueTime, UTC
    created: datetime | None = None  # creationTime
    grade_category_name: str | None = None
    grading_period: ClassroomGradingPeriod | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("ClassroomAssignment.id must not be empty")
        _require_aware(self.due, "ClassroomAssignment.due")
        _require_aware(self.created, "ClassroomAssignment.created")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassroomGrade:
    """One student submission. Only `assigned_grade` on a returned submission ever leaves Classroom."""

    course_work_id: str
    user_id: str
    state: SubmissionState
    assigned_grade: float | None = None
    draft_grade: float | None = None  # teacher-only; never exported
    late: bool = False
    updated: datetime | None = None  # updateTime: becomes the result's scoreDate

    def __post_init__(self) -> None:
        _require_aware(self.updated, "ClassroomGrade.updated")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassroomStudent:
    user_id: str
    email: str | None = None
