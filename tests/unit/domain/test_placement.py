"""Category, grading period, assignDate and dueDate: each rule and each fallback."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

from sisbridge.domain import ClassroomGradingPeriod, ItemKind, SkipReason, map_export
from sisbridge.domain.mapping import MappedExport
from sisbridge.domain.placement import CategoryRule, PeriodRule
from sisbridge.oneroster.models import AcademicSession, Category, GUIDRef, SessionType, Status

from .builders import CATEGORIES, GENERIC_12, Q1, Q2, assignment, inputs, vendor


def only(mapped: MappedExport):  # type: ignore[no-untyped-def]
    (m,) = mapped.line_items
    return m


def line_item_skip(mapped: MappedExport) -> SkipReason:
    (s,) = [s for s in mapped.skipped if s.kind is ItemKind.LINE_ITEM]
    return s.reason


# --- category ---------------------------------------------------------------------------------

def test_the_classroom_category_maps_by_title_ignoring_case_and_spaces() -> None:
    m = only(map_export(inputs((assignment(1, grade_category_name="  homework "),))))
    assert m.line_item.category == GUIDRef(sourced_id="cat-hw")
    assert m.decision.category_rule is CategoryRule.CLASSROOM


def test_otherwise_the_vendor_default_category_if_the_sis_has_it() -> None:
    profile = vendor(default_category_title="assignments")
    m = only(map_export(inputs((assignment(1, grade_category_name="Projects"),), vendor=profile)))
    assert m.line_item.category == GUIDRef(sourced_id="cat-assign")
    assert m.decision.category_rule is CategoryRule.VENDOR_DEFAULT
    assert "Projects" in m.decision.category_detail


def test_otherwise_the_first_sis_category_when_the_vendor_requires_one() -> None:
    profile = vendor(category_required=True, default_category_title="Missing in this SIS")
    cats = (Category(sourced_id="z", title="Tests"), Category(sourced_id="y", title="Classwork"))
    m = only(map_export(inputs((assignment(1),), vendor=profile, categories=cats)))
    assert m.line_item.category == GUIDRef(sourced_id="y")  # first by title, not by SIS listing order
    assert m.decision.category_rule is CategoryRule.FIRST_SIS


def test_otherwise_no_category_with_the_reason_recorded() -> None:
    m = only(map_export(inputs((assignment(1, grade_category_name="Projects"),))))
    assert m.line_item.category is None
    assert m.decision.category_rule is CategoryRule.NONE and "Projects" in m.decision.category_detail


def test_a_required_category_the_sis_cannot_give_holds_the_assignment_back() -> None:
    mapped = map_export(inputs((assignment(1),), vendor=vendor(category_required=True), categories=()))
    assert mapped.line_items == () and line_item_skip(mapped) is SkipReason.NO_CATEGORY
    assert len(mapped.held) == 1


def test_one_point_two_always_needs_a_category() -> None:
    mapped = map_export(inputs((assignment(1),), vendor=GENERIC_12, categories=()))
    assert line_item_skip(mapped) is SkipReason.NO_CATEGORY
    m = only(map_export(inputs((assignment(1),), vendor=GENERIC_12)))
    assert m.decision.category_rule is CategoryRule.FIRST_SIS


def test_categories_marked_tobedeleted_are_not_used() -> None:
    cats = (replace(CATEGORIES[0], status=Status.TOBEDELETED),) + CATEGORIES[1:]
    m = only(map_export(inputs((assignment(1, grade_category_name="Homework"),), categories=cats)))
    assert m.line_item.category is None


# --- grading period ---------------------------------------------------------------------------

def test_the_classroom_grading_period_maps_by_title() -> None:
    tagged = ClassroomGradingPeriod(title="quarter 2", start=date(2025, 11, 3), end=date(2026, 1, 20))
    # Due in Quarter 1 but tagged Quarter 2: the teacher's tag wins.
    m = only(map_export(inputs((assignment(1, grading_period=tagged),))))
    assert m.line_item.grading_period == GUIDRef(sourced_id="gp-q2")
    assert m.decision.period_rule is PeriodRule.CLASSROOM_TITLE


def test_or_by_identical_dates() -> None:
    tagged = ClassroomGradingPeriod(title="Autumn B", start=Q2.start_date, end=Q2.end_date)  # type: ignore[arg-type]
    m = only(map_export(inputs((assignment(1, grading_period=tagged),))))
    assert m.line_item.grading_period == GUIDRef(sourced_id="gp-q2")
    assert m.decision.period_rule is PeriodRule.CLASSROOM_DATES


def test_otherwise_the_sis_period_holding_the_due_date_the_narrowest_one() -> None:
    semester = AcademicSession(sourced_id="gp-s1", title="Semester 1", type=SessionType.GRADING_PERIOD,
                               start_date=date(2025, 8, 15), end_date=date(2026, 1, 16))
    due = datetime(2025, 11, 20, 17, tzinfo=UTC)
    m = only(map_export(inputs((assignment(1, due=due),), grading_periods=(semester, Q1, Q2))))
    assert m.line_item.grading_period == GUIDRef(sourced_id="gp-q2")
    assert m.decision.period_rule is PeriodRule.HOLDS_DUE_DATE


def test_the_due_day_is_the_schools_calendar_day() -> None:
    # 23:00 on 31 October in New York (UTC-5 here) is already 1 November in UTC.
    work = assignment(1, due=datetime(2025, 11, 1, 4, tzinfo=UTC))
    assert only(map_export(inputs((work,)))).line_item.grading_period == GUIDRef(sourced_id="gp-q2")
    est = timezone(timedelta(hours=-5))
    in_new_york = only(map_export(inputs((work,), timezone=est)))
    assert in_new_york.line_item.grading_period == GUIDRef(sourced_id="gp-q1")


def test_no_fitting_period_is_none_or_a_skip_when_the_vendor_requires_one() -> None:
    summer = assignment(1, created=datetime(2026, 7, 1, tzinfo=UTC), due=datetime(2026, 7, 8, tzinfo=UTC))
    m = only(map_export(inputs((summer,))))
    assert m.line_item.grading_period is None and m.decision.period_rule is PeriodRule.NONE
    mapped = map_export(inputs((summer,), vendor=vendor(grading_period_required=True)))
    assert line_item_skip(mapped) is SkipReason.NO_GRADING_PERIOD
    assert "2026-07-08" in mapped.skipped[0].detail


# --- assignDate and dueDate -------------------------------------------------------------------

def test_assign_date_is_the_creation_time() -> None:
    work = assignment(1)
    m = only(map_export(inputs((work,))))
    assert m.line_item.assign_date == work.created and m.decision.assign_date_rule == "created"


def test_a_back_dated_assignment_is_assigned_at_its_due_time() -> None:
    work = assignment(1, due=datetime(2025, 8, 20, 12, tzinfo=UTC))  # due before it was created
    m = only(map_export(inputs((work,))))
    assert m.line_item.assign_date == m.line_item.due_date == work.due
    assert m.decision.assign_date_rule == "due"


def test_without_creation_time_the_due_time_then_the_classroom_period_start() -> None:
    work = assignment(1, created=None)
    assert only(map_export(inputs((work,)))).line_item.assign_date == work.due
    tagged = ClassroomGradingPeriod(title="Quarter 1", start=date(2025, 8, 15), end=date(2025, 10, 31))
    m = only(map_export(inputs((assignment(1, created=None, due=None, grading_period=tagged),))))
    assert m.line_item.assign_date == datetime(2025, 8, 15, 12, tzinfo=UTC)
    assert m.decision.assign_date_rule == "grading_period_start"


def test_no_date_at_all_holds_the_assignment_back() -> None:
    mapped = map_export(inputs((assignment(1, created=None, due=None),)))
    assert line_item_skip(mapped) is SkipReason.NO_ASSIGN_DATE


def test_without_a_due_date_it_is_due_at_noon_on_the_last_day_of_its_grading_period() -> None:
    m = only(map_export(inputs((assignment(1, due=None),))))  # created 1 September: Quarter 1
    assert m.line_item.grading_period == GUIDRef(sourced_id="gp-q1")
    assert m.line_item.due_date == datetime.combine(Q1.end_date, time(12), tzinfo=UTC)  # type: ignore[arg-type]
    assert m.decision.due_date_rule == "grading_period_end"
    est = timezone(timedelta(hours=-5))
    m = only(map_export(inputs((assignment(1, due=None),), timezone=est)))
    assert m.line_item.due_date == datetime(2025, 10, 31, 17, tzinfo=UTC)  # noon in the school's zone


def test_without_a_due_date_or_a_period_it_is_due_a_week_after_it_was_assigned() -> None:
    work = assignment(1, due=None)
    m = only(map_export(inputs((work,), grading_periods=())))
    assert m.line_item.due_date == work.created + timedelta(days=7)  # type: ignore[operator]
    assert m.decision.due_date_rule == "assign_plus_7_days"


def test_a_period_ending_before_the_assign_date_is_not_used_as_the_due_date() -> None:
    tagged = ClassroomGradingPeriod(title="Quarter 1", start=date(2025, 8, 15), end=date(2025, 10, 31))
    work = assignment(1, due=None, created=datetime(2025, 12, 1, tzinfo=UTC), grading_period=tagged)
    m = only(map_export(inputs((work,))))
    assert m.line_item.grading_period == GUIDRef(sourced_id="gp-q1")  # the teacher's tag still files it
    assert m.line_item.due_date == work.created + timedelta(days=7)  # type: ignore[operator]


def test_due_is_never_before_assign_and_dates_are_deterministic() -> None:
    rng = random.Random(11)
    for n in range(300):
        created = datetime(2025, 8, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 200_000))
        due = None if rng.random() < 0.4 else created + timedelta(minutes=rng.randint(-20_000, 80_000))
        period = rng.choice([None, ClassroomGradingPeriod(title=rng.choice(["Quarter 1", "Quarter 2", "Q9"]),
                                                          start=date(2025, 8, 15), end=date(2025, 10, 31))])
        work = assignment(n, created=rng.choice([created, None]) if due else created, due=due,
                          grading_period=period)
        periods = rng.choice([(Q1, Q2), (), (Q2,)])
        mapped = map_export(inputs((work,), grading_periods=periods))
        for m in mapped.line_items:
            assert m.line_item.assign_date <= m.line_item.due_date  # type: ignore[operator]
        assert mapped == map_export(inputs((work,), grading_periods=periods))
