"""The SIS refusing some items: each refusal is a translated per-item error, everything else is
exported, and the refused items follow once the SIS accepts them."""

from __future__ import annotations

import pytest

from sisbridge.export_store import RunState
from sisbridge.sandbox.classroom import SubmissionState

from .conftest import World
from .support import (
    ALGEBRA,
    ASPEN,
    INFINITE_CAMPUS,
    SKYWARD,
    Profile,
    book,
    expected,
    export,
    setup,
    student_email,
    work_id,
    writes,
)

QUARTER_2 = "gp-2027-q2"  # the Algebra test (tagged) and the reading reflection (due in it) fall here


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ASPEN, SKYWARD], ids=lambda p: p.id)
def test_a_closed_grading_period_refuses_its_assignments_and_the_rest_is_exported(
        world: World, profile: Profile) -> None:
    setup(world, profile)
    world.knobs(closed_grading_periods=[QUARTER_2])
    exp = expected(world)
    closed_works = {work_id(world, ALGEBRA, "Unit 1 Test"), work_id(world, ALGEBRA, "Reading reflection")}
    closed_items = {exp.line_item_of(cw) for cw in closed_works}
    closed_results = {sid for cw in closed_works for sid in exp.results_of(cw)}

    run = export(world)

    assert run.state is RunState.PARTIAL
    by_code: dict[str, set[str | None]] = {}
    for error in run.errors:
        by_code.setdefault(error.code, set()).add(error.sourced_id)
    assert by_code.pop("grading_period_closed") == closed_items
    assert by_code.pop("line_item_failed") == closed_results  # not sent: their assignment failed
    assert set(by_code) == {"unmatched_student"}
    closed = [e for e in run.errors if e.code == "grading_period_closed"]
    assert all("Quarter 2" in e.message and "reopen" in e.hint and e.item in closed_works for e in closed)
    assert run.counts["failed"] == len(closed_items) + len(closed_results)
    sis = book(world, profile.vendor)
    assert set(sis.line_items) == set(exp.line_items) - closed_items
    assert set(sis.results) == set(exp.results) - closed_results

    world.knobs(closed_grading_periods=[])
    reopened = export(world)

    sis = book(world, profile.vendor)
    assert set(sis.line_items) == set(exp.line_items) and set(sis.results) == set(exp.results)
    assert reopened.counts["failed"] == 0
    assert reopened.counts["created"] + reopened.counts["updated"] == len(closed_items) + len(closed_results)
    assert {e.code for e in reopened.errors} == {"unmatched_student"}


def test_a_grade_changed_after_its_period_closed_is_refused_and_the_sis_keeps_the_old_one(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    export(world)
    world.knobs(closed_grading_periods=[QUARTER_2])
    exp = expected(world)
    course = ALGEBRA.classroom_course_id
    unit_test = work_id(world, ALGEBRA, "Unit 1 Test")
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    late_change, open_change = exp.result_of(unit_test, ALGEBRA, 1), exp.result_of(homework, ALGEBRA, 0)
    world.classroom_state.set_grade(course, unit_test, student_email(ALGEBRA, 1), assigned_grade=42,
                                    state=SubmissionState.RETURNED)
    world.classroom_state.set_grade(course, homework, student_email(ALGEBRA, 0), assigned_grade=1,
                                    state=SubmissionState.RETURNED)
    before = writes(world, INFINITE_CAMPUS.vendor)

    run = export(world)

    refused = [e for e in run.errors if e.code != "unmatched_student"]
    assert [(e.code, e.sourced_id, e.student) for e in refused] == [
        ("grading_period_closed", late_change, ALGEBRA.classroom_students[1])]
    assert run.state is RunState.PARTIAL and run.counts["updated"] == 1 and run.counts["failed"] == 1
    sis = book(world, INFINITE_CAMPUS.vendor)
    assert float(sis.results[late_change]["score"]) == exp.results[late_change].score  # unchanged
    assert float(sis.results[open_change]["score"]) == 1
    assert writes(world, INFINITE_CAMPUS.vendor) - before == {"PUT": 2}  # one accepted, one refused
