"""Contract of the Classroom source port: `ClassroomApiSource` against the Classroom sandbox over
loopback HTTP, served at the root and mounted under /classroom (every `classroom_source` test runs
on both). The last sections test what only this adapter does (credentials, wire leniency) against
`httpx2.MockTransport` fakes of Google.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx2
import pytest
from sisbridge.adapters.classroom_api import (
    CLASSROOM_SCOPES,
    ClassroomApiSource,
    ClassroomRetry,
    DelegatedCredentials,
    is_google,
)
from sisbridge.errors import (
    ClassroomBadResponse,
    ClassroomForbidden,
    ClassroomNotFound,
    ClassroomUnavailable,
    InvalidConfiguration,
    InvalidRequest,
)
from sisbridge.ports.classroom import (
    ClassroomSource,
    CourseState,
    CourseWorkState,
    SubmissionState,
    WorkType,
)
from sisbridge.sandbox import seed
from sisbridge.sandbox.classroom import ClassroomState, Status

ALGEBRA, GEOMETRY, CS, BIOLOGY = (s.classroom_course_id for s in seed.SECTIONS)
ADA, ALAN = seed.TEACHERS[0], seed.TEACHERS[1]
ALGEBRA_STUDENTS = [seed.STUDENTS[n] for n in range(11)] + [seed.OUTSIDER]
# The seeded items of course n are 7000000000n01…06: hw, quiz, discussion, test, draft, bonus.
HW, QUIZ, DISCUSSION, TEST, DRAFT, BONUS = (f"7000000001{n:02d}" for n in range(1, 7))


def sub_of(subs: list[Any], work_id: str, student: seed.Person) -> Any:
    return next(s for s in subs if s.course_work_id == work_id and s.user_id == student.google_id)


# ---------------------------------------------------------------------------------- courses
def test_courses_for_a_teacher_by_email_in_any_case(classroom_source: ClassroomSource) -> None:
    courses = classroom_source.courses_for_teacher("ADA.Lovelace@District.Example")
    assert sorted(c.id for c in courses) == [ALGEBRA, GEOMETRY]
    algebra = next(c for c in courses if c.id == ALGEBRA)
    assert algebra.name == "Algebra I - Period 1" and algebra.section == "Period 1"
    assert algebra.owner_id == ADA.google_id and algebra.state is CourseState.ACTIVE
    assert [(g.name, g.weight, g.default_grade_denominator) for g in algebra.grade_categories] == [
        ("Homework", 0.3, None),
        ("Quizzes", 0.3, None),
        ("Tests", 0.4, None),
    ]
    assert [c.id for c in classroom_source.courses_for_teacher(ALAN.email)] == [CS]


def test_get_course_reads_total_points_categories(classroom_source: ClassroomSource) -> None:
    cs = classroom_source.get_course(CS)
    assert cs.id == CS and cs.name == "Computer Science - Period 2"
    assert [(g.name, g.weight, g.default_grade_denominator) for g in cs.grade_categories] == [
        ("Labs", None, 100),
        ("Projects", None, 100),
        ("Exams", None, 100),
    ]
    assert all(g.id for g in cs.grade_categories)


def test_unknown_course_is_not_found_everywhere(classroom_source: ClassroomSource) -> None:
    for read in (
        classroom_source.get_course,
        classroom_source.teachers,
        classroom_source.students,
        classroom_source.course_work,
        classroom_source.submissions,
        classroom_source.grading_periods,
    ):
        with pytest.raises(ClassroomNotFound) as caught:
            read("404404404404")
        assert caught.value.http_status == 404 and caught.value.google_status == "NOT_FOUND"
        assert caught.value.to_dict()["classroom"]["status"] == "NOT_FOUND"


def test_arguments_are_checked_before_any_request(classroom_source: ClassroomSource) -> None:
    with pytest.raises(InvalidRequest):
        classroom_source.get_course("  ")
    with pytest.raises(InvalidRequest):
        classroom_source.courses_for_teacher("not-an-email")
    with pytest.raises(InvalidRequest):
        classroom_source.is_teacher(ALGEBRA, "")


# ---------------------------------------------------------------------------------- rosters
def test_rosters_read_emails_lower_cased_with_names(classroom_source: ClassroomSource) -> None:
    teachers = classroom_source.teachers(ALGEBRA)
    assert [(t.user_id, t.email, t.full_name) for t in teachers] == [
        (ADA.google_id, ADA.email, "Ada Lovelace")
    ]
    students = classroom_source.students(ALGEBRA)
    assert [s.user_id for s in students] == [p.google_id for p in ALGEBRA_STUDENTS]
    assert [s.email for s in students] == [p.google_email.lower() for p in ALGEBRA_STUDENTS]
    outsider = students[-1]  # joined with a personal account: no SIS record has this email
    assert (outsider.email, outsider.given_name, outsider.family_name) == (
        "riley.stone@gmail.example",
        "Riley",
        "Stone",
    )


def test_roster_emails_stored_in_mixed_case_come_back_lower_cased(
    classroom_source: ClassroomSource, classroom_sandbox: tuple[str, ClassroomState]
) -> None:
    made = classroom_sandbox[1].make_course(
        teacher_email="Mixed.Case@District.Example", assignments=1, students=2
    )
    [teacher] = classroom_source.teachers(made.course.id)
    assert teacher.email == "mixed.case@district.example"
    assert classroom_source.is_teacher(made.course.id, "MIXED.case@district.example")
    assert [s.email for s in classroom_source.students(made.course.id)] == [
        s.email.lower() for s in made.students
    ]


def test_is_teacher(classroom_source: ClassroomSource) -> None:
    assert classroom_source.is_teacher(ALGEBRA, ADA.email)
    assert classroom_source.is_teacher(ALGEBRA, ADA.email.upper())
    assert not classroom_source.is_teacher(ALGEBRA, ALAN.email)
    assert not classroom_source.is_teacher(ALGEBRA, seed.STUDENTS[0].email)  # a student, not a teacher
    assert not classroom_source.is_teacher(ALGEBRA, "nobody@district.example")
    assert not classroom_source.is_teacher("404404404404", ADA.email)


# ------------------------------------------------------------------------------- courseWork
def test_course_work_is_published_only_with_due_categories_and_periods(
    classroom_source: ClassroomSource,
) -> None:
    works = {w.id: w for w in classroom_source.course_work(ALGEBRA)}
    assert sorted(works) == [HW, QUIZ, DISCUSSION, TEST, BONUS]  # the DRAFT is left out
    assert all(w.state is CourseWorkState.PUBLISHED and w.course_id == ALGEBRA for w in works.values())
    assert all(w.work_type is WorkType.ASSIGNMENT for w in works.values())

    hw = works[HW]
    assert hw.title == "Algebra I Homework 1" and hw.max_points == 10.0
    # Due 23:59 New York on Aug 31 = 04:59 UTC on Sep 1, stored by Classroom as that UTC date + time.
    assert hw.due == datetime(2026, 9, 1, 4, 59, tzinfo=UTC)
    assert (hw.grade_category_id, hw.grade_category_name) == ("800000000100", "Homework")
    assert hw.grading_period_id == "gp1"
    assert hw.created == datetime(2026, 8, 24, 14, 5, tzinfo=UTC)
    assert hw.updated == datetime(2026, 8, 24, 14, 35, tzinfo=UTC)

    assert works[QUIZ].due is None and works[QUIZ].grade_category_name == "Quizzes"
    assert works[DISCUSSION].max_points is None  # ungraded: Classroom omits maxPoints
    assert works[DISCUSSION].grade_category_id is None
    test = works[TEST]
    assert len(test.title) > 60 and test.title.startswith("Unit 1 Test: Algebra I")
    assert test.due == datetime(2026, 10, 29, 15, 0, tzinfo=UTC) and test.grading_period_id == "gp2"
    assert works[TEST].description and works[BONUS].description is None
    assert works[BONUS].grade_category_id is None and works[BONUS].grading_period_id is None


def test_due_date_without_time_is_due_at_the_end_of_that_day(
    classroom_source: ClassroomSource, classroom_sandbox: tuple[str, ClassroomState]
) -> None:
    state = classroom_sandbox[1]
    added = state.add_course_work(
        GEOMETRY,
        {
            "title": "Essay",
            "maxPoints": 20,
            "dueDate": {"year": 2026, "month": 12, "day": 4},
            "dueTime": {"hours": 12},
            "gradeCategory": {"id": "800000000202"},
        },
    )
    state.update_course_work(GEOMETRY, added.id, {"dueTime": None})
    essay = next(w for w in classroom_source.course_work(GEOMETRY) if w.id == added.id)
    assert essay.due == datetime(2026, 12, 4, 23, 59, tzinfo=UTC)
    assert (essay.max_points, essay.grade_category_name) == (20.0, "Tests")


def test_deleted_and_draft_course_work_and_their_submissions_are_gone(
    classroom_source: ClassroomSource, classroom_sandbox: tuple[str, ClassroomState]
) -> None:
    classroom_sandbox[1].delete_course_work(ALGEBRA, QUIZ)
    assert QUIZ not in {w.id for w in classroom_source.course_work(ALGEBRA)}
    work_ids = {s.course_work_id for s in classroom_source.submissions(ALGEBRA)}
    assert work_ids == {HW, DISCUSSION, TEST, BONUS}


# ------------------------------------------------------------------------------ submissions
def test_submissions_cover_every_course_work_and_student(classroom_source: ClassroomSource) -> None:
    subs = classroom_source.submissions(ALGEBRA)
    assert len(subs) == 5 * len(ALGEBRA_STUDENTS)  # every published item, every student
    assert len({s.id for s in subs}) == len(subs)
    assert all(s.course_id == ALGEBRA for s in subs)
    assert Counter(s.course_work_id for s in subs) == {w: 12 for w in (HW, QUIZ, DISCUSSION, TEST, BONUS)}


def test_submission_states_grades_and_late(classroom_source: ClassroomSource) -> None:
    subs = classroom_source.submissions(ALGEBRA)
    s = seed.STUDENTS
    late = sub_of(subs, HW, s[0])
    assert late.state is SubmissionState.RETURNED and late.late is True
    assert late.assigned_grade is not None and late.assigned_grade == late.draft_grade

    draft_only = sub_of(subs, HW, s[1])
    assert draft_only.state is SubmissionState.TURNED_IN
    assert draft_only.draft_grade is not None and draft_only.assigned_grade is None

    new = sub_of(subs, HW, s[2])
    assert (new.state, new.draft_grade, new.assigned_grade, new.late, new.updated) == (
        SubmissionState.NEW,
        None,
        None,
        False,
        None,
    )
    assert sub_of(subs, HW, s[3]).state is SubmissionState.CREATED
    assigned_only = sub_of(subs, HW, s[4])
    assert assigned_only.assigned_grade is not None and assigned_only.draft_grade is None

    zero = sub_of(subs, QUIZ, s[1])
    assert zero.assigned_grade == 0.0 and zero.state is SubmissionState.RETURNED  # 0 is a grade
    reclaimed = sub_of(subs, QUIZ, s[2])
    assert reclaimed.state is SubmissionState.RECLAIMED_BY_STUDENT and reclaimed.assigned_grade is not None
    regrade = sub_of(subs, QUIZ, s[3])
    assert regrade.draft_grade is not None and regrade.draft_grade != regrade.assigned_grade
    extra = sub_of(subs, TEST, s[0])
    assert extra.assigned_grade is not None and extra.assigned_grade > 100  # extra credit kept
    assert all(
        x.draft_grade is None and x.assigned_grade is None for x in subs if x.course_work_id == DISCUSSION
    )
    assert all(x.updated is None or x.updated.tzinfo is UTC for x in subs)


def test_grades_set_in_classroom_are_read_back(
    classroom_source: ClassroomSource, classroom_sandbox: tuple[str, ClassroomState]
) -> None:
    state, student = classroom_sandbox[1], seed.STUDENTS[5]
    state.set_grade(ALGEBRA, BONUS, student.google_id, draft_grade=4.5, assigned_grade=3, late=True)
    sub = sub_of(classroom_source.submissions(ALGEBRA), BONUS, student)
    assert (sub.draft_grade, sub.assigned_grade, sub.late) == (4.5, 3.0, True)
    state.set_grade(ALGEBRA, BONUS, student.google_id, draft_grade=None, assigned_grade=None, late=False)
    sub = sub_of(classroom_source.submissions(ALGEBRA), BONUS, student)
    assert (sub.draft_grade, sub.assigned_grade, sub.late) == (None, None, False)


def test_submissions_of_a_large_course_are_read_across_pages(
    classroom_source: ClassroomSource, classroom_sandbox: tuple[str, ClassroomState]
) -> None:
    made = classroom_sandbox[1].make_course(teacher_email="bench.teacher@district.example")
    subs = classroom_source.submissions(made.course.id)
    assert len(subs) == 40 * 35 == 1400  # 14 pages of 100
    assert len({s.id for s in subs}) == 1400
    assert Counter(s.course_work_id for s in subs) == {w: 35 for w in made.course_work_ids}
    assert all(s.state is SubmissionState.RETURNED and s.assigned_grade == s.draft_grade for s in subs)
    assert all(50 <= (s.assigned_grade or 0) <= 100 for s in subs)
    assert len(classroom_source.course_work(made.course.id)) == 40


def test_small_pages_give_the_same_lists(classroom_sandbox: tuple[str, ClassroomState]) -> None:
    url = classroom_sandbox[0]
    with ClassroomApiSource(url, page_size=7) as small, ClassroomApiSource(url) as large:
        assert small.submissions(CS) == large.submissions(CS)
        assert len(small.submissions(CS)) == 5 * 20
        assert small.students(CS) == large.students(CS) and len(small.students(CS)) == 20
        assert small.course_work(CS) == large.course_work(CS)


def test_grading_periods(classroom_source: ClassroomSource) -> None:
    periods = classroom_source.grading_periods(ALGEBRA)
    assert [(p.id, p.title, p.start, p.end) for p in periods] == [
        ("gp1", "Quarter 1", date(2026, 8, 17), date(2026, 10, 16)),
        ("gp2", "Quarter 2", date(2026, 10, 19), date(2027, 1, 15)),
    ]
    assert [p.title for p in classroom_source.grading_periods(BIOLOGY)] == ["Quarter 3", "Quarter 4"]


# ----------------------------------------------------------------------------------- errors
def test_rate_limiting_is_retried_then_succeeds(
    classroom_source: ClassroomSource,
    classroom_sandbox: tuple[str, ClassroomState],
    classroom_waits: list[float],
) -> None:
    classroom_sandbox[1].inject_fault(Status.RESOURCE_EXHAUSTED, times=2, path="/studentSubmissions")
    assert len(classroom_source.submissions(ALGEBRA)) == 60
    assert len(classroom_waits) == 2 and all(0 <= w <= 0.05 for w in classroom_waits)


def test_persistent_unavailability_gives_up_after_bounded_attempts(
    classroom_source: ClassroomSource,
    classroom_sandbox: tuple[str, ClassroomState],
    classroom_waits: list[float],
) -> None:
    state = classroom_sandbox[1]
    state.inject_fault(Status.UNAVAILABLE, times=10, path=f"/courses/{ALGEBRA}")
    with pytest.raises(ClassroomUnavailable) as caught:
        classroom_source.get_course(ALGEBRA)
    assert caught.value.retryable and caught.value.details["attempts"] == 4
    assert caught.value.http_status == 503 and caught.value.google_status == "UNAVAILABLE"
    assert len(classroom_waits) == 3
    state.faults.clear()
    assert classroom_source.get_course(ALGEBRA).id == ALGEBRA


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (Status.PERMISSION_DENIED, ClassroomForbidden),
        (Status.UNAUTHENTICATED, ClassroomForbidden),
        (Status.INVALID_ARGUMENT, ClassroomBadResponse),
        (Status.NOT_FOUND, ClassroomNotFound),
    ],
)
def test_client_errors_are_not_retried(
    classroom_source: ClassroomSource,
    classroom_sandbox: tuple[str, ClassroomState],
    classroom_waits: list[float],
    status: Status,
    error: type[Exception],
) -> None:
    classroom_sandbox[1].inject_fault(status, times=1, path="/teachers", message="Nope.")
    with pytest.raises(error) as caught:
        classroom_source.teachers(ALGEBRA)
    assert caught.value.details["attempts"] == 1 and not caught.value.retryable  # type: ignore[attr-defined]
    assert caught.value.google_message == "Nope." and classroom_waits == []  # type: ignore[attr-defined]
    assert len(classroom_source.teachers(ALGEBRA)) == 1


def test_internal_errors_are_retried(
    classroom_source: ClassroomSource,
    classroom_sandbox: tuple[str, ClassroomState],
    classroom_waits: list[float],
) -> None:
    classroom_sandbox[1].inject_fault(Status.INTERNAL, times=1, path="/gradingPeriodSettings")
    assert len(classroom_source.grading_periods(ALGEBRA)) == 2 and len(classroom_waits) == 1


def test_an_unreachable_classroom_is_unavailable() -> None:
    import socket

    with socket.socket() as sock:  # a port that refuses connections
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waits: list[float] = []
    with ClassroomApiSource(
        f"http://127.0.0.1:{port}", retry=ClassroomRetry(max_attempts=2), sleep=waits.append
    ) as source:
        with pytest.raises(ClassroomUnavailable) as caught:
            source.get_course(ALGEBRA)
    assert caught.value.details["attempts"] == 2 and len(waits) == 1


# ------------------------------------------------------------- adapter only: Google and the wire
Handler = Callable[[httpx2.Request], httpx2.Response]


def fake_google(routes: dict[str, Any], seen: list[httpx2.Request] | None = None) -> httpx2.MockTransport:
    """Answers GETs by path from `routes` (a JSON body, or an httpx2.Response); 404 otherwise."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        if seen is not None:
            seen.append(request)
        answer = routes.get(request.url.path)
        if isinstance(answer, httpx2.Response):
            return answer
        if answer is None:
            body = {
                "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
            }
            return httpx2.Response(404, json=body)
        return httpx2.Response(200, json=answer)

    return httpx2.MockTransport(handle)


COURSE = {"id": 1234, "name": "Odd", "courseState": "SOMETHING_NEW"}


def test_no_google_credentials_are_sent_anywhere_but_google() -> None:
    asked: list[str] = []
    seen: list[httpx2.Request] = []

    def factory(email: str) -> str:
        asked.append(email)
        return "ya29.secret"

    transport = fake_google({"/classroom/v1/courses/1234": COURSE}, seen)
    with ClassroomApiSource(
        "http://127.0.0.1:8700/classroom", credentials_factory=factory, transport=transport
    ) as source:
        assert source.get_course("1234").id == "1234"
        assert source.as_user(ADA.email).get_course("1234").id == "1234"
    assert asked == [] and all("authorization" not in r.headers for r in seen)
    assert not is_google("http://classroom.googleapis.com") and not is_google("https://classroom.example")
    assert not is_google("https://googleapis.com.evil.example")


def test_on_google_each_request_carries_the_acting_users_token() -> None:
    asked: list[str] = []
    seen: list[httpx2.Request] = []

    def factory(email: str) -> str:
        asked.append(email)
        return f"token-for-{email}"

    routes = {"/v1/courses": {"courses": [COURSE]}, "/v1/courses/1234": COURSE}
    with ClassroomApiSource(
        "https://classroom.googleapis.com", credentials_factory=factory, transport=fake_google(routes, seen)
    ) as source:
        assert [c.id for c in source.courses_for_teacher("Ada.Lovelace@District.Example")] == ["1234"]
        assert source.as_user(ALAN.email).get_course("1234").state is CourseState.UNSPECIFIED
        with pytest.raises(RuntimeError, match="as_user"):
            source.get_course("1234")  # on Google a read needs a user to act as
    assert asked == [ADA.email, ALAN.email]
    assert [r.headers["authorization"] for r in seen] == [
        f"Bearer token-for-{ADA.email}",
        f"Bearer token-for-{ALAN.email}",
    ]
    assert seen[0].url.params["teacherId"] == ADA.email and seen[0].url.params["pageSize"] == "100"


def test_google_without_credentials_is_a_configuration_error() -> None:
    with pytest.raises(InvalidConfiguration):
        ClassroomApiSource("https://classroom.googleapis.com")


def test_lenient_parsing_of_sparse_and_odd_payloads() -> None:
    works = {
        "courseWork": [
            {"id": 1, "state": "PUBLISHED", "maxPoints": 0, "dueDate": {"year": 2027, "month": 2, "day": 30}},
            {
                "id": "2",
                "state": "PUBLISHED",
                "workType": "NEW_KIND",
                "maxPoints": "12.5",
                "creationTime": "2026-09-01T10:00:00.123456789Z",
                "dueDate": {"year": 2027, "month": 3, "day": 1},
                "dueTime": {"hours": 7, "minutes": 30},
            },
            {"id": "3", "state": "DRAFT"},
        ]
    }
    subs = {
        "studentSubmissions": [
            {"id": "s1", "courseWorkId": "2", "userId": "u1", "assignedGrade": 7, "draftGrade": "8.5"},
            {"id": "s2", "courseWorkId": "2", "userId": "u2", "state": "WHATEVER", "late": "yes"},
        ]
    }
    members = {"students": [{"userId": "u1"}, {"profile": {"id": "u2", "emailAddress": "X@Y.Z", "name": {}}}]}
    routes = {
        "/v1/courses/c/courseWork": works,
        "/v1/courses/c/courseWork/-/studentSubmissions": subs,
        "/v1/courses/c/students": members,
        "/v1/courses/c/gradingPeriodSettings": {},
        "/v1/courses/c": {"id": "c", "gradebookSettings": {"gradeCategories": [{"name": "no id"}]}},
    }
    with ClassroomApiSource("http://sandbox.test", transport=fake_google(routes)) as source:
        first, second = source.course_work("c")  # the DRAFT is dropped even if the server sends it
        assert (first.id, first.max_points, first.due, first.title) == ("1", None, None, "")
        assert second.max_points == 12.5 and second.work_type is WorkType.UNSPECIFIED
        assert second.created == datetime(2026, 9, 1, 10, 0, 0, 123456, tzinfo=UTC)
        assert second.due == datetime(2027, 3, 1, 7, 30, tzinfo=UTC)
        s1, s2 = source.submissions("c")
        assert (s1.assigned_grade, s1.draft_grade, s1.course_id, s1.state) == (
            7.0,
            8.5,
            "c",
            SubmissionState.UNSPECIFIED,
        )
        assert s2.late is False and s2.state is SubmissionState.UNSPECIFIED
        u1, u2 = source.students("c")
        assert (u1.user_id, u1.email, u1.full_name) == ("u1", None, None)
        assert (u2.user_id, u2.email) == ("u2", "x@y.z")
        assert source.grading_periods("c") == []
        assert source.get_course("c").grade_categories == () and source.get_course("c").name == ""


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx2.Response(200, text="<html>login</html>"), ClassroomBadResponse),
        (httpx2.Response(200, json=["not", "an", "object"]), ClassroomBadResponse),
        (httpx2.Response(200, json={"studentSubmissions": {"id": "x"}}), ClassroomBadResponse),
        (
            httpx2.Response(200, json={"studentSubmissions": [{"id": "s", "userId": "u"}]}),
            ClassroomBadResponse,
        ),
        (
            httpx2.Response(
                200,
                json={
                    "studentSubmissions": [
                        {"id": "s", "courseWorkId": "w", "userId": "u", "assignedGrade": "A+"}
                    ]
                },
            ),
            ClassroomBadResponse,
        ),
        (
            httpx2.Response(
                200,
                json={
                    "studentSubmissions": [
                        {"id": "s", "courseWorkId": "w", "userId": "u", "draftGrade": True}
                    ]
                },
            ),
            ClassroomBadResponse,
        ),
        (httpx2.Response(502, text="<html>Bad Gateway</html>"), ClassroomUnavailable),
        (httpx2.Response(409, json={"error": {"code": 409, "status": "ABORTED"}}), ClassroomBadResponse),
    ],
)
def test_unreadable_answers_are_classroom_errors(answer: httpx2.Response, error: type[Exception]) -> None:
    routes = {"/v1/courses/c/courseWork/-/studentSubmissions": answer}
    retry = ClassroomRetry(max_attempts=2, base_delay_s=0)
    with ClassroomApiSource("http://sandbox.test", transport=fake_google(routes), retry=retry) as source:
        with pytest.raises(error):
            source.submissions("c")


def test_a_page_token_that_repeats_is_a_bad_response() -> None:
    page = {"studentSubmissions": [{"id": "s", "courseWorkId": "w", "userId": "u"}], "nextPageToken": "same"}
    routes = {"/v1/courses/c/courseWork/-/studentSubmissions": page}
    with ClassroomApiSource("http://sandbox.test", transport=fake_google(routes)) as source:
        with pytest.raises(ClassroomBadResponse, match="paging"):
            source.submissions("c")


def test_retry_after_is_honoured_for_rate_limits() -> None:
    calls: list[int] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        if len(calls) == 1:
            body = {"error": {"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}}
            return httpx2.Response(429, json=body, headers={"Retry-After": "7"})
        return httpx2.Response(200, json=COURSE)

    waits: list[float] = []
    with ClassroomApiSource(
        "http://sandbox.test", transport=httpx2.MockTransport(handle), sleep=waits.append
    ) as source:
        assert source.get_course("1234").id == "1234"
    assert waits == [7.0]


# --------------------------------------------------------------------- delegated credentials
def service_account_info() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "demo-sisbridge",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "exporter@demo-sisbridge.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def test_delegated_credentials_with_a_key_act_as_the_teacher_read_only() -> None:
    from google.auth import jwt

    tokens = DelegatedCredentials(service_account_info=service_account_info())
    credentials = tokens.credentials_for("Ada.Lovelace@District.Example")
    assert credentials is tokens.credentials_for("ada.lovelace@district.example")  # cached per user
    assert tuple(credentials.scopes) == CLASSROOM_SCOPES and not credentials.valid
    assert all(s.endswith((".readonly", ".profile.emails")) for s in CLASSROOM_SCOPES)
    claims = jwt.decode(credentials._make_authorization_grant_assertion(), verify=False)  # no network
    assert claims["sub"] == ADA.email
    assert claims["iss"] == "exporter@demo-sisbridge.iam.gserviceaccount.com"
    assert set(claims["scope"].split()) == set(CLASSROOM_SCOPES)


def test_delegated_credentials_without_a_key_sign_through_iam() -> None:
    from google.auth import impersonated_credentials
    from google.auth.credentials import AnonymousCredentials

    tokens = DelegatedCredentials(
        service_account_email="exporter@demo-sisbridge.iam.gserviceaccount.com",
        source_credentials=AnonymousCredentials(),
    )
    credentials = tokens.credentials_for(ADA.email)
    assert isinstance(credentials, impersonated_credentials.Credentials)
    assert credentials.service_account_email == "exporter@demo-sisbridge.iam.gserviceaccount.com"
    assert credentials._subject == ADA.email and tuple(credentials._target_scopes) == CLASSROOM_SCOPES
    with pytest.raises(InvalidConfiguration):
        DelegatedCredentials()


def test_error_bodies_are_read_as_json_too() -> None:
    body = json.dumps(
        {
            "error": {
                "code": 403,
                "message": "The caller does not have permission",
                "status": "PERMISSION_DENIED",
            }
        }
    )
    routes = {"/v1/courses/c": httpx2.Response(403, text=body, headers={"Content-Type": "text/plain"})}
    with ClassroomApiSource("http://sandbox.test", transport=fake_google(routes)) as source:
        with pytest.raises(ClassroomForbidden) as caught:
            source.get_course("c")
    assert caught.value.google_status == "PERMISSION_DENIED" and "permission" in caught.value.message
    assert caught.value.hint and "delegation" in caught.value.hint


def test_emails_in_paths_are_masked_in_errors(
    classroom_source: ClassroomSource, classroom_sandbox: tuple[str, ClassroomState]
) -> None:
    classroom_sandbox[1].inject_fault(Status.PERMISSION_DENIED, times=1, path="/teachers/")
    student = seed.STUDENTS[0].email
    with pytest.raises(ClassroomForbidden) as caught:
        classroom_source.is_teacher(ALGEBRA, student)  # a 403 is not a "no": it is raised
    assert student not in caught.value.message and "<email>" in caught.value.message
    assert caught.value.details["path"] == f"/v1/courses/{ALGEBRA}/teachers/<email>"
