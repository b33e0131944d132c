"""Values held by the Classroom sandbox: configuration, enums and frozen records.

Records use Python types (dates, datetimes, enums); `resources.py` turns them into Google's JSON.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassroomConfig:
    """Knobs of one sandbox instance.

    Args:
        latency_ms: added to every `/v1` request, to make the exporter's parallelism visible.
        seed: seeds the RNG that fills grades and submission states; same seed, same district.
        default_page_size: used when `pageSize` is absent or 0 (the roster endpoints document 30).
        max_page_size: a larger `pageSize` is clamped to this.
    """

    latency_ms: int = 0
    seed: int = 0
    default_page_size: int = 30
    max_page_size: int = 100


class CourseState(enum.Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    PROVISIONED = "PROVISIONED"
    DECLINED = "DECLINED"
    SUSPENDED = "SUSPENDED"


class CalculationType(enum.Enum):
    TOTAL_POINTS = "TOTAL_POINTS"  # categories carry defaultGradeDenominator
    WEIGHTED_CATEGORIES = "WEIGHTED_CATEGORIES"  # categories carry weight (1,000,000 = 100%)


class CourseWorkState(enum.Enum):
    PUBLISHED = "PUBLISHED"
    DRAFT = "DRAFT"
    DELETED = "DELETED"


class WorkType(enum.Enum):
    ASSIGNMENT = "ASSIGNMENT"
    SHORT_ANSWER_QUESTION = "SHORT_ANSWER_QUESTION"
    MULTIPLE_CHOICE_QUESTION = "MULTIPLE_CHOICE_QUESTION"


class SubmissionState(enum.Enum):
    NEW = "NEW"  # never opened by the student: no timestamps
    CREATED = "CREATED"
    TURNED_IN = "TURNED_IN"
    RETURNED = "RETURNED"
    RECLAIMED_BY_STUDENT = "RECLAIMED_BY_STUDENT"


class GradeChangeType(enum.Enum):
    DRAFT_GRADE_POINTS_EARNED_CHANGE = "DRAFT_GRADE_POINTS_EARNED_CHANGE"
    ASSIGNED_GRADE_POINTS_EARNED_CHANGE = "ASSIGNED_GRADE_POINTS_EARNED_CHANGE"
    MAX_POINTS_CHANGE = "MAX_POINTS_CHANGE"


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: str
    given: str
    family: str
    email: str  # as Classroom stores it


@dataclass(frozen=True, slots=True, kw_only=True)
class GradeCategory:
    id: str
    name: str
    weight: int | None = None
    default_grade_denominator: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GradingPeriod:
    id: str
    title: str
    start: date
    end: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Course:
    id: str
    name: str
    section: str
    owner_id: str
    teacher_ids: tuple[str, ...]
    student_ids: tuple[str, ...]
    calculation_type: CalculationType
    categories: tuple[GradeCategory, ...]
    grading_periods: tuple[GradingPeriod, ...]
    creation_time: datetime
    update_time: datetime
    state: CourseState = CourseState.ACTIVE

    def category(self, category_id: str) -> GradeCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class CourseWork:
    id: str
    course_id: str
    title: str
    state: CourseWorkState
    creator_user_id: str
    creation_time: datetime
    update_time: datetime
    description: str | None = None
    max_points: float | None = None  # None: ungraded
    due_date: date | None = None  # UTC, like Classroom
    due_time: time | None = None
    category_id: str | None = None
    grading_period_id: str | None = None
    work_type: WorkType = WorkType.ASSIGNMENT


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange:
    state: SubmissionState
    at: datetime
    actor_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GradeChange:
    change_type: GradeChangeType
    points: float | None
    max_points: float | None
    at: datetime
    actor_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    id: str
    course_id: str
    course_work_id: str
    user_id: str
    state: SubmissionState
    creation_time: datetime | None = None  # None while NEW
    update_time: datetime | None = None
    late: bool = False
    draft_grade: float | None = None
    assigned_grade: float | None = None
    history: tuple[StateChange | GradeChange, ...] = field(default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticCourse:
    """What `make_course` built, so a bench can create the same people in the SIS."""

    course: Course
    teacher: User
    students: tuple[User, ...]
    course_work_ids: tuple[str, ...]
