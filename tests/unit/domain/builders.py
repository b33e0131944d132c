"""Small builders for domain tests: one district, one class, a handful of students."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sisbridge.domain import (
    ClassroomAssignment,
    ClassroomGrade,
    ClassroomStudent,
    ExportInputs,
    SubmissionState,
)
from sisbridge.oneroster.models import AcademicSession, Category, GUIDRef, SessionType, SisClass, User
from sisbridge.vendors import PROFILES, Limits, VendorProfile

T0 = datetime(2025, 9, 1, 14, 0, tzinfo=UTC)
TENANT = "district.example.org"
COURSE = "c-100"
SIS_CLASS = SisClass(sourced_id="class-7a", school=GUIDRef(sourced_id="school-1"),
                     terms=(GUIDRef(sourced_id="term-2025"),))
CATEGORIES = (
    Category(sourced_id="cat-hw", title="Homework"),
    Category(sourced_id="cat-assign", title="Assignments"),
    Category(sourced_id="cat-tests", title="Tests"),
)
Q1 = AcademicSession(sourced_id="gp-q1", title="Quarter 1", type=SessionType.GRADING_PERIOD,
                     start_date=date(2025, 8, 15), end_date=date(2025, 10, 31))
Q2 = AcademicSession(sourced_id="gp-q2", title="Quarter 2", type=SessionType.GRADING_PERIOD,
                     start_date=date(2025, 11, 1), end_date=date(2026, 1, 16))
PERIODS = (Q1, Q2)


def vendor(base: str = "oneroster_1p1", *, default_category_title: str | None = None, **limits: Any,
           ) -> VendorProfile:
    """A registry profile with some limits overridden."""
    profile = PROFILES[base]
    return replace(profile, limits=replace(profile.limits, **limits),
                   default_category_title=default_category_title)


GENERIC = vendor()
GENERIC_12 = vendor("oneroster_1p2")
NO_LIMITS = replace(GENERIC, limits=Limits())


def assignment(n: int, **kw: Any) -> ClassroomAssignment:
    """CourseWork n: created n hours after T0, due a week later, 10 points."""
    created = T0 + timedelta(hours=n)
    fields: dict[str, Any] = {"id": f"cw-{n}", "title": f"Assignment {n}", "max_points": 10.0,
                              "created": created, "due": created + timedelta(days=7)}
    fields.update(kw)
    return ClassroomAssignment(**fields)


def grade(cw: int | str, user: int | str, score: float | None = 8.0, **kw: Any) -> ClassroomGrade:
    fields: dict[str, Any] = {
        "course_work_id": cw if isinstance(cw, str) else f"cw-{cw}",
        "user_id": user if isinstance(user, str) else f"u-{user}",
        "state": SubmissionState.RETURNED,
        "assigned_grade": score,
        "updated": T0 + timedelta(days=8),
    }
    fields.update(kw)
    return ClassroomGrade(**fields)


def students(n: int) -> tuple[tuple[ClassroomStudent, ...], tuple[User, ...]]:
    """n students present on both sides, matching by email."""
    cr = tuple(ClassroomStudent(user_id=f"u-{i}", email=f"s{i}@district.example.org") for i in range(n))
    sis = tuple(User(sourced_id=f"stu-{i}", email=f"S{i}@District.Example.org", role="student")
                for i in range(n))
    return cr, sis


def inputs(
    assignments: tuple[ClassroomAssignment, ...] = (),
    grades: tuple[ClassroomGrade, ...] = (),
    *,
    n_students: int = 3,
    **kw: Any,
) -> ExportInputs:
    cr, sis = students(n_students)
    fields: dict[str, Any] = {
        "tenant": TENANT, "course_id": COURSE, "sis_class": SIS_CLASS, "vendor": GENERIC,
        "assignments": assignments, "grades": grades, "classroom_students": cr, "sis_students": sis,
        "categories": CATEGORIES, "grading_periods": PERIODS,
    }
    fields.update(kw)
    return ExportInputs(**fields)


def gradebook(n_assignments: int, n_students: int, **kw: Any) -> ExportInputs:
    """Every student has a returned grade on every assignment."""
    works = tuple(assignment(i) for i in range(n_assignments))
    grades = tuple(grade(i, s, score=float((i + s) % 11))
                   for i in range(n_assignments) for s in range(n_students))
    return inputs(works, grades, n_students=n_students, **kw)
