"""Exports after the first: nothing resent, one change is one write, a deleted assignment leaves the
SIS (or is reported orphaned where the SIS has no DELETE), and a full export rewrites in place."""

from __future__ import annotations

import pytest

from sisbridge.export_store import RunState
from sisbridge.sandbox.classroom import SubmissionState
from sisbridge.services import export as exports

from .conftest import ADA, World
from .support import (
    AERIES,
    ALGEBRA,
    ASPEN,
    INFINITE_CAMPUS,
    ONEROSTER_1P1,
    SKYWARD,
    SKYWARD_OAUTH1,
    Profile,
    book,
    client_writes,
    expected,
    export,
    setup,
    statuses,
    student_email,
    work_id,
    writes,
)


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ONEROSTER_1P1, SKYWARD, AERIES], ids=lambda p: p.id)
def test_exporting_again_with_nothing_changed_writes_nothing(world: World, profile: Profile) -> None:
    setup(world, profile)
    first = export(world)
    before = writes(world, profile.vendor)

    again = export(world)

    assert writes(world, profile.vendor) == before
    assert again.counts["created"] == again.counts["updated"] == again.counts["deleted"] == 0
    assert again.counts["unchanged"] == first.counts["created"]
    assert set(client_writes(book(world, profile.vendor)).values()) == {1}


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ONEROSTER_1P1, ASPEN], ids=lambda p: p.id)
def test_one_changed_returned_grade_is_exactly_one_result_put(world: World, profile: Profile) -> None:
    setup(world, profile)
    export(world)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    before = writes(world, profile.vendor)
    world.classroom_state.set_grade(ALGEBRA.classroom_course_id, homework, student_email(ALGEBRA, 0),
                                    assigned_grade=3, state=SubmissionState.RETURNED)

    run = export(world)

    changed = expected(world).result_of(homework, ALGEBRA, 0)
    sis = book(world, profile.vendor)
    assert writes(world, profile.vendor) - before == {"PUT": 1}
    assert float(sis.results[changed]["score"]) == 3
    assert {sid for sid, n in client_writes(sis).items() if n != 1} == {changed}
    assert sis.results[changed]["_clientWrites"] == 2
    assert run.counts["updated"] == 1 and run.counts["created"] == 0


def test_a_grade_not_yet_returned_writes_nothing(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    export(world)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    result = expected(world).result_of(homework, ALGEBRA, 0)
    returned = book(world, INFINITE_CAMPUS.vendor).results[result]["score"]
    before = writes(world, INFINITE_CAMPUS.vendor)
    # The student resubmitted; the new grade is not returned yet: the SIS keeps the returned one.
    world.classroom_state.set_grade(ALGEBRA.classroom_course_id, homework, student_email(ALGEBRA, 0),
                                    draft_grade=1, assigned_grade=1, state=SubmissionState.TURNED_IN)

    run = export(world)

    assert writes(world, INFINITE_CAMPUS.vendor) == before
    assert run.counts["updated"] == run.counts["deleted"] == 0
    assert book(world, INFINITE_CAMPUS.vendor).results[result]["score"] == returned != 1


def test_a_draft_regrade_of_a_returned_grade_writes_nothing(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    export(world)
    quiz = work_id(world, ALGEBRA, "Quiz 1")
    before = writes(world, INFINITE_CAMPUS.vendor)
    world.classroom_state.set_grade(ALGEBRA.classroom_course_id, quiz, student_email(ALGEBRA, 3), draft_grade=1)

    export(world)

    assert writes(world, INFINITE_CAMPUS.vendor) == before


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ONEROSTER_1P1, ASPEN, SKYWARD_OAUTH1], ids=lambda p: p.id)
def test_a_deleted_assignment_leaves_the_sis_results_first(world: World, profile: Profile) -> None:
    setup(world, profile)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    exp = expected(world)
    line_item, results = exp.line_item_of(homework), set(exp.results_of(homework))
    export(world)
    put_before = writes(world, profile.vendor)["PUT"]
    world.classroom_state.delete_course_work(ALGEBRA.classroom_course_id, homework)

    run = export(world)

    sis = book(world, profile.vendor)
    assert set(sis.deleted) == results | {line_item}
    assert line_item not in sis.line_items and not results & set(sis.results)
    assert set(client_writes(sis).values()) == {1}  # every other item untouched
    # Each DELETE found its item: had the lineItem gone first, the SIS would have taken its
    # results with it and the result DELETEs would have answered 404.
    deletes = statuses(world, profile.vendor, "DELETE")
    assert sum(deletes.values()) == len(results) + 1 and set(deletes) <= {"200", "204"}
    assert writes(world, profile.vendor)["PUT"] == put_before
    assert run.counts["deleted"] == len(results) + 1 and run.counts["orphaned"] == 0
    assert set(sis.results) == set(expected(world).results)


def test_without_delete_a_removed_assignment_stays_and_is_reported_orphaned(world: World) -> None:
    setup(world, AERIES)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    exp = expected(world)
    line_item, results = exp.line_item_of(homework), set(exp.results_of(homework))
    export(world)
    world.classroom_state.delete_course_work(ALGEBRA.classroom_course_id, homework)
    ada = world.caller(ADA.email)

    plan = exports.preview(ada, ALGEBRA.classroom_course_id, world.deps)["plan"]
    run = export(world)

    reasons = {o["sourcedId"]: o["reason"] for o in plan["orphaned"]}
    assert reasons == {line_item: "delete_unsupported"} | dict.fromkeys(results, "line_item_kept")
    assert plan["operations"] == []
    assert "DELETE" not in writes(world, AERIES.vendor)
    sis = book(world, AERIES.vendor)
    assert line_item in sis.line_items and results <= set(sis.results) and not sis.deleted
    assert run.state is RunState.PARTIAL  # the outsider; nothing failed
    assert run.counts["deleted"] == 0 and run.counts["failed"] == 0
    assert run.counts["orphaned"] == len(results) + 1
    assert {o["sourcedId"]: o["reason"] for o in run.orphaned} == reasons
    orphan = next(o for o in run.orphaned if o["sourcedId"] == line_item)
    assert orphan["summary"]["title"] == "Algebra I Homework 1"  # what to remove by hand


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ONEROSTER_1P1, SKYWARD], ids=lambda p: p.id)
def test_a_full_export_rewrites_every_item_in_place(world: World, profile: Profile) -> None:
    setup(world, profile)
    export(world)
    first = book(world, profile.vendor)
    put_before = statuses(world, profile.vendor, "PUT")

    run = export(world, full=True)

    sis = book(world, profile.vendor)
    put_after = statuses(world, profile.vendor, "PUT")
    rewritten = {s: put_after.get(s, 0) - put_before.get(s, 0) for s in {*put_before, *put_after}}
    assert {s: n for s, n in rewritten.items() if n} == {"200": len(first.items)}  # no 201: nothing new
    assert "DELETE" not in writes(world, profile.vendor)
    assert set(sis.items) == set(first.items)
    assert set(client_writes(sis).values()) == {2}
    assert run.counts["updated"] == len(first.items) and run.counts["created"] == 0
    assert run.counts["unchanged"] == 0
