"""Seeded random histories of a class: invariants of planning that must hold at every step."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from sisbridge.domain import (
    Action,
    ClassroomAssignment,
    ClassroomGrade,
    ClassroomStudent,
    CourseWorkState,
    ExportInputs,
    ExportPlan,
    ItemKind,
    Ledger,
    SubmissionState,
    plan_export,
)
from sisbridge.oneroster.models import User

from .builders import SIS_CLASS, T0, assignment, inputs, vendor

VENDORS = [vendor(), vendor("oneroster_1p2"), vendor("skyward"), vendor("aeries"), vendor("aspen"),
           vendor("infinite_campus")]
TITLES = ["Quiz", "quiz ", "Essay on the causes of the First World War, with sources and a bibliography",
          "Essay on the causes of the First World War, with sources and a bibliography (draft)", "Lab"]
GROUP = {(Action.CREATE, ItemKind.LINE_ITEM): 0, (Action.UPDATE, ItemKind.LINE_ITEM): 0,
         (Action.CREATE, ItemKind.RESULT): 1, (Action.UPDATE, ItemKind.RESULT): 1,
         (Action.DELETE, ItemKind.RESULT): 2, (Action.DELETE, ItemKind.LINE_ITEM): 3}


def random_work(rng: random.Random, n: int) -> ClassroomAssignment:
    return assignment(n, title=rng.choice(TITLES), max_points=rng.choice([10.0, 10.0, 7.5, None, 100.0]),
                      state=rng.choice([CourseWorkState.PUBLISHED] * 4 + [CourseWorkState.DRAFT]),
                      due=rng.choice([None, T0 + timedelta(days=rng.randint(0, 140))]),
                      grade_category_name=rng.choice([None, "Homework", "Projects"]))


def random_grade(rng: random.Random, cw: str, user: str) -> ClassroomGrade:
    return ClassroomGrade(course_work_id=cw, user_id=user, state=rng.choice(list(SubmissionState)),
                          assigned_grade=rng.choice([None, 0.0, 5.0, 9.5, 12.0]),
                          draft_grade=rng.choice([None, 3.0]), late=rng.random() < 0.2,
                          updated=T0 + timedelta(days=rng.randint(1, 3)))


def evolve(rng: random.Random, state: ExportInputs, step: int) -> ExportInputs:
    works = {w.id: w for w in state.assignments}
    grades = {(g.course_work_id, g.user_id): g for g in state.grades}
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.25 or not works:
            w = random_work(rng, 100 * step + len(works))
            works[w.id] = w
        elif roll < 0.35:
            gone = rng.choice(sorted(works))
            del works[gone]
            grades = {k: g for k, g in grades.items() if k[0] != gone}
        elif roll < 0.5:
            w = works[rng.choice(sorted(works))]
            works[w.id] = replace(w, title=rng.choice(TITLES), max_points=rng.choice([10.0, 7.5, None, 20.0]))
        else:
            cw = rng.choice(sorted(works))
            for s in state.classroom_students:
                if rng.random() < 0.5:
                    grades[(cw, s.user_id)] = random_grade(rng, cw, s.user_id)
    sis = list(state.sis_students)
    if rng.random() < 0.15 and sis:  # roster churn: someone leaves the SIS class, or comes back
        sis.pop(rng.randrange(len(sis)))
    elif rng.random() < 0.15:
        sis.append(User(sourced_id="stu-0", email=" S0@district.example.org"))
    return replace(state, assignments=tuple(works.values()), grades=tuple(grades.values()),
                   sis_students=tuple({u.sourced_id: u for u in sis}.values()))


def shuffled(rng: random.Random, state: ExportInputs) -> ExportInputs:
    def mix(items: tuple) -> tuple:  # type: ignore[type-arg]
        out = list(items)
        rng.shuffle(out)
        return tuple(out)
    return replace(state, assignments=mix(state.assignments), grades=mix(state.grades),
                   classroom_students=mix(state.classroom_students), sis_students=mix(state.sis_students),
                   categories=mix(state.categories), grading_periods=mix(state.grading_periods))


def check_invariants(state: ExportInputs, ledger: Ledger, plan: ExportPlan) -> None:
    ids = [op.sourced_id for op in plan.operations]
    assert len(ids) == len(set(ids)), "an item is touched twice"
    groups = [GROUP[(op.action, op.kind)] for op in plan.operations]
    assert groups == sorted(groups), "operations out of order"
    written_line_items = {op.sourced_id for op in plan.operations
                          if op.kind is ItemKind.LINE_ITEM and op.action is not Action.DELETE}
    deleted = {op.sourced_id for op in plan.operations if op.action is Action.DELETE}
    for op in plan.operations:
        if op.action is Action.DELETE:
            entry = ledger.get(op.sourced_id)
            assert entry is not None and state.vendor.limits.supports_delete
            if op.kind is ItemKind.LINE_ITEM:
                assert entry.created, "deleted a lineItem sisbridge did not create"
                children = ledger.results_by_line_item().get(op.sourced_id, [])
                assert {c.sourced_id for c in children} <= deleted, "a result would dangle"
        elif op.kind is ItemKind.RESULT:
            assert op.line_item_sourced_id in written_line_items or op.line_item_sourced_id in ledger
    # Never lost: a returned grade of a matched student on an exported assignment is never deleted.
    students = plan.roster.sourced_ids_by_user_id()
    exported_work = {d.sourced_id: d.course_work_id for d in plan.decisions}
    for g in state.grades:
        if g.assigned_grade is not None and g.state.returned and g.user_id in students:
            for op in plan.operations:
                if op.action is Action.DELETE and op.kind is ItemKind.RESULT:
                    assert not (exported_work.get(op.line_item_sourced_id or "") == g.course_work_id
                                and op.student_sourced_id == students[g.user_id])


@pytest.mark.parametrize("seed", range(12))
def test_random_histories_keep_every_invariant(seed: int) -> None:
    rng = random.Random(seed)
    profile = VENDORS[seed % len(VENDORS)]
    cr = tuple(ClassroomStudent(user_id=f"u-{i}", email=f"s{i}@district.example.org") for i in range(5))
    sis = tuple(User(sourced_id=f"stu-{i}", email=f"S{i}@district.example.org") for i in range(5))
    state = inputs(vendor=profile, classroom_students=cr, sis_students=sis)
    ledger = Ledger.empty(SIS_CLASS.sourced_id)
    for step in range(25):
        state = evolve(rng, state, step)
        plan = plan_export(state, ledger, full=rng.random() < 0.1)
        check_invariants(state, ledger, plan)
        assert plan_export(shuffled(rng, state), ledger, full=plan.full).to_dict() == plan.to_dict()
        if rng.random() < 0.3:  # the run fails part-way: only a prefix is acknowledged
            ledger = ledger.acknowledge(plan.operations[: rng.randint(0, len(plan.operations))])
            continue
        ledger = ledger.acknowledge(plan.operations)
        again = plan_export(state, ledger)
        assert again.is_empty, f"step {step}: not converged: {[op.to_dict() for op in again.operations][:3]}"
        assert Ledger.from_chunks(ledger.to_chunks(4_000)) == ledger
