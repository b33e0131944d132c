"""A dry run shows what an export would do, old value → new value, and writes nothing."""

from __future__ import annotations

from typing import Any

from sisbridge.sandbox.classroom import SubmissionState
from sisbridge.services import export as exports

from .conftest import ADA, World
from .support import (
    ALGEBRA,
    INFINITE_CAMPUS,
    ONEROSTER_1P1,
    book,
    comparable,
    expected,
    export,
    setup,
    student_email,
    work_id,
    writes,
)


def _preview(world: World) -> dict[str, Any]:
    answer = exports.preview(world.caller(ADA.email), ALGEBRA.classroom_course_id, world.deps)
    assert answer["dry_run"] is True
    return answer["plan"]


def test_before_the_first_export_the_dry_run_lists_every_create_and_writes_nothing(world: World) -> None:
    setup(world, ONEROSTER_1P1)

    plan = _preview(world)

    exp = expected(world)
    assert not writes(world, ONEROSTER_1P1.vendor)
    assert not book(world, ONEROSTER_1P1.vendor).items
    assert plan["counts"]["lineItem"] == {"create": len(exp.line_items), "update": 0, "delete": 0}
    assert plan["counts"]["result"] == {"create": len(exp.results), "update": 0, "delete": 0}
    ops = {op["sourcedId"]: op for op in plan["operations"]}
    assert set(ops) == set(exp.line_items) | set(exp.results)
    assert all(op["old"] is None and op["new"]["summary"] for op in ops.values())
    assert {sid: ops[sid]["new"]["summary"]["score"] for sid in exp.results} == {
        sid: g.score for sid, g in exp.results.items()}
    assert {e["email"] for e in plan["roster"]["classroomOnly"]} == {"riley.stone@gmail.example"}


def test_after_changes_the_dry_run_shows_old_and_new_and_the_export_then_does_just_that(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    export(world)
    exp = expected(world)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    quiz = work_id(world, ALGEBRA, "Quiz 1")
    reflection = work_id(world, ALGEBRA, "Reading reflection")
    regraded = exp.result_of(homework, ALGEBRA, 0)
    old_score = exp.results[regraded].score
    course = ALGEBRA.classroom_course_id
    world.classroom_state.set_grade(course, homework, student_email(ALGEBRA, 0), assigned_grade=3,
                                    state=SubmissionState.RETURNED)
    world.classroom_state.update_course_work(course, quiz, {"title": "Quiz 1: retake", "maxPoints": 30})
    world.classroom_state.delete_course_work(course, reflection)
    sis_before = comparable(book(world, INFINITE_CAMPUS.vendor))
    writes_before = writes(world, INFINITE_CAMPUS.vendor)

    plan = _preview(world)

    assert writes(world, INFINITE_CAMPUS.vendor) == writes_before
    assert comparable(book(world, INFINITE_CAMPUS.vendor)) == sis_before
    ops = {op["sourcedId"]: op for op in plan["operations"]}
    assert ops[regraded]["action"] == "update"
    old, new = ops[regraded]["old"]["summary"], ops[regraded]["new"]["summary"]
    assert (old["score"], new["score"]) == (old_score, 3)
    renamed = ops[exp.line_item_of(quiz)]
    assert renamed["action"] == "update"
    assert (renamed["old"]["summary"]["title"], renamed["new"]["summary"]["title"]) == (
        "Quiz 1: Algebra I basics", "Quiz 1: retake")
    assert (renamed["old"]["summary"]["max"], renamed["new"]["summary"]["max"]) == (25, 30)
    removed = {exp.line_item_of(reflection), *exp.results_of(reflection)}
    assert {sid for sid, op in ops.items() if op["action"] == "delete"} == removed
    assert all(ops[sid]["new"] is None and ops[sid]["old"]["summary"] for sid in removed)
    assert ops[exp.line_item_of(reflection)]["old"]["summary"]["title"] == "Reading reflection"
    assert set(ops) == {regraded, exp.line_item_of(quiz)} | removed  # nothing else would be written

    run = export(world)

    done = writes(world, INFINITE_CAMPUS.vendor) - writes_before
    assert done == {"PUT": 2, "DELETE": len(removed)}
    assert (run.counts["updated"], run.counts["deleted"], run.counts["created"]) == (2, len(removed), 0)
    assert float(book(world, INFINITE_CAMPUS.vendor).results[regraded]["score"]) == 3
