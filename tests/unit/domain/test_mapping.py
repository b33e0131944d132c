"""What is exported, field by field (categories, periods and dates: test_placement.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sisbridge.domain import (
    ClassroomAssignment,
    ClassroomGrade,
    CourseWorkState,
    ItemKind,
    SkipReason,
    SubmissionState,
    line_item_sourced_id,
    map_export,
    result_sourced_id,
)
from sisbridge.oneroster.models import GUIDRef, ScoreStatus
from sisbridge.vendors import OneRosterVersion

from .builders import COURSE, GENERIC_12, SIS_CLASS, T0, TENANT, assignment, grade, gradebook, inputs, vendor


def skips(mapped: object, kind: ItemKind | None = None) -> dict[tuple[str, str | None], SkipReason]:
    return {(s.course_work_id, s.user_id): s.reason for s in mapped.skipped  # type: ignore[attr-defined]
            if kind is None or s.kind is kind}


def test_a_published_graded_assignment_becomes_a_line_item() -> None:
    work = assignment(1, title="Lab report", description="Write it up", max_points=25.0)
    (m,) = map_export(inputs((work,))).line_items
    item = m.line_item
    assert item.sourced_id == line_item_sourced_id(TENANT, COURSE, "cw-1")
    assert (item.title, item.description) == ("Lab report", "Write it up")
    assert (item.assign_date, item.due_date) == (work.created, work.due)
    assert (item.result_value_min, item.result_value_max) == (0.0, 25.0)
    assert item.class_ == GUIDRef(sourced_id=SIS_CLASS.sourced_id)
    assert item.school is None  # 1.1 has no lineItem school
    item.validate(OneRosterVersion.V1P1)


def test_on_one_point_two_the_line_item_carries_the_class_school() -> None:
    (m,) = map_export(inputs((assignment(1, grade_category_name="Tests"),), vendor=GENERIC_12)).line_items
    assert m.line_item.school == GUIDRef(sourced_id="school-1")
    m.line_item.validate(OneRosterVersion.V1P2)


def test_one_point_two_without_a_class_school_is_held_back() -> None:
    no_school = replace(SIS_CLASS, school=None)
    mapped = map_export(inputs((assignment(1),), vendor=GENERIC_12, sis_class=no_school))
    assert mapped.line_items == ()
    assert skips(mapped) == {("cw-1", None): SkipReason.NO_SCHOOL}
    assert line_item_sourced_id(TENANT, COURSE, "cw-1") in mapped.held


@pytest.mark.parametrize(("work", "reason"), [
    (assignment(1, state=CourseWorkState.DRAFT), SkipReason.DRAFT),
    (assignment(1, state=CourseWorkState.DELETED), SkipReason.DELETED),
    (assignment(1, max_points=None), SkipReason.UNGRADED),
    (assignment(1, max_points=0.0), SkipReason.UNGRADED),
])
def test_drafts_deleted_and_ungraded_work_is_not_exported(work: ClassroomAssignment, reason: SkipReason,
                                                           ) -> None:
    mapped = map_export(inputs((work,), (grade(1, 0), grade(1, 1, score=None, draft_grade=3.0))))
    assert mapped.line_items == () and mapped.results == ()
    assert skips(mapped) == {("cw-1", None): reason}  # its grades are covered by the one skip
    assert not mapped.held  # withdrawn, not held: an earlier copy may be deleted


def test_an_assignment_in_no_known_state_is_held_not_withdrawn() -> None:
    mapped = map_export(inputs((assignment(1, state=CourseWorkState.UNSPECIFIED),), (grade(1, 0),)))
    assert mapped.line_items == () and mapped.results == ()
    assert skips(mapped) == {("cw-1", None): SkipReason.UNKNOWN_STATE}
    assert mapped.held == {line_item_sourced_id(TENANT, COURSE, "cw-1")}


def test_whole_number_vendors_refuse_fractional_points_instead_of_rounding() -> None:
    profile = vendor(whole_number_points=True)
    works = (assignment(1, max_points=7.5), assignment(2, max_points=20.0))
    mapped = map_export(inputs(works, (grade(1, 0),), vendor=profile))
    assert [m.course_work_id for m in mapped.line_items] == ["cw-2"]
    assert mapped.line_items[0].line_item.result_value_max == 20.0
    skip = next(s for s in mapped.skipped if s.kind is ItemKind.LINE_ITEM)
    assert skip.reason is SkipReason.FRACTIONAL_POINTS and "7.5" in skip.detail
    assert skips(mapped, ItemKind.RESULT) == {("cw-1", "u-0"): SkipReason.LINE_ITEM_SKIPPED}
    assert {skip.sourced_id, result_sourced_id(skip.sourced_id or "", "stu-0")} <= mapped.held


def test_other_vendors_keep_fractional_points() -> None:
    (m,) = map_export(inputs((assignment(1, max_points=7.5),))).line_items
    assert m.line_item.result_value_max == 7.5


def test_a_returned_grade_becomes_a_fully_graded_result() -> None:
    mapped = map_export(inputs((assignment(1),), (grade(1, 0, score=8.5),)))
    (r,) = mapped.results
    li = mapped.line_items[0].line_item.sourced_id
    assert r.result.sourced_id == result_sourced_id(li, "stu-0")
    assert (r.result.line_item, r.result.student) == (GUIDRef(sourced_id=li), GUIDRef(sourced_id="stu-0"))
    assert (r.result.score, r.result.score_status, r.result.comment) == (8.5, ScoreStatus.FULLY_GRADED, "")
    assert r.result.score_date == T0 + timedelta(days=8)
    r.result.validate(OneRosterVersion.V1P1)


def test_extra_credit_above_max_points_is_kept_as_is() -> None:
    (r,) = map_export(inputs((assignment(1, max_points=10.0),), (grade(1, 0, score=13.0),))).results
    assert r.result.score == 13.0


def test_only_returned_grades_leave_classroom_and_draft_grades_never_do() -> None:
    grades = (
        grade(1, 0, score=7.0, draft_grade=9.0),  # returned 7, then a draft 9: the 7 is exported
        grade(1, 1, state=SubmissionState.RECLAIMED_BY_STUDENT, score=6.0),  # unsubmitted after return
        grade(1, 2, state=SubmissionState.TURNED_IN, score=None, draft_grade=5.0),
        grade(1, 3, state=SubmissionState.RETURNED, score=None, draft_grade=4.0),
        grade(1, 4, state=SubmissionState.TURNED_IN, score=9.0),  # resubmitted after a return
        grade(1, 5, state=SubmissionState.CREATED, score=None),  # nothing yet: not even a skip
        grade(1, 6, state=SubmissionState.UNSPECIFIED, score=9.0),
    )
    mapped = map_export(inputs((assignment(1),), grades, n_students=7))
    assert {(r.user_id, r.result.score) for r in mapped.results} == {("u-0", 7.0), ("u-1", 6.0)}
    assert skips(mapped) == {
        ("cw-1", "u-2"): SkipReason.DRAFT_GRADE, ("cw-1", "u-3"): SkipReason.DRAFT_GRADE,
        ("cw-1", "u-4"): SkipReason.NOT_RETURNED, ("cw-1", "u-6"): SkipReason.NOT_RETURNED}
    li = mapped.line_items[0].line_item.sourced_id
    # the SIS keeps its last returned grade
    assert mapped.held == {result_sourced_id(li, "stu-4"), result_sourced_id(li, "stu-6")}


@pytest.mark.parametrize(("version", "expected"),
                         [(OneRosterVersion.V1P1, None), (OneRosterVersion.V1P2, True)])
def test_late_travels_on_one_point_two_only(version: OneRosterVersion, expected: bool | None) -> None:
    profile = vendor("oneroster_1p2") if version is OneRosterVersion.V1P2 else vendor()
    mapped = map_export(inputs((assignment(1, grade_category_name="Tests"),),
                               (grade(1, 0, late=True), grade(1, 1)), vendor=profile))
    late = {r.user_id: r.result.late for r in mapped.results}
    assert late["u-0"] is expected
    assert late["u-1"] is (False if version is OneRosterVersion.V1P2 else None)


def test_the_connection_version_overrides_the_vendor_default() -> None:
    mapped = map_export(inputs((assignment(1, grade_category_name="Tests"),), (grade(1, 0, late=True),),
                               vendor=vendor("skyward"), version=OneRosterVersion.V1P2))
    assert mapped.version is OneRosterVersion.V1P2 and mapped.results[0].result.late is True


def test_grades_of_unmatched_students_are_skipped_and_reported() -> None:
    base = inputs((assignment(1),), (grade(1, 0), grade(1, 1), grade(1, "u-ghost")))
    sis = (base.sis_students[0],)  # u-1 is not in the SIS class
    mapped = map_export(replace(base, sis_students=sis))
    assert [r.user_id for r in mapped.results] == ["u-0"]
    unmatched = {s.user_id: s for s in mapped.skipped if s.reason is SkipReason.UNMATCHED_STUDENT}
    assert set(unmatched) == {"u-1", "u-ghost"}
    assert "not_in_sis_class" in unmatched["u-1"].detail
    assert [u.id for u in mapped.roster.classroom_only if u.id.startswith("u-")][:2] == ["u-1", "u-2"]


def test_a_grade_for_an_unknown_assignment_is_reported() -> None:
    mapped = map_export(inputs((assignment(1),), (grade("cw-gone", 0),)))
    assert skips(mapped) == {("cw-gone", "u-0"): SkipReason.UNKNOWN_ASSIGNMENT}


def test_score_date_falls_back_to_the_assign_date() -> None:
    (r,) = map_export(inputs((assignment(1),), (grade(1, 0, updated=None),))).results
    assert r.result.score_date == T0 + timedelta(hours=1)


def test_repeated_records_count_once_but_conflicting_ones_are_refused() -> None:
    mapped = map_export(inputs((assignment(1), assignment(1)), (grade(1, 0), grade(1, 0))))
    assert len(mapped.line_items) == 1 and len(mapped.results) == 1
    with pytest.raises(ValueError, match="submission"):
        map_export(inputs((assignment(1),), (grade(1, 0, score=5.0), grade(1, 0, score=6.0))))
    with pytest.raises(ValueError, match="courseWork"):
        map_export(inputs((assignment(1), assignment(1, title="other"))))


def test_naive_datetimes_are_refused_at_the_boundary() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ClassroomAssignment(id="cw", title="t", created=datetime(2025, 9, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        ClassroomGrade(course_work_id="cw", user_id="u", state=SubmissionState.RETURNED,
                       updated=datetime(2025, 9, 1))


@pytest.mark.parametrize("profile", ["oneroster_1p1", "oneroster_1p2", "skyward", "aspen", "infinite_campus"])
def test_everything_mapped_is_valid_oneroster_for_its_version(profile: str) -> None:
    exp = gradebook(6, 5, vendor=vendor(profile, title_max_length=50, default_category_title="Assignments"))
    mapped = map_export(replace(exp, assignments=tuple(
        replace(w, title=w.title * 9, due=None if i % 2 else w.due, created=None if i == 2 else w.created)
        for i, w in enumerate(exp.assignments))))
    assert len(mapped.line_items) == 6 and len(mapped.results) == 30
    for m in mapped.line_items:
        m.line_item.validate(mapped.version)
        assert m.line_item.assign_date <= m.line_item.due_date  # type: ignore[operator]
        assert m.line_item.assign_date.tzinfo is UTC and m.line_item.due_date.tzinfo is UTC  # type: ignore[union-attr]
    for r in mapped.results:
        r.result.validate(mapped.version)
