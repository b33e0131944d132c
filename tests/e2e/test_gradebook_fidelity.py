"""One export, then the SIS gradebook compared with Classroom item by item, on every vendor profile
and both auth modes."""

from __future__ import annotations

import pytest

from sisbridge.export_store import RunState
from sisbridge.sandbox import seed
from sisbridge.vendors import OneRosterVersion

from .conftest import World
from .support import (
    ALGEBRA,
    ALL,
    ASPEN,
    GEOMETRY,
    INFINITE_CAMPUS,
    OAUTH1,
    Profile,
    add_assignment,
    book,
    client_writes,
    expected,
    expected_titles,
    export,
    setup,
    work_id,
)

V12 = OneRosterVersion.V1P2


def _sis_titles(world: World, vendor: str) -> dict[str, str]:
    raw = world.gradebook(vendor)
    sessions = {s.sourced_id: s.title for s in seed.SESSIONS}
    return {c["sourcedId"]: c["title"] for c in raw["categories"]} | sessions


@pytest.mark.parametrize("profile", ALL, ids=lambda p: p.id)
def test_the_sis_holds_one_line_item_per_assignment_and_one_result_per_returned_grade(
        world: World, profile: Profile) -> None:
    setup(world, profile)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    unit_test = work_id(world, ALGEBRA, "Unit 1 Test")
    # A newer assignment with the title of an older one: the SIS must still tell them apart.
    twin = add_assignment(world, ALGEBRA, "Algebra I Homework 1", grades={0: 18, 5: 20})

    run = export(world)

    exp = expected(world)
    sis = book(world, profile.vendor)
    limit = profile.limits.title_max_length
    titles = expected_titles(exp, limit)
    named = _sis_titles(world, profile.vendor)
    classroom = world.classroom_state
    course = classroom.course(ALGEBRA.classroom_course_id)

    # lineItems: exactly the published points assignments, at their deterministic sourcedIds
    assert len(exp.line_items) == 5  # homework, quiz, test, reflection, twin; not the ungraded or the draft
    assert set(sis.line_items) == set(exp.line_items)
    for sid, work in exp.line_items.items():
        item = sis.line_items[sid]
        assert item["title"] == titles[sid], work.title
        assert limit is None or len(item["title"]) <= limit
        assert float(item["resultValueMax"]) == work.max_points
        assert float(item["resultValueMin"]) == 0
        assert item["class"]["sourcedId"] == ALGEBRA.class_sourced_id
        cw = classroom.course_work(ALGEBRA.classroom_course_id, work.course_work_id)
        category = course.category(cw.category_id).name if cw.category_id else None
        required = profile.limits.category_required or profile.version is V12
        want = category or ("Homework" if required else None)  # the first SIS category by title
        got = item.get("category")
        assert (named[got["sourcedId"]] if got else None) == want, work.title
        period = item.get("gradingPeriod")
        if cw.grading_period_id:
            tagged = next(p.title for p in course.grading_periods if p.id == cw.grading_period_id)
            assert named[period["sourcedId"]] == tagged
        if profile.limits.grading_period_required:
            assert period is not None
        if profile.version is V12:
            assert item["school"]["sourcedId"] == seed.SCHOOL_ID
    sis_titles = [li["title"].casefold() for li in sis.line_items.values()]
    assert len(set(sis_titles)) == len(sis_titles)
    assert sis.line_items[exp.line_item_of(twin)]["title"] == "Algebra I Homework 1 (2)"
    if limit is not None:
        assert sis.line_items[exp.line_item_of(unit_test)]["title"].endswith("…")

    # results: one per returned grade of a matched student, with the exact assigned score
    assert set(sis.results) == set(exp.results)
    for sid, grade in exp.results.items():
        result = sis.results[sid]
        owner = (result["lineItem"]["sourcedId"], result["student"]["sourcedId"])
        assert owner == (grade.line_item, grade.student)
        assert float(result["score"]) == grade.score
        assert result["scoreStatus"] == "fully graded"
        if profile.version is V12:
            assert result["late"] == ("true" if grade.late else "false")
        else:
            assert "late" not in result
    extra_credit = sis.results[exp.result_of(unit_test, ALGEBRA, 0)]
    test_max = float(sis.line_items[exp.line_item_of(unit_test)]["resultValueMax"])
    assert float(extra_credit["score"]) == 105 > test_max  # sent as it is, above the maximum
    draft_only = exp.result_of(homework, ALGEBRA, 1)  # turned in, draft grade only
    assert draft_only in exp.withheld and draft_only not in sis.results
    assert not exp.withheld & set(sis.results)
    students = {r["student"]["sourcedId"] for r in sis.results.values()}
    assert "stu-200007" in students  # matched although the SIS spells the email with a capital
    assert ALGEBRA.students[-1] not in students  # in the SIS class, never joined Classroom

    # written once each; the school's own items untouched
    assert set(client_writes(sis).values()) == {1}
    assert sis.seeded and all(o["_clientWrites"] == 0 and not o["_deleted"] for o in sis.seeded)
    token_calls = world.stats()["token_requests"].get(profile.vendor, {})
    assert (not token_calls) if profile.auth is OAUTH1 else token_calls.get("200", 0) >= 1

    # the run says what it did, and names the student it could not place
    assert run.state is RunState.PARTIAL
    assert run.counts["created"] == len(sis.items) and run.counts["failed"] == 0
    unmatched = [e for e in run.errors if e.code == "unmatched_student"]
    assert exp.unmatched and {e.item for e in unmatched} == exp.unmatched
    assert {e.student for e in unmatched} == {seed.OUTSIDER.email}
    assert [e for e in run.errors if e.code != "unmatched_student"] == []


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ASPEN], ids=lambda p: p.id)
def test_a_class_whose_roster_matches_fully_exports_without_errors(world: World, profile: Profile) -> None:
    setup(world, profile, GEOMETRY)

    run = export(world, GEOMETRY)

    exp = expected(world, GEOMETRY)
    sis = book(world, profile.vendor, GEOMETRY)
    assert run.state is RunState.SUCCEEDED and run.errors == ()
    assert set(sis.line_items) == set(exp.line_items) and set(sis.results) == set(exp.results)
    assert {sid: float(r["score"]) for sid, r in sis.results.items()} == {
        sid: g.score for sid, g in exp.results.items()}
    assert not book(world, profile.vendor, ALGEBRA).items  # nothing lands in another class
