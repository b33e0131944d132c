"""Reading what one class's export depends on, from Classroom and the SIS, into domain values."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sisbridge.bootstrap import Deps
from sisbridge.domain import (
    ClassroomAssignment,
    ClassroomGrade,
    ClassroomGradingPeriod,
    ClassroomStudent,
    CourseWorkState,
    ExportInputs,
    SubmissionState,
)
from sisbridge.export_store import ClassLink
from sisbridge.oneroster import OneRosterClient
from sisbridge.ports.classroom import CourseWork, GradingPeriod, Submission
from sisbridge.repositories import Connection
from sisbridge.vendors import get_profile


def _assignment(work: CourseWork, periods: Mapping[str, GradingPeriod]) -> ClassroomAssignment:
    period = periods.get(work.grading_period_id or "")
    return ClassroomAssignment(
        id=work.id, title=work.title, description=work.description,
        state=CourseWorkState(work.state.value), max_points=work.max_points, due=work.due, created=work.created,
        grade_category_name=work.grade_category_name,
        grading_period=ClassroomGradingPeriod(title=period.title, start=period.start, end=period.end)
        if period else None,
    )


def _grade(sub: Submission) -> ClassroomGrade:
    return ClassroomGrade(course_work_id=sub.course_work_id, user_id=sub.user_id,
                          state=SubmissionState(sub.state.value), assigned_grade=sub.assigned_grade,
                          draft_grade=sub.draft_grade, late=sub.late, updated=sub.updated)


async def _sis_side(sis: OneRosterClient, class_id: str) -> dict[str, Any]:
    klass = await sis.get_class(class_id)
    students, categories = await asyncio.gather(
        _all(sis.students_for_class(class_id)), _all(sis.categories_for_class(class_id)))
    periods = await asyncio.gather(*(_all(sis.grading_periods_for_term(t.sourced_id)) for t in klass.terms))
    unique = {p.sourced_id: p for group in periods for p in group}
    return {"sis_class": klass, "sis_students": tuple(students), "categories": tuple(categories),
            "grading_periods": tuple(unique.values())}


async def _all(iterator: Any) -> list[Any]:
    return [x async for x in iterator]


def _classroom_side(link: ClassLink, deps: Deps) -> dict[str, Any]:
    assert deps.classroom is not None
    classroom = deps.classroom.as_user(link.teacher_email)
    periods = {p.id: p for p in classroom.grading_periods(link.course_id)}
    return {
        "assignments": tuple(_assignment(w, periods) for w in classroom.course_work(link.course_id)),
        "grades": tuple(_grade(s) for s in classroom.submissions(link.course_id)),
        "classroom_students": tuple(ClassroomStudent(user_id=p.user_id, email=p.email)
                                    for p in classroom.students(link.course_id)),
    }


async def read_inputs(link: ClassLink, conn: Connection, sis: OneRosterClient, deps: Deps) -> ExportInputs:
    """Classroom (read as the teacher who linked the course; domain-wide delegation in the cloud)
    and the SIS are read at the same time."""
    classroom, sis_side = await asyncio.gather(asyncio.to_thread(_classroom_side, link, deps),
                                               _sis_side(sis, link.class_sourced_id))
    return ExportInputs(tenant=link.tenant_id, course_id=link.course_id, vendor=get_profile(conn.sis),
                        version=sis.version, **classroom, **sis_side)
