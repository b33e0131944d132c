"""The Classroom source port: what a grade exporter reads from Google Classroom, as plain records.

The port is synchronous: a Cloud Function instance handles one request at a time, and an export
reads a course in a handful of paged calls. Every list is complete (all pages read). Adapters raise
the `ClassroomError` family (`ClassroomNotFound`, `ClassroomForbidden`, `ClassroomBadResponse`,
`ClassroomRateLimited`, `ClassroomUnavailable`) and nothing else from the wire.

Reading "as" a user: on Google, Classroom answers for one user at a time. `as_user(email)` returns a
source that acts as that user (domain-wide delegation); `courses_for_teacher` acts as the teacher it
names. Against the sandbox every user sees everything, so `as_user` changes nothing there.

Times are timezone-aware UTC. `CourseWork.due` combines Classroom's `dueDate` and `dueTime` (both UTC);
a `dueDate` without a `dueTime` is due at 23:59 UTC that day, which is how Classroom shows it.
Grades are points (floats); `None` means "no grade", never 0.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime

from sisbridge.errors import InvalidRequest

__all__ = [
    "ClassroomSource",
    "Course",
    "CourseState",
    "CourseWork",
    "CourseWorkState",
    "GradeCategory",
    "GradingPeriod",
    "Person",
    "Submission",
    "SubmissionState",
    "WorkType",
]


class CourseState(enum.Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    PROVISIONED = "PROVISIONED"
    DECLINED = "DECLINED"
    SUSPENDED = "SUSPENDED"
    UNSPECIFIED = "COURSE_STATE_UNSPECIFIED"  # absent, or a value newer than this code


class CourseWorkState(enum.Enum):
    PUBLISHED = "PUBLISHED"
    DRAFT = "DRAFT"
    DELETED = "DELETED"
    UNSPECIFIED = "COURSE_WORK_STATE_UNSPECIFIED"


class WorkType(enum.Enum):
    ASSIGNMENT = "ASSIGNMENT"
    SHORT_ANSWER_QUESTION = "SHORT_ANSWER_QUESTION"
    MULTIPLE_CHOICE_QUESTION = "MULTIPLE_CHOICE_QUESTION"
    UNSPECIFIED = "COURSE_WORK_TYPE_UNSPECIFIED"


class SubmissionState(enum.Enum):
    NEW = "NEW"  # the student never opened it
    CREATED = "CREATED"
    TURNED_IN = "TURNED_IN"
    RETURNED = "RETURNED"  # the teacher returned it: assignedGrade is what the student sees
    RECLAIMED_BY_STUDENT = "RECLAIMED_BY_STUDENT"
    UNSPECIFIED = "SUBMISSION_STATE_UNSPECIFIED"


@dataclass(frozen=True, slots=True, kw_only=True)
class GradeCategory:
    id: str
    name: str
    weight: float | None = None  # share of the overall grade, 0..1 (Classroom sends millionths)
    default_grade_denominator: int | None = None  # total-points courses only


@dataclass(frozen=True, slots=True, kw_only=True)
class Course:
    id: str
    name: str
    section: str | None
    owner_id: str | None
    state: CourseState
    grade_categories: tuple[GradeCategory, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    user_id: str
    email: str | None  # lower-cased; None when Classroom does not reveal it
    given_name: str | None
    family_name: str | None
    full_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CourseWork:
    id: str
    course_id: str
    title: str
    description: str | None
    state: CourseWorkState
    max_points: float | None  # None: ungraded
    due: datetime | None  # UTC; see the module docstring for a date without a time
    created: datetime | None
    updated: datetime | None
    grade_category_id: str | None
    grade_category_name: str | None
    grading_period_id: str | None
    work_type: WorkType


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    id: str
    course_id: str
    course_work_id: str
    user_id: str
    state: SubmissionState
    assigned_grade: float | None  # what the student sees once RETURNED
    draft_grade: float | None  # the teacher's private, not yet returned grade
    late: bool
    updated: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GradingPeriod:
    id: str
    title: str
    start: date
    end: date  # inclusive


def _require(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{what} must be a non-empty string")
    return value.strip()


def _email(value: str) -> str:
    email = _require(value, "an email")
    if "@" not in email:
        raise InvalidRequest(f"not an email address: {email!r}")
    return email.lower()


class ClassroomSource(ABC):
    """Reads courses, rosters, courseWork and submissions. Public methods check their arguments and
    delegate to the adapter's `_…` methods."""

    @abstractmethod
    def as_user(self, email: str) -> ClassroomSource:
        """A source that reads Classroom as `email` (sharing this one's connections)."""

    def courses_for_teacher(self, teacher_email: str) -> list[Course]:
        """Every course the teacher teaches, any state, read as that teacher."""
        email = _email(teacher_email)
        return self.as_user(email)._courses_for_teacher(email)

    def get_course(self, course_id: str) -> Course:
        return self._get_course(_require(course_id, "a course id"))

    def teachers(self, course_id: str) -> list[Person]:
        return self._members(_require(course_id, "a course id"), "teachers")

    def students(self, course_id: str) -> list[Person]:
        return self._members(_require(course_id, "a course id"), "students")

    def course_work(self, course_id: str) -> list[CourseWork]:
        """The course's PUBLISHED courseWork (drafts and deleted items are left out)."""
        return self._course_work(_require(course_id, "a course id"))

    def submissions(self, course_id: str) -> list[Submission]:
        """Every student submission of every courseWork of the course."""
        return self._submissions(_require(course_id, "a course id"))

    def grading_periods(self, course_id: str) -> list[GradingPeriod]:
        """The course's grading periods in Classroom's order; empty when it has none."""
        return self._grading_periods(_require(course_id, "a course id"))

    def is_teacher(self, course_id: str, email: str) -> bool:
        """Whether `email` teaches the course (False also when the course is unknown to the reader)."""
        return self._is_teacher(_require(course_id, "a course id"), _email(email))

    def close(self) -> None:  # noqa: B027  (optional hook: most sources hold nothing)
        """Release connections; the default holds none."""

    def __enter__(self) -> ClassroomSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _courses_for_teacher(self, teacher_email: str) -> list[Course]: ...

    @abstractmethod
    def _get_course(self, course_id: str) -> Course: ...

    @abstractmethod
    def _members(self, course_id: str, role: str) -> list[Person]:
        """`role` is "teachers" or "students"."""

    @abstractmethod
    def _course_work(self, course_id: str) -> list[CourseWork]: ...

    @abstractmethod
    def _submissions(self, course_id: str) -> list[Submission]: ...

    @abstractmethod
    def _grading_periods(self, course_id: str) -> list[GradingPeriod]: ...

    @abstractmethod
    def _is_teacher(self, course_id: str, email: str) -> bool: ...
