"""The Classroom sandbox over loopback HTTP with raw httpx2, served at / and mounted under /classroom.

Every test that uses `classroom_http` runs twice (root and mounted) against a freshly reset district.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx2

from sisbridge.sandbox import seed
from sisbridge.sandbox.classroom import ClassroomConfig, ClassroomState, CourseWorkState, create_app

ALGEBRA, GEOMETRY, CS, BIOLOGY = (s.classroom_course_id for s in seed.SECTIONS)
ADA = seed.TEACHERS[0]
CASE_VARIANT = seed.STUDENTS[6]  # SIS: "Sofia.haddad7@…", Classroom: "sofia.haddad7@…"
NOT_FOUND = {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}


def get(http: httpx2.Client, path: str, **params: Any) -> dict[str, Any]:
    r = http.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    return body


def collect(http: httpx2.Client, path: str, key: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a paged list, and the number of pages it took."""
    items: list[dict[str, Any]] = []
    pages, token = 0, None
    while True:
        body = get(http, path, **params, **({"pageToken": token} if token else {}))
        items += body.get(key, [])
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            return items, pages


def work_by_title(http: httpx2.Client, course: str, start: str) -> dict[str, Any]:
    items, _ = collect(http, f"/v1/courses/{course}/courseWork", "courseWork")
    return next(w for w in items if w["title"].startswith(start))


def expect_error(r: httpx2.Response, code: int, status: str) -> dict[str, Any]:
    assert r.status_code == code, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == code and error["status"] == status and error["message"]
    assert set(error) == {"code", "message", "status"}
    return error


# ---------------------------------------------------------------------- courses and rosters
def test_courses_filtered_by_teacher_email_or_id(classroom_http: httpx2.Client) -> None:
    by_email = get(classroom_http, "/v1/courses", teacherId=ADA.email)["courses"]
    assert [c["id"] for c in by_email] == [GEOMETRY, ALGEBRA]  # newest first, as Classroom orders them
    assert get(classroom_http, "/v1/courses", teacherId=ADA.email.upper())["courses"] == by_email
    assert (
        get(classroom_http, "/v1/courses", teacherId=ADA.google_id, courseStates="ACTIVE")["courses"]
        == by_email
    )
    assert len(get(classroom_http, "/v1/courses")["courses"]) == len(seed.SECTIONS)
    outsider = get(classroom_http, "/v1/courses", studentId=seed.OUTSIDER.google_email)["courses"]
    assert [c["id"] for c in outsider] == [ALGEBRA]

    r = classroom_http.get("/v1/courses", params={"teacherId": "nobody@district.example"})
    assert r.status_code == 404 and r.json() == NOT_FOUND
    both = classroom_http.get("/v1/courses", params={"teacherId": ADA.email, "studentId": CASE_VARIANT.email})
    expect_error(both, 400, "INVALID_ARGUMENT")
    expect_error(classroom_http.get("/v1/courses", params={"courseStates": "OPEN"}), 400, "INVALID_ARGUMENT")


def test_course_resource_and_gradebook_settings(classroom_http: httpx2.Client) -> None:
    course = get(
        classroom_http,
        f"/v1/courses/{ALGEBRA}",
    )
    assert course["name"] == seed.SECTIONS[0].title and course["ownerId"] == ADA.google_id
    assert course["courseState"] == "ACTIVE" and course["alternateLink"].startswith(
        "https://classroom.google.com/c/"
    )
    settings = course["gradebookSettings"]
    assert settings["calculationType"] == "WEIGHTED_CATEGORIES"
    assert [c["name"] for c in settings["gradeCategories"]] == list(seed.SECTIONS[0].categories)
    assert sum(c["weight"] for c in settings["gradeCategories"]) == 1_000_000
    cs = get(classroom_http, f"/v1/courses/{CS}")["gradebookSettings"]
    assert cs["calculationType"] == "TOTAL_POINTS"
    assert [(c["name"], c["defaultGradeDenominator"], "weight" in c) for c in cs["gradeCategories"]] == [
        (name, 100, False) for name in seed.SECTIONS[2].categories
    ]


def test_rosters_carry_classroom_emails(classroom_http: httpx2.Client) -> None:
    teachers = get(classroom_http, f"/v1/courses/{ALGEBRA}/teachers")["teachers"]
    assert teachers == [
        {
            "courseId": ALGEBRA,
            "userId": ADA.google_id,
            "profile": {
                "id": ADA.google_id,
                "name": {"givenName": "Ada", "familyName": "Lovelace", "fullName": "Ada Lovelace"},
                "emailAddress": ADA.email,
            },
        }
    ]
    students, pages = collect(classroom_http, f"/v1/courses/{ALGEBRA}/students", "students", pageSize=5)
    assert pages == 3
    emails = [s["profile"]["emailAddress"] for s in students]
    expected = [seed.person(p).google_email for p in seed.SECTIONS[0].classroom_students]
    assert emails == expected and len(set(emails)) == 12
    assert CASE_VARIANT.google_email in emails and CASE_VARIANT.email not in emails  # lower case on Classroom
    assert emails[-1] == seed.OUTSIDER.google_email  # the personal account with no SIS record
    assert all(s["courseId"] == ALGEBRA and s["userId"] == s["profile"]["id"] for s in students)
    one = get(classroom_http, f"/v1/courses/{ALGEBRA}/students/{CASE_VARIANT.email}")  # any letter case
    assert one["userId"] == CASE_VARIANT.google_id
    r = classroom_http.get(f"/v1/courses/{ALGEBRA}/students/{seed.STUDENTS[20].google_id}")
    assert r.status_code == 404 and r.json() == NOT_FOUND


def test_user_profiles_by_id_or_email(classroom_http: httpx2.Client) -> None:
    by_id = get(classroom_http, f"/v1/userProfiles/{CASE_VARIANT.google_id}")
    assert by_id == get(classroom_http, f"/v1/userProfiles/{CASE_VARIANT.email}")
    assert by_id["emailAddress"] == CASE_VARIANT.google_email and by_id["name"]["familyName"] == "Haddad"
    assert classroom_http.get("/v1/userProfiles/ghost@district.example").json() == NOT_FOUND


# ---------------------------------------------------------------------- courseWork
def test_course_work_defaults_to_published_and_filters_states(classroom_http: httpx2.Client) -> None:
    path = f"/v1/courses/{ALGEBRA}/courseWork"
    published = get(classroom_http, path)["courseWork"]
    assert len(published) == 5 and {w["state"] for w in published} == {"PUBLISHED"}
    drafts = get(classroom_http, path, courseWorkStates="DRAFT")["courseWork"]
    assert [w["state"] for w in drafts] == ["DRAFT"]
    both = get(classroom_http, path, courseWorkStates=["PUBLISHED", "DRAFT"])["courseWork"]
    assert len(both) == 6
    assert (
        get(classroom_http, path, courseWorkStates="DELETED") == {}
    )  # empty lists are omitted, as Google does
    expect_error(
        classroom_http.get(path, params={"courseWorkStates": "PUBLISHED,DRAFT"}), 400, "INVALID_ARGUMENT"
    )

    updated = [w["updateTime"] for w in published]
    assert updated == sorted(updated, reverse=True)  # default orderBy updateTime desc
    by_due = get(classroom_http, path, orderBy="dueDate asc")["courseWork"]
    dues = [
        (w["dueDate"]["year"], w["dueDate"]["month"], w["dueDate"]["day"]) for w in by_due if "dueDate" in w
    ]
    assert dues == sorted(dues) and "dueDate" not in by_due[-1]
    expect_error(classroom_http.get(path, params={"orderBy": "title"}), 400, "INVALID_ARGUMENT")


def test_seeded_course_work_covers_the_exporter_cases(classroom_http: httpx2.Client) -> None:
    course = get(classroom_http, f"/v1/courses/{ALGEBRA}")
    categories = {c["id"]: c for c in course["gradebookSettings"]["gradeCategories"]}
    items = get(classroom_http, f"/v1/courses/{ALGEBRA}/courseWork", courseWorkStates=["PUBLISHED", "DRAFT"])
    works = items["courseWork"]
    full = next(w for w in works if "Homework" in w["title"])
    assert full["maxPoints"] == 10 and full["dueDate"] == {"year": 2026, "month": 9, "day": 1}
    assert full["dueTime"] == {"hours": 4, "minutes": 59} and full["workType"] == "ASSIGNMENT"
    assert (
        full["gradeCategory"] == categories[full["gradeCategory"]["id"]] and full["gradingPeriodId"] == "gp1"
    )
    assert {"id", "courseId", "title", "state", "creationTime", "updateTime", "alternateLink"} <= set(full)
    assert "scheduledTime" not in full
    assert any("dueDate" not in w and "dueTime" not in w and "maxPoints" in w for w in works)
    assert any("maxPoints" not in w for w in works)  # ungraded
    assert any(len(w["title"]) > 60 and w["dueTime"] == {"hours": 15} for w in works)  # zero minutes omitted
    assert any("gradeCategory" not in w and "maxPoints" in w for w in works)
    assert any("gradingPeriodId" not in w for w in works)
    one = get(classroom_http, f"/v1/courses/{ALGEBRA}/courseWork/{full['id']}")
    assert one == full


# ---------------------------------------------------------------------- submissions
def test_submissions_per_course_work_with_filters(classroom_http: httpx2.Client) -> None:
    hw = work_by_title(classroom_http, ALGEBRA, "Algebra I Homework")
    path = f"/v1/courses/{ALGEBRA}/courseWork/{hw['id']}/studentSubmissions"
    subs, _ = collect(classroom_http, path, "studentSubmissions")
    assert len(subs) == 12 and {s["courseWorkId"] for s in subs} == {hw["id"]}
    assert {s["courseWorkType"] for s in subs} == {"ASSIGNMENT"}
    states = {s["state"] for s in subs}
    assert {"RETURNED", "TURNED_IN", "NEW", "CREATED"} <= states
    for s in subs:
        if s["state"] == "NEW":
            assert "creationTime" not in s and "draftGrade" not in s and "assignedGrade" not in s
        if s["state"] == "TURNED_IN":
            assert "assignedGrade" not in s  # only a draft: never exported
        if s["state"] == "CREATED":
            assert "draftGrade" not in s and "assignedGrade" not in s and "late" not in s
    assert any(s["state"] == "TURNED_IN" and "draftGrade" in s for s in subs)
    assert any(s["state"] == "RETURNED" and "assignedGrade" in s and "draftGrade" not in s for s in subs)

    returned = get(classroom_http, path, states="RETURNED")["studentSubmissions"]
    assert returned and {s["state"] for s in returned} == {"RETURNED"}
    late = get(classroom_http, path, late="LATE_ONLY")["studentSubmissions"]
    assert late and all(s["late"] is True for s in late)
    on_time = get(classroom_http, path, late="NOT_LATE_ONLY")["studentSubmissions"]
    assert len(late) + len(on_time) == 12 and not any("late" in s for s in on_time)
    mine = get(classroom_http, path, userId=CASE_VARIANT.email.upper())["studentSubmissions"]
    assert [s["userId"] for s in mine] == [CASE_VARIANT.google_id]
    outsider = get(classroom_http, path, userId=seed.OUTSIDER.google_id)["studentSubmissions"]
    assert len(outsider) == 1
    single = get(classroom_http, f"{path}/{mine[0]['id']}")
    assert single == mine[0]
    expect_error(classroom_http.get(path, params={"late": "SOMETIMES"}), 400, "INVALID_ARGUMENT")
    expect_error(classroom_http.get(path, params={"states": "GRADED"}), 400, "INVALID_ARGUMENT")


def test_seeded_grades_cover_extra_credit_zero_reclaimed_and_regrade(classroom_http: httpx2.Client) -> None:
    works = {w["id"]: w for w in get(classroom_http, f"/v1/courses/{GEOMETRY}/courseWork")["courseWork"]}
    subs, _ = collect(
        classroom_http, f"/v1/courses/{GEOMETRY}/courseWork/-/studentSubmissions", "studentSubmissions"
    )
    graded = [s for s in subs if "assignedGrade" in s]
    assert any(s["assignedGrade"] > works[s["courseWorkId"]]["maxPoints"] for s in graded)  # extra credit
    assert any(s["assignedGrade"] == 0 for s in graded)
    assert any(s["state"] == "RECLAIMED_BY_STUDENT" for s in graded)
    assert any(
        s["state"] == "RETURNED" and s.get("draftGrade") not in (None, s["assignedGrade"]) for s in graded
    )
    assert any(isinstance(s["assignedGrade"], float) for s in graded)  # half points happen
    assert not any(
        "assignedGrade" in s or "draftGrade" in s for s in subs if "maxPoints" not in works[s["courseWorkId"]]
    )
    history = next(s for s in graded if s["state"] == "RETURNED")["submissionHistory"]
    kinds = [h["gradeHistory"]["gradeChangeType"] for h in history if "gradeHistory" in h]
    assert "ASSIGNED_GRADE_POINTS_EARNED_CHANGE" in kinds
    assert history[-1]["stateHistory"]["state"] == "RETURNED"


def test_wildcard_submissions_page_across_course_work(classroom_http: httpx2.Client) -> None:
    path = f"/v1/courses/{CS}/courseWork/-/studentSubmissions"
    paged, pages = collect(classroom_http, path, "studentSubmissions", pageSize=7)
    whole = get(classroom_http, path, pageSize=100)
    assert "nextPageToken" not in whole and paged == whole["studentSubmissions"]
    assert len(paged) == 5 * 20 and pages == 15  # 5 published items × 20 students; the draft has none
    assert len({s["id"] for s in paged}) == len(paged)
    per_work = []
    for w in get(classroom_http, f"/v1/courses/{CS}/courseWork")["courseWork"]:
        per_work += get(classroom_http, f"/v1/courses/{CS}/courseWork/{w['id']}/studentSubmissions")[
            "studentSubmissions"
        ]
    assert sorted(s["id"] for s in per_work) == sorted(s["id"] for s in paged)
    assert len(get(classroom_http, path)["studentSubmissions"]) == 30  # the default page size

    first = get(classroom_http, path, pageSize=7)
    assert len(first["studentSubmissions"]) == 7
    token = first["nextPageToken"]
    assert get(classroom_http, path, pageSize=7, pageToken=token)["studentSubmissions"] == paged[7:14]
    other_query = classroom_http.get(path, params={"pageSize": 7, "pageToken": token, "states": "RETURNED"})
    expect_error(other_query, 400, "INVALID_ARGUMENT")


def test_grading_period_settings_match_sis_titles_and_dates(classroom_http: httpx2.Client) -> None:
    for course, term in ((ALGEBRA, "as-2027-s1"), (BIOLOGY, "as-2027-s2")):
        settings = get(classroom_http, f"/v1/courses/{course}/gradingPeriodSettings")
        sessions = [s for s in seed.SESSIONS if s.type == "gradingPeriod" and s.parent == term]
        assert settings["applyToExistingCoursework"] is True
        assert [(p["id"], p["title"]) for p in settings["gradingPeriods"]] == [
            ("gp1", sessions[0].title),
            ("gp2", sessions[1].title),
        ]
        for p, s in zip(settings["gradingPeriods"], sessions, strict=True):
            assert date(**p["startDate"]).isoformat() == s.start and date(**p["endDate"]).isoformat() == s.end
        ids = {p["id"] for p in settings["gradingPeriods"]}
        works = get(classroom_http, f"/v1/courses/{course}/courseWork")["courseWork"]
        assert {w["gradingPeriodId"] for w in works if "gradingPeriodId" in w} <= ids


# ---------------------------------------------------------------------- errors and faults
def test_errors_use_googles_json_shape(classroom_http: httpx2.Client) -> None:
    for path in (
        "/v1/courses/999",
        "/v1/courses/999/students",
        "/v1/courses/999/courseWork",
        f"/v1/courses/{ALGEBRA}/courseWork/999",
        f"/v1/courses/{ALGEBRA}/courseWork/999/studentSubmissions",
        "/v1/courses/999/courseWork/-/studentSubmissions",
        "/v1/courses/999/gradingPeriodSettings",
        "/v1/nothing-here",
    ):
        r = classroom_http.get(path)
        assert (r.status_code, r.json()) == (404, NOT_FOUND), path
    path = f"/v1/courses/{ALGEBRA}/students"
    for bad in ("not-a-token", "!!!", "MTI="):  # the last is valid base64 without our query key
        expect_error(classroom_http.get(path, params={"pageToken": bad}), 400, "INVALID_ARGUMENT")
    expect_error(classroom_http.get(path, params={"pageSize": "-1"}), 400, "INVALID_ARGUMENT")
    expect_error(classroom_http.get(path, params={"pageSize": "ten"}), 400, "INVALID_ARGUMENT")
    r = classroom_http.get(path, headers={"Authorization": "Bearer anything"})
    assert r.status_code == 200  # credentials are neither needed nor checked


def test_injected_faults_answer_as_google(classroom_http: httpx2.Client) -> None:
    r = classroom_http.post(
        "/_sandbox/faults", json={"status": 429, "times": 2, "path": "studentSubmissions"}
    )
    assert r.status_code == 200
    assert classroom_http.get(f"/v1/courses/{ALGEBRA}").status_code == 200  # other paths unaffected
    path = f"/v1/courses/{ALGEBRA}/courseWork/-/studentSubmissions"
    for _ in range(2):
        expect_error(classroom_http.get(path), 429, "RESOURCE_EXHAUSTED")
    assert classroom_http.get(path).status_code == 200
    classroom_http.post("/_sandbox/faults", json={"status": "PERMISSION_DENIED"})
    expect_error(classroom_http.get("/v1/courses"), 403, "PERMISSION_DENIED")
    expect_error(classroom_http.post("/_sandbox/faults", json={"status": "TEAPOT"}), 400, "INVALID_ARGUMENT")


# ---------------------------------------------------------------------- mutations
def test_create_patch_and_delete_course_work(classroom_http: httpx2.Client) -> None:
    body = {
        "title": "Lab 7: Loops",
        "maxPoints": 20,
        "dueDate": {"year": 2026, "month": 12, "day": 10},
        "dueTime": {"hours": 4, "minutes": 59},
        "gradeCategory": {"id": "800000000300"},
        "gradingPeriodId": "gp2",
    }
    r = classroom_http.post(f"/_sandbox/courses/{CS}/courseWork", json=body)
    assert r.status_code == 200, r.text
    made = r.json()
    assert (
        made["state"] == "PUBLISHED" and made["gradeCategory"]["name"] == "Labs" and made["maxPoints"] == 20
    )
    cw = f"/v1/courses/{CS}/courseWork/{made['id']}"
    assert get(classroom_http, cw) == made
    assert made["id"] in {w["id"] for w in get(classroom_http, f"/v1/courses/{CS}/courseWork")["courseWork"]}
    subs = get(classroom_http, f"{cw}/studentSubmissions")["studentSubmissions"]
    assert len(subs) == 20 and {s["state"] for s in subs} == {"NEW"}

    r = classroom_http.patch(
        f"/_sandbox/courses/{CS}/courseWork/{made['id']}",
        json={"title": "Lab 7: Loops (revised)", "maxPoints": 25, "dueDate": None},
    )
    patched = r.json()
    assert patched["title"] == "Lab 7: Loops (revised)" and patched["maxPoints"] == 25
    assert "dueDate" not in patched and "dueTime" not in patched
    assert patched["updateTime"] > made["updateTime"] and patched["creationTime"] == made["creationTime"]
    newest = get(classroom_http, f"/v1/courses/{CS}/courseWork", pageSize=1)["courseWork"][0]
    assert newest["id"] == made["id"]  # updateTime desc puts it first
    expect_error(
        classroom_http.patch(f"/_sandbox/courses/{CS}/courseWork/{made['id']}", json={"state": "DRAFT"}),
        400,
        "FAILED_PRECONDITION",
    )
    expect_error(
        classroom_http.patch(f"/_sandbox/courses/{CS}/courseWork/{made['id']}", json={"points": 3}),
        400,
        "INVALID_ARGUMENT",
    )
    expect_error(
        classroom_http.post(f"/_sandbox/courses/{CS}/courseWork", json={"title": ""}), 400, "INVALID_ARGUMENT"
    )

    r = classroom_http.delete(f"/_sandbox/courses/{CS}/courseWork/{made['id']}")
    assert r.status_code == 200 and r.json() == {}
    assert classroom_http.get(cw).json() == NOT_FOUND
    assert classroom_http.get(f"{cw}/studentSubmissions").json() == NOT_FOUND
    assert made["id"] not in {
        w["id"] for w in get(classroom_http, f"/v1/courses/{CS}/courseWork")["courseWork"]
    }
    every, _ = collect(
        classroom_http, f"/v1/courses/{CS}/courseWork/-/studentSubmissions", "studentSubmissions"
    )
    assert made["id"] not in {s["courseWorkId"] for s in every}
    assert classroom_http.delete(f"/_sandbox/courses/{CS}/courseWork/{made['id']}").json() == NOT_FOUND


def test_publishing_a_draft_opens_submissions(classroom_http: httpx2.Client) -> None:
    draft = get(classroom_http, f"/v1/courses/{ALGEBRA}/courseWork", courseWorkStates="DRAFT")["courseWork"][
        0
    ]
    subs = f"/v1/courses/{ALGEBRA}/courseWork/{draft['id']}/studentSubmissions"
    assert get(classroom_http, subs) == {}
    classroom_http.patch(f"/_sandbox/courses/{ALGEBRA}/courseWork/{draft['id']}", json={"state": "PUBLISHED"})
    assert len(get(classroom_http, subs)["studentSubmissions"]) == 12
    assert len(get(classroom_http, f"/v1/courses/{ALGEBRA}/courseWork")["courseWork"]) == 6


def test_put_submission_sets_and_clears_grades(classroom_http: httpx2.Client) -> None:
    hw = work_by_title(classroom_http, ALGEBRA, "Algebra I Homework")
    url = f"/_sandbox/courses/{ALGEBRA}/courseWork/{hw['id']}/submissions/{CASE_VARIANT.google_email}"
    before = get(
        classroom_http,
        f"/v1/courses/{ALGEBRA}/courseWork/{hw['id']}/studentSubmissions",
        userId=CASE_VARIANT.google_id,
    )["studentSubmissions"][0]
    r = classroom_http.put(
        url, json={"draftGrade": 9.5, "assignedGrade": 9.5, "state": "RETURNED", "late": True}
    )
    assert r.status_code == 200, r.text
    sub = r.json()
    assert (sub["draftGrade"], sub["assignedGrade"], sub["state"], sub["late"]) == (
        9.5,
        9.5,
        "RETURNED",
        True,
    )
    assert sub["updateTime"] > before.get("updateTime", "") and sub["id"] == before["id"]
    grades = [h["gradeHistory"] for h in sub["submissionHistory"] if "gradeHistory" in h][-2:]
    assert [(g["gradeChangeType"], g["pointsEarned"]) for g in grades] == [
        ("DRAFT_GRADE_POINTS_EARNED_CHANGE", 9.5),
        ("ASSIGNED_GRADE_POINTS_EARNED_CHANGE", 9.5),
    ]
    cleared = classroom_http.put(url, json={"draftGrade": None, "late": False}).json()
    assert "draftGrade" not in cleared and cleared["assignedGrade"] == 9.5 and "late" not in cleared
    listed = get(
        classroom_http,
        f"/v1/courses/{ALGEBRA}/courseWork/{hw['id']}/studentSubmissions",
        userId=CASE_VARIANT.google_id,
    )["studentSubmissions"][0]
    assert listed == cleared

    discussion = work_by_title(classroom_http, ALGEBRA, "Class discussion")
    ungraded = (
        f"/_sandbox/courses/{ALGEBRA}/courseWork/{discussion['id']}/submissions/{CASE_VARIANT.google_id}"
    )
    expect_error(classroom_http.put(ungraded, json={"assignedGrade": 3}), 400, "INVALID_ARGUMENT")
    expect_error(classroom_http.put(url, json={"assignedGrade": -1}), 400, "INVALID_ARGUMENT")
    expect_error(classroom_http.put(url, json={"grade": 1}), 400, "INVALID_ARGUMENT")
    stranger = f"/_sandbox/courses/{ALGEBRA}/courseWork/{hw['id']}/submissions/{seed.STUDENTS[25].google_id}"
    assert classroom_http.put(stranger, json={"assignedGrade": 1}).json() == NOT_FOUND


def test_synthetic_course_for_the_bench(classroom_http: httpx2.Client) -> None:
    r = classroom_http.post(
        "/_sandbox/courses", json={"teacher_email": ADA.email, "assignments": 40, "students": 35}
    )
    assert r.status_code == 200, r.text
    made = r.json()
    course = made["id"]
    assert [s["emailAddress"] for s in made["students"]] == [
        f"bench.s{n}@{seed.DOMAIN}" for n in range(1, 36)
    ]
    assert len({s["id"] for s in made["students"]}) == 35 and made["teacher"]["id"] == ADA.google_id
    assert len(made["courseWorkIds"]) == 40
    assert get(classroom_http, "/v1/courses", teacherId=ADA.email)["courses"][0]["id"] == course

    students, pages = collect(classroom_http, f"/v1/courses/{course}/students", "students")
    assert (len(students), pages) == (35, 2)  # default page size 30
    works, pages = collect(classroom_http, f"/v1/courses/{course}/courseWork", "courseWork")
    assert (len(works), pages) == (40, 2)
    assert all(w["maxPoints"] == 100 and w["state"] == "PUBLISHED" for w in works)

    path = f"/v1/courses/{course}/courseWork/-/studentSubmissions"
    first = get(classroom_http, path, pageSize=5000)
    assert len(first["studentSubmissions"]) == 100 and "nextPageToken" in first  # clamped to the maximum
    subs, pages = collect(classroom_http, path, "studentSubmissions", pageSize=5000)
    assert (len(subs), pages) == (1400, 14)
    assert all(s["state"] == "RETURNED" and 50 <= s["assignedGrade"] <= 100 for s in subs)
    assert len({(s["courseWorkId"], s["userId"]) for s in subs}) == 1400

    again = classroom_http.post("/_sandbox/courses", json={"id": course, "teacher_email": ADA.email})
    expect_error(again, 409, "ALREADY_EXISTS")
    expect_error(
        classroom_http.post("/_sandbox/courses", json={"teacher_email": ADA.email, "students": -1}),
        400,
        "INVALID_ARGUMENT",
    )


def _snapshot(http: httpx2.Client) -> str:
    courses, _ = collect(http, "/v1/courses", "courses")
    data: dict[str, Any] = {"courses": courses}
    for c in courses:
        base = f"/v1/courses/{c['id']}"
        data[c["id"]] = [
            collect(http, f"{base}/students", "students")[0],
            collect(
                http, f"{base}/courseWork", "courseWork", courseWorkStates=["PUBLISHED", "DRAFT", "DELETED"]
            )[0],
            collect(http, f"{base}/courseWork/-/studentSubmissions", "studentSubmissions", pageSize=100)[0],
        ]
    return json.dumps(data, sort_keys=True)


def test_reset_restores_the_seed(classroom_http: httpx2.Client) -> None:
    pristine = _snapshot(classroom_http)
    hw = work_by_title(classroom_http, ALGEBRA, "Algebra I Homework")
    classroom_http.post(
        "/_sandbox/courses", json={"teacher_email": "new.teacher@district.example", "students": 3}
    )
    classroom_http.delete(f"/_sandbox/courses/{ALGEBRA}/courseWork/{hw['id']}")
    classroom_http.post(f"/_sandbox/courses/{GEOMETRY}/courseWork", json={"title": "Extra", "state": "DRAFT"})
    classroom_http.post("/_sandbox/faults", json={"status": 503, "times": 5, "path": "nowhere"})
    assert _snapshot(classroom_http) != pristine
    assert classroom_http.post("/_sandbox/reset").status_code == 200
    assert _snapshot(classroom_http) == pristine


# ---------------------------------------------------------------------- in-process API and determinism
def test_state_methods_in_process(classroom_http: httpx2.Client, classroom_state: ClassroomState) -> None:
    work = classroom_state.add_course_work(
        BIOLOGY,
        {
            "title": "Cell diagram",
            "maxPoints": 10,
            "dueDate": {"year": 2027, "month": 2, "day": 1},
            "dueTime": {"hours": 5},
        },
    )
    assert work.state is CourseWorkState.PUBLISHED
    student = seed.STUDENTS[15]
    sub = classroom_state.set_grade(BIOLOGY, work.id, student.google_email, assigned_grade=8, state=None)
    assert sub.assigned_grade == 8 and sub.state.value == "CREATED"
    listed = get(
        classroom_http,
        f"/v1/courses/{BIOLOGY}/courseWork/{work.id}/studentSubmissions",
        userId=student.google_id,
    )["studentSubmissions"]
    assert listed[0]["assignedGrade"] == 8
    made = classroom_state.make_course(
        teacher_email=seed.TEACHERS[2].email, assignments=2, students=3, first_student=50
    )
    assert [u.email for u in made.students] == [f"bench.s{n}@{seed.DOMAIN}" for n in (50, 51, 52)]
    assert (
        len(
            get(classroom_http, f"/v1/courses/{made.course.id}/courseWork/-/studentSubmissions")[
                "studentSubmissions"
            ]
        )
        == 6
    )
    classroom_state.delete_course_work(BIOLOGY, work.id)
    assert classroom_http.get(f"/v1/courses/{BIOLOGY}/courseWork/{work.id}").status_code == 404


def test_same_seed_same_district_other_seed_other_grades() -> None:
    def grades(seed_value: int) -> list[Any]:
        client = create_app(ClassroomConfig(seed=seed_value)).test_client()
        r = client.get(f"/v1/courses/{CS}/courseWork/-/studentSubmissions?pageSize=100")
        return [(s["id"], s["state"], s.get("assignedGrade")) for s in r.get_json()["studentSubmissions"]]

    assert grades(0) == grades(0)
    assert grades(0) != grades(1)


def test_latency_is_added_to_api_calls() -> None:
    client = create_app(ClassroomConfig(latency_ms=30)).test_client()
    started = time.perf_counter()
    assert client.get("/v1/courses").status_code == 200
    assert time.perf_counter() - started >= 0.03


def test_concurrent_readers_and_writers(classroom_target: tuple[str, ClassroomState]) -> None:
    url, state = classroom_target
    hw = next(w for w in state.course_work_list(ALGEBRA) if w.title.endswith("Homework 1"))
    path = f"/v1/courses/{ALGEBRA}/courseWork/-/studentSubmissions"

    def read(_: int) -> int:
        with httpx2.Client(base_url=url, timeout=10) as http:
            return len(collect(http, path, "studentSubmissions", pageSize=9)[0])

    def write(n: int) -> None:
        state.set_grade(ALGEBRA, hw.id, seed.STUDENTS[n % 11].google_id, assigned_grade=n % 10)

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = [pool.submit(write, n) for n in range(40)]
        counts = list(pool.map(read, range(8)))
    assert all(f.exception() is None for f in writes)
    assert counts == [5 * 12] * 8
