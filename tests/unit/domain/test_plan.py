from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sisbridge.domain import (
    Action,
    ExportInputs,
    ExportPlan,
    ItemKind,
    Ledger,
    OrphanReason,
    SkipReason,
    SubmissionState,
    line_item_sourced_id,
    plan_export,
    result_sourced_id,
)

from .builders import COURSE, SIS_CLASS, TENANT, gradebook, vendor


def empty() -> Ledger:
    return Ledger.empty(SIS_CLASS.sourced_id)


def ops(plan: ExportPlan) -> list[tuple[str, str]]:
    return [(op.action.value, op.kind.value) for op in plan.operations]


def exported(inputs: ExportInputs, **kw: object) -> Ledger:
    """The ledger after a fully acknowledged export of `inputs`."""
    return empty().acknowledge(plan_export(inputs, empty()).operations, **kw)  # type: ignore[arg-type]


def li(n: int) -> str:
    return line_item_sourced_id(TENANT, COURSE, f"cw-{n}")


def without_assignment(inputs: ExportInputs, n: int) -> ExportInputs:
    return replace(inputs, assignments=tuple(w for w in inputs.assignments if w.id != f"cw-{n}"),
                   grades=tuple(g for g in inputs.grades if g.course_work_id != f"cw-{n}"))


def test_a_first_export_creates_every_line_item_then_every_result() -> None:
    plan = plan_export(gradebook(3, 4), empty())
    assert ops(plan) == [("create", "lineItem")] * 3 + [("create", "result")] * 12
    assert plan.unchanged == 0 and plan.skipped == () and plan.orphaned == ()
    assert all(op.old is None and op.new is not None and op.payload is not None for op in plan.operations)


def test_planning_again_after_the_export_changes_nothing() -> None:
    inputs = gradebook(3, 4)
    plan = plan_export(inputs, exported(inputs))
    assert plan.is_empty and plan.unchanged == 15


def test_one_changed_grade_is_exactly_one_result_update_showing_old_and_new() -> None:
    inputs = gradebook(3, 4)
    ledger = exported(inputs)
    grades = tuple(replace(g, assigned_grade=9.5) if (g.course_work_id, g.user_id) == ("cw-1", "u-2") else g
                   for g in inputs.grades)
    plan = plan_export(replace(inputs, grades=grades), ledger)
    (op,) = plan.operations
    assert (op.action, op.kind) == (Action.UPDATE, ItemKind.RESULT)
    assert op.sourced_id == result_sourced_id(li(1), "stu-2")
    assert op.old and op.new and (op.old.summary, op.new.summary) == ({"score": 3}, {"score": 9.5})
    assert plan.unchanged == 14


def test_a_renamed_assignment_is_one_line_item_update_and_its_grades_stay() -> None:
    inputs = gradebook(2, 3)
    ledger = exported(inputs)
    renamed = replace(inputs, assignments=(replace(inputs.assignments[0], title="Renamed"),
                                           inputs.assignments[1]))
    (op,) = plan_export(renamed, ledger).operations
    assert op.action is Action.UPDATE and op.kind is ItemKind.LINE_ITEM
    assert (op.old.summary["title"], op.new.summary["title"]) == ("Assignment 0", "Renamed")  # type: ignore[union-attr]


def test_a_deleted_assignment_deletes_its_results_then_its_line_item() -> None:
    inputs = gradebook(3, 4)
    plan = plan_export(without_assignment(inputs, 1), exported(inputs))
    assert ops(plan) == [("delete", "result")] * 4 + [("delete", "lineItem")]
    assert {op.sourced_id for op in plan.operations} == {li(1), *(result_sourced_id(li(1), f"stu-{s}")
                                                                 for s in range(4))}
    assert all(op.line_item_sourced_id == li(1) for op in plan.operations[:4])
    assert plan.unchanged == 10 and plan.orphaned == ()


@pytest.mark.parametrize("change", [
    lambda w: replace(w, max_points=None),  # made ungraded
    lambda w: replace(w, max_points=0.0),
])
def test_an_assignment_made_ungraded_is_withdrawn(change) -> None:  # type: ignore[no-untyped-def]
    inputs = gradebook(2, 2)
    changed = replace(inputs, assignments=(change(inputs.assignments[0]), inputs.assignments[1]))
    plan = plan_export(changed, exported(inputs))
    assert ops(plan) == [("delete", "result")] * 2 + [("delete", "lineItem")]
    assert [s.reason for s in plan.skipped] == [SkipReason.UNGRADED]


def test_a_line_item_sisbridge_did_not_create_is_kept_with_its_results() -> None:
    inputs = gradebook(3, 2)
    ledger = exported(inputs, preexisting={li(1)})  # its first PUT found it already there
    plan = plan_export(without_assignment(inputs, 1), ledger)
    assert plan.is_empty
    reasons = {(o.kind, o.reason) for o in plan.orphaned}
    assert reasons == {(ItemKind.LINE_ITEM, OrphanReason.NOT_CREATED_BY_SISBRIDGE),
                       (ItemKind.RESULT, OrphanReason.LINE_ITEM_KEPT)}
    assert len(plan.orphaned) == 3


def test_a_vendor_without_delete_gets_orphans_not_deletes() -> None:
    inputs = gradebook(3, 2, vendor=vendor("aeries"))
    ledger = exported(inputs)
    gone = without_assignment(inputs, 1)
    removed_grade = replace(gone, grades=tuple(
        replace(g, assigned_grade=None) if (g.course_work_id, g.user_id) == ("cw-2", "u-0") else g
        for g in gone.grades))
    plan = plan_export(removed_grade, ledger)
    assert plan.is_empty
    assert sorted((o.kind.value, o.reason.value) for o in plan.orphaned) == [
        ("lineItem", "delete_unsupported"), ("result", "delete_unsupported"),
        ("result", "line_item_kept"), ("result", "line_item_kept")]


def test_a_removed_grade_is_deleted() -> None:
    inputs = gradebook(2, 3)
    ledger = exported(inputs)
    cleared = tuple(replace(g, assigned_grade=None, draft_grade=4.0)
                    if (g.course_work_id, g.user_id) == ("cw-0", "u-1") else g for g in inputs.grades)
    (op,) = plan_export(replace(inputs, grades=cleared), ledger).operations
    assert (op.action, op.sourced_id) == (Action.DELETE, result_sourced_id(li(0), "stu-1"))
    assert op.old and op.old.summary == {"score": 1}


def test_a_submission_missing_from_the_read_is_not_taken_as_a_removed_grade() -> None:
    inputs = gradebook(2, 3)
    ledger = exported(inputs)
    # The port lost one submission (a short page): that is a gap, not a teacher removing a grade.
    partial = replace(inputs, grades=tuple(g for g in inputs.grades
                                           if (g.course_work_id, g.user_id) != ("cw-0", "u-1")))
    plan = plan_export(partial, ledger)
    assert plan.is_empty
    assert [(o.reason, o.sourced_id) for o in plan.orphaned] == [
        (OrphanReason.SUBMISSION_MISSING, result_sourced_id(li(0), "stu-1"))]


def test_a_resubmitted_grade_keeps_its_sis_copy_until_returned_again() -> None:
    inputs = gradebook(1, 2)
    ledger = exported(inputs)
    resubmitted = tuple(replace(g, state=SubmissionState.TURNED_IN) if g.user_id == "u-0" else g
                        for g in inputs.grades)
    plan = plan_export(replace(inputs, grades=resubmitted), ledger)
    assert plan.is_empty and plan.orphaned == ()
    assert [(s.user_id, s.reason) for s in plan.skipped] == [("u-0", SkipReason.NOT_RETURNED)]


def test_a_configuration_problem_never_deletes_what_the_sis_has() -> None:
    inputs = gradebook(2, 2, vendor=vendor(whole_number_points=True))
    ledger = exported(inputs)
    fractional = replace(inputs, assignments=(replace(inputs.assignments[0], max_points=9.5),
                                              inputs.assignments[1]))
    plan = plan_export(fractional, ledger)
    assert plan.is_empty and plan.orphaned == ()
    assert {s.reason for s in plan.skipped} == {SkipReason.FRACTIONAL_POINTS, SkipReason.LINE_ITEM_SKIPPED}


def test_a_student_who_no_longer_matches_keeps_their_grades() -> None:
    inputs = gradebook(2, 3)
    ledger = exported(inputs)
    # stu-2 left the SIS class, or their email changed.
    dropped = replace(inputs, sis_students=inputs.sis_students[:2])
    plan = plan_export(dropped, ledger)
    assert plan.is_empty
    assert {(o.reason, o.sourced_id) for o in plan.orphaned} == {
        (OrphanReason.STUDENT_UNMATCHED, result_sourced_id(li(n), "stu-2")) for n in range(2)}
    assert {s.reason for s in plan.skipped} == {SkipReason.UNMATCHED_STUDENT}


def test_unmatched_students_are_skipped_and_reported() -> None:
    inputs = gradebook(2, 3)
    plan = plan_export(replace(inputs, sis_students=inputs.sis_students[1:]), empty())
    assert ops(plan).count(("create", "result")) == 4
    assert [(s.course_work_id, s.user_id, s.reason) for s in plan.skipped] == [
        ("cw-0", "u-0", SkipReason.UNMATCHED_STUDENT), ("cw-1", "u-0", SkipReason.UNMATCHED_STUDENT)]
    assert [u.id for u in plan.roster.classroom_only] == ["u-0"]


def test_full_resync_rewrites_everything() -> None:
    inputs = gradebook(3, 4)
    plan = plan_export(inputs, exported(inputs), full=True)
    assert ops(plan) == [("update", "lineItem")] * 3 + [("update", "result")] * 12
    assert plan.unchanged == 0
    assert all(op.old == op.new for op in plan.operations)


def test_full_resync_still_deletes_what_is_gone() -> None:
    inputs = gradebook(2, 1)
    plan = plan_export(without_assignment(inputs, 0), exported(inputs), full=True)
    assert ops(plan) == [("update", "lineItem"), ("update", "result"),
                         ("delete", "result"), ("delete", "lineItem")]


def test_a_partly_acknowledged_export_resumes_where_it_stopped() -> None:
    inputs = gradebook(2, 3)
    first = plan_export(inputs, empty())
    half = empty().acknowledge(first.operations[:4])  # lineItems and two results made it
    second = plan_export(inputs, half)
    assert ops(second) == [("create", "result")] * 4 and second.unchanged == 4


def test_a_ledger_of_another_class_is_refused() -> None:
    with pytest.raises(ValueError, match="ledger"):
        plan_export(gradebook(1, 1), Ledger.empty("another-class"))


def test_the_plan_is_json_able_for_the_dry_run() -> None:
    inputs = gradebook(2, 2)
    ledger = exported(inputs)
    changed = replace(without_assignment(inputs, 1),
                      grades=tuple(replace(g, assigned_grade=10.0)
                                   for g in inputs.grades if g.course_work_id == "cw-0"))
    data = json.loads(json.dumps(plan_export(changed, ledger).to_dict()))
    assert data["counts"] == {"lineItem": {"create": 0, "update": 0, "delete": 1},
                              "result": {"create": 0, "update": 2, "delete": 2},
                              "unchanged": 1, "skipped": 0, "orphaned": 0}
    update = data["operations"][0]
    assert (update["action"], update["old"]["summary"], update["new"]["summary"]) == (
        "update", {"score": 0}, {"score": 10})
    assert data["lineItems"][0]["title"] == "Assignment 0" and data["roster"]["sisOnly"] == []
