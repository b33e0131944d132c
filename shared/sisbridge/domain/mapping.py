"""What is exported: Classroom courseWork and grades → OneRoster lineItems and results.

Exported:
* a courseWork that is PUBLISHED and has max points > 0 (drafts, deleted and ungraded work are
  skipped with a reason);
* a grade that is the `assigned_grade` of a RETURNED or RECLAIMED_BY_STUDENT submission of a
  matched student. Draft grades never leave Classroom. Extra credit above max points is sent as it
  is. `late` travels on OneRoster 1.2 only (the flag does not exist in 1.1). scoreStatus is
  `fully graded`, comment "", scoreDate the submission's update time (else the lineItem's
  assignDate); whether it goes out as a date or a datetime is the wire layer's business.

Field rules live next to their concern: titles in `titles.py`, dates in `dates.py`, category and
grading period in `placement.py`. Everything here is deterministic in the inputs: their order does
not matter (courseWork is processed by creation time, then id).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from sisbridge.oneroster.models import (
    AcademicSession,
    Category,
    GUIDRef,
    LineItem,
    Result,
    ScoreStatus,
    SisClass,
    User,
)
from sisbridge.vendors import OneRosterVersion, VendorProfile

from . import ids
from .classroom import ClassroomAssignment, ClassroomGrade, ClassroomStudent, CourseWorkState
from .dates import choose_assign_date, choose_due_date, local_day
from .outcomes import ItemKind, Skip, SkipReason
from .placement import CategoryRule, PeriodRule, choose_category, choose_grading_period
from .roster_match import RosterMatch, match_roster
from .titles import normalise_title, truncate, unique_titles

__all__ = ["ExportInputs", "LineItemDecision", "MappedExport", "MappedLineItem", "MappedResult", "map_export"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportInputs:
    """Everything one class's export depends on; the service layer reads it from the ports."""

    tenant: str
    course_id: str
    sis_class: SisClass
    vendor: VendorProfile
    assignments: tuple[ClassroomAssignment, ...] = ()
    grades: tuple[ClassroomGrade, ...] = ()
    classroom_students: tuple[ClassroomStudent, ...] = ()
    sis_students: tuple[User, ...] = ()
    categories: tuple[Category, ...] = ()  # the SIS categories usable by this class
    grading_periods: tuple[AcademicSession, ...] = ()  # the SIS grading periods of the class's terms
    version: OneRosterVersion | None = None  # the connection's; None: the vendor's default
    timezone: tzinfo = UTC  # the school's, for calendar days (see dates.py)

    @property
    def oneroster_version(self) -> OneRosterVersion:
        return self.version or self.vendor.default_version


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItemDecision:
    """How one courseWork became a lineItem, for the dry run."""

    course_work_id: str
    sourced_id: str
    classroom_title: str
    title: str
    title_note: str  # "", "truncated" or "renamed" (another assignment holds the title)
    category_rule: CategoryRule
    category_detail: str
    period_rule: PeriodRule
    period_detail: str
    assign_date_rule: str
    due_date_rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"courseWorkId": self.course_work_id, "sourcedId": self.sourced_id,
                "classroomTitle": self.classroom_title, "title": self.title, "titleNote": self.title_note,
                "category": {"rule": self.category_rule.value, "detail": self.category_detail},
                "gradingPeriod": {"rule": self.period_rule.value, "detail": self.period_detail},
                "assignDateRule": self.assign_date_rule, "dueDateRule": self.due_date_rule}


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedLineItem:
    course_work_id: str
    line_item: LineItem
    decision: LineItemDecision


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedResult:
    course_work_id: str
    user_id: str
    result: Result


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedExport:
    version: OneRosterVersion
    class_sourced_id: str
    line_items: tuple[MappedLineItem, ...]
    results: tuple[MappedResult, ...]
    skipped: tuple[Skip, ...]
    held: frozenset[str]  # sourcedIds whose SIS copy must be kept although nothing is sent now
    with_submission: frozenset[str]  # result sourcedIds whose student has a submission on a live lineItem
    roster: RosterMatch


T = TypeVar("T")


def _dedupe(items: Iterable[T], key: Any, what: str) -> list[T]:
    """Drop exact repeats (a paging overlap); refuse two different records under one key."""
    seen: dict[Any, T] = {}
    for item in items:
        k = key(item)
        if k in seen and seen[k] != item:
            raise ValueError(f"two different {what} records for {k!r}")
        seen.setdefault(k, item)
    return list(seen.values())


def _creation_order(work: ClassroomAssignment) -> tuple[bool, datetime, str]:
    return (work.created is None, work.created or datetime.max.replace(tzinfo=UTC), work.id)


def _not_live_reason(work: ClassroomAssignment) -> tuple[SkipReason, str] | None:
    if work.state is CourseWorkState.UNSPECIFIED:
        return SkipReason.UNKNOWN_STATE, "Classroom reported no state for the assignment"
    if work.state is CourseWorkState.DRAFT:
        return SkipReason.DRAFT, "the assignment is a draft"
    if work.state is CourseWorkState.DELETED:
        return SkipReason.DELETED, "the assignment was deleted"
    if work.max_points is None or not math.isfinite(work.max_points) or work.max_points <= 0:
        return SkipReason.UNGRADED, "the assignment has no points"
    return None


def map_export(inputs: ExportInputs) -> MappedExport:
    version = inputs.oneroster_version
    works = sorted(_dedupe(inputs.assignments, lambda w: w.id, "courseWork"), key=_creation_order)
    skipped: list[Skip] = []
    held: set[str] = set()
    live: list[ClassroomAssignment] = []
    for work in works:
        not_live = _not_live_reason(work)
        if not_live is None:
            live.append(work)
            continue
        reason, detail = not_live
        sourced_id = ids.line_item_sourced_id(inputs.tenant, inputs.course_id, work.id)
        skipped.append(Skip(kind=ItemKind.LINE_ITEM, reason=reason, course_work_id=work.id, detail=detail,
                            sourced_id=sourced_id))
        if reason.holds:
            held.add(sourced_id)

    limit = inputs.vendor.limits.title_max_length
    titles = unique_titles(((w.id, w.title) for w in live), max_length=limit)
    mapped: dict[str, MappedLineItem] = {}
    held_items: dict[str, tuple[str, Skip]] = {}  # courseWork id → (sourcedId, why)
    for work in live:
        sourced_id = ids.line_item_sourced_id(inputs.tenant, inputs.course_id, work.id)
        outcome = _line_item(inputs, version, work, sourced_id, titles[work.id])
        if isinstance(outcome, Skip):
            skipped.append(outcome)
            held.add(sourced_id)
            held_items[work.id] = (sourced_id, outcome)
        else:
            mapped[work.id] = outcome

    roster = match_roster(inputs.classroom_students, inputs.sis_students)
    known = {w.id for w in works}
    results, result_skips, held_results, seen = _results(inputs, version, mapped, held_items, roster, known)
    skipped.extend(result_skips)
    held |= held_results
    return MappedExport(version=version, class_sourced_id=inputs.sis_class.sourced_id,
                        line_items=tuple(mapped.values()), results=tuple(results), skipped=tuple(skipped),
                        held=frozenset(held), with_submission=frozenset(seen), roster=roster)


def _line_item(
    inputs: ExportInputs, version: OneRosterVersion, work: ClassroomAssignment, sourced_id: str, title: str
) -> MappedLineItem | Skip:
    vendor, tz = inputs.vendor, inputs.timezone

    def skip(reason: SkipReason, detail: str) -> Skip:
        return Skip(kind=ItemKind.LINE_ITEM, reason=reason, course_work_id=work.id, sourced_id=sourced_id,
                    detail=detail)

    max_points = float(work.max_points or 0)
    if vendor.limits.whole_number_points and not max_points.is_integer():
        return skip(SkipReason.FRACTIONAL_POINTS,
                    f"{vendor.name} takes whole-number points only; the assignment is worth {max_points:g}")
    school = inputs.sis_class.school
    if version is OneRosterVersion.V1P2 and school is None:
        return skip(SkipReason.NO_SCHOOL, "OneRoster 1.2 needs the SIS class's school; the class has none")
    assign = choose_assign_date(work, tz)
    if assign is None:
        return skip(SkipReason.NO_ASSIGN_DATE, "no creation time, due date or grading period")
    assign_date, assign_rule = assign

    category_required = vendor.limits.category_required or version is OneRosterVersion.V1P2
    category = choose_category(work.grade_category_name, inputs.categories,
                               default_title=vendor.default_category_title, required=category_required)
    if category_required and category.category is None:
        return skip(SkipReason.NO_CATEGORY, category.detail)
    period = choose_grading_period(work.grading_period, inputs.grading_periods,
                                   due_day=local_day(work.due, tz) if work.due else None,
                                   assign_day=local_day(assign_date, tz))
    if vendor.limits.grading_period_required and period.period is None:
        return skip(SkipReason.NO_GRADING_PERIOD, f"{vendor.name} requires a grading period: {period.detail}")
    due_date, due_rule = choose_due_date(work, assign_date, period.period, tz)

    item = LineItem(
        sourced_id=sourced_id,
        title=title,
        class_=GUIDRef(sourced_id=inputs.sis_class.sourced_id),
        assign_date=assign_date,
        due_date=due_date,
        description=work.description,
        category=GUIDRef(sourced_id=category.category.sourced_id) if category.category else None,
        grading_period=GUIDRef(sourced_id=period.period.sourced_id) if period.period else None,
        school=GUIDRef(sourced_id=school.sourced_id) if school and version is OneRosterVersion.V1P2 else None,
        result_value_min=0.0,
        result_value_max=max_points,
    )
    plain = normalise_title(work.title)
    limit = vendor.limits.title_max_length
    note = "" if title == plain else "truncated" if title == truncate(plain, limit) else "renamed"
    decision = LineItemDecision(
        course_work_id=work.id, sourced_id=sourced_id, classroom_title=work.title, title=title,
        title_note=note,
        category_rule=category.rule, category_detail=category.detail,
        period_rule=period.rule, period_detail=period.detail,
        assign_date_rule=assign_rule.value, due_date_rule=due_rule.value,
    )
    return MappedLineItem(course_work_id=work.id, line_item=item, decision=decision)


def _result_skip(grade: ClassroomGrade, reason: SkipReason, detail: str, sourced_id: str | None = None,
                 ) -> Skip:
    return Skip(kind=ItemKind.RESULT, reason=reason, course_work_id=grade.course_work_id,
                user_id=grade.user_id, sourced_id=sourced_id, detail=detail)


def _results(
    inputs: ExportInputs,
    version: OneRosterVersion,
    mapped: dict[str, MappedLineItem],
    held_items: dict[str, tuple[str, Skip]],
    roster: RosterMatch,
    known_work: set[str],
) -> tuple[list[MappedResult], list[Skip], set[str], set[str]]:
    """Results, skips, held result ids and the result ids that have a submission at all.

    Grades of withdrawn courseWork are not reported one by one (the lineItem's skip covers them),
    nor are submissions with no grade at all."""
    students = roster.sourced_ids_by_user_id()
    unmatched = roster.unmatched_by_user_id()
    order = {cw: i for i, cw in enumerate([*mapped, *held_items])}
    grades = _dedupe(inputs.grades, lambda g: (g.course_work_id, g.user_id), "submission")
    grades.sort(key=lambda g: (order.get(g.course_work_id, len(order)), g.course_work_id, g.user_id))
    out: list[MappedResult] = []
    skips: list[Skip] = []
    held: set[str] = set()
    seen: set[str] = set()
    for grade in grades:
        cw = grade.course_work_id
        if cw not in known_work:
            if grade.assigned_grade is not None:
                skips.append(_result_skip(grade, SkipReason.UNKNOWN_ASSIGNMENT,
                                          "the grade's courseWork is not among the course's assignments"))
            continue
        line_item_id = mapped[cw].line_item.sourced_id if cw in mapped else held_items.get(cw, (None,))[0]
        if line_item_id is None:
            continue  # withdrawn courseWork (draft, deleted, ungraded)
        student = students.get(grade.user_id)
        result_id = ids.result_sourced_id(line_item_id, student) if student else None
        if result_id is not None:
            seen.add(result_id)
        if grade.assigned_grade is None:
            if grade.draft_grade is not None:
                skips.append(_result_skip(grade, SkipReason.DRAFT_GRADE, "only a draft grade: it leaves "
                                          "Classroom when the work is returned", result_id))
            continue
        if not grade.state.returned or cw in held_items:
            if not grade.state.returned:
                reason = SkipReason.NOT_RETURNED
                detail = (f"the submission is {grade.state.value}: the SIS keeps the last returned grade "
                          "until it is returned again")
            else:
                reason = SkipReason.LINE_ITEM_SKIPPED
                detail = f"its assignment is not exported ({held_items[cw][1].reason.value})"
            skips.append(_result_skip(grade, reason, detail, result_id))
            if result_id is not None:
                held.add(result_id)
            continue
        if student is None or result_id is None:
            why = unmatched.get(grade.user_id)
            skips.append(_result_skip(grade, SkipReason.UNMATCHED_STUDENT, f"{why.reason.value}: {why.detail}"
                                      if why else "the student is not on the Classroom roster"))
            continue
        line_item = mapped[cw].line_item
        score_date = grade.updated or line_item.assign_date
        if score_date is None:  # unreachable: every mapped lineItem has an assignDate
            raise ValueError(f"no scoreDate for {result_id}")
        out.append(MappedResult(course_work_id=cw, user_id=grade.user_id, result=Result(
            sourced_id=result_id,
            line_item=GUIDRef(sourced_id=line_item.sourced_id),
            student=GUIDRef(sourced_id=student),
            score_status=ScoreStatus.FULLY_GRADED,
            score=float(grade.assigned_grade),
            score_date=score_date.astimezone(UTC),
            comment="",
            late=grade.late if version is OneRosterVersion.V1P2 else None,
        )))
    return out, skips, held, seen
