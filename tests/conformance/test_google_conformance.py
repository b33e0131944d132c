"""Google's OneRoster integration conformance suites (1.1 and 1.2), re-implemented as our own tests.

Google Classroom accepts a SIS for grade export when its sandbox passes these call sequences
(googleworkspace/oneroster-integration-conformance-tests: `oneroster_1_2_test_suite.ipynb` and the
deprecated 1.1 notebook). The steps, URLs, payloads and accepted status codes below follow the
notebooks one for one, with raw HTTP, so the SIS sandbox is judged by the same third-party
definition Google applies, not by sisbridge's own client.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx2
import pytest

from sisbridge.sandbox import seed
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion

LONG_TITLE = (
    "[Amended] Reallllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllly"
    " Long Google Test Line Item Title"
)


def _flavours(version: OneRosterVersion) -> list[str]:
    return [p.id for p in PROFILES.values() if version in p.versions and AuthMethod.OAUTH2 in p.auth_methods]


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Notebook:
    """The notebook's shared state: a token, then ids found along the way."""

    def __init__(self, server: str, vendor: str, version: OneRosterVersion) -> None:
        profile = PROFILES[vendor]
        token_url = f"{server}/capita_sims/connect/token" if vendor == "capita_sims" else None
        self.ep = profile.endpoints(f"{server}/{vendor}", version=version, auth=AuthMethod.OAUTH2, token_url=token_url)
        self.version = version
        self.http = httpx2.Client(timeout=10)
        prefix = "v1p1" if version is OneRosterVersion.V1P1 else "v1p2"
        scopes = " ".join(
            f"https://purl.imsglobal.org/spec/or/{prefix}/scope/{s}"
            for s in ("roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete")
        )
        form = {"grant_type": "client_credentials", "scope": scopes}
        if profile.credentials_in.value == "form":
            form |= {"client_id": seed.ACCESS_KEY, "client_secret": seed.SECRET_CODE}
            r = self.http.post(self.ep.token_url, data=form)
        else:
            r = self.http.post(self.ep.token_url, data=form, auth=(seed.ACCESS_KEY, seed.SECRET_CODE))
        assert r.status_code == 200, r.text  # "Get OAuth Token": 200
        self.headers = {"Authorization": "Bearer " + r.json()["access_token"]}

    def __enter__(self) -> Notebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def roster(self, path: str) -> httpx2.Response:
        return self.http.get(self.ep.rostering + path, headers=self.headers)

    def book(self, method: str, path: str, body: dict | None = None) -> httpx2.Response:
        return self.http.request(method, self.ep.gradebook + path, headers=self.headers, json=body)


@pytest.mark.parametrize("vendor", _flavours(OneRosterVersion.V1P2))
def test_google_1p2_suite(sis_server: str, vendor: str) -> None:
    with Notebook(sis_server, vendor, OneRosterVersion.V1P2) as nb:

        # GetAllTeachers, then GetAllTeachers with email filter: exactly one user with email and sourcedId.
        assert nb.roster("/teachers?limit=1").status_code == 200
        r = nb.roster(f"/teachers?filter=email='{seed.TEACHERS[0].email}'&limit=10000")
        assert r.status_code == 200
        users = r.json()["users"]
        assert len(users) == 1 and users[0].keys() >= {"email", "sourcedId"}
        teacher = users[0]["sourcedId"]

        # GetClassesForTeacher (active): the first class gives class, school and term.
        r = nb.roster(f"/teachers/{teacher}/classes?limit=10000&filter=status='active'")
        assert r.status_code == 200
        first = r.json()["classes"][0]
        klass, school, term = first["sourcedId"], first["school"]["sourcedId"], first["terms"][0]["sourcedId"]

        # GetStudentsForClass: at least one student with email and sourcedId.
        r = nb.roster(f"/classes/{klass}/students?limit=10000")
        assert r.status_code == 200
        students = r.json()["users"]
        assert students and students[0].keys() >= {"email", "sourcedId"}
        student = students[0]["sourcedId"]

        # GetCategoriesForClass.
        r = nb.book("GET", f"/classes/{klass}/categories?limit=10000")
        assert r.status_code == 200
        category = r.json()["categories"][0]["sourcedId"]

        # GetGradingPeriodsForTerm: every session a gradingPeriod with the five fields.
        r = nb.roster(f"/terms/{term}/gradingPeriods?limit=10000")
        assert r.status_code == 200
        periods = r.json()["academicSessions"]
        assert periods[0].keys() >= {"sourcedId", "title", "startDate", "endDate", "schoolYear"}
        assert all(p["type"] == "gradingPeriod" for p in periods)

        # PutLineItem Create: exactly 201.
        li = str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        assign, due = _stamp(now), _stamp(now + timedelta(minutes=1))
        body = {
            "sourcedId": li, "title": "New test item", "description": "Test Line Item",
            "resultValueMin": 0, "resultValueMax": 100, "assignDate": assign, "dueDate": due,
            "class": {"sourcedId": klass}, "category": {"sourcedId": category}, "school": {"sourcedId": school},
        }
        assert nb.book("PUT", f"/lineItems/{li}", {"lineItem": body}).status_code == 201

        # GetLineItemsForClass lists it.
        r = nb.book("GET", f"/classes/{klass}/lineItems?limit=10000")
        assert r.status_code == 200 and any(x["sourcedId"] == li for x in r.json()["lineItems"])

        # PutLineItem Edit with a very long title: 200 (201 tolerated); the stored title length is recorded.
        r = nb.book("PUT", f"/lineItems/{li}", {"lineItem": body | {"title": LONG_TITLE}})
        assert r.status_code == 200, "modifying an existing resource should return 200"
        r = nb.book("GET", f"/classes/{klass}/lineItems?limit=10000")
        stored = next(x for x in r.json()["lineItems"] if x["sourcedId"] == li)
        limit = PROFILES[vendor].limits.title_max_length
        assert stored["title"] == (LONG_TITLE[:limit] if limit else LONG_TITLE)

        _result_steps(nb, klass, li, student, assign)

        # DeleteLineItem (cleanup): 200/204, then gone from the class's list.
        assert nb.book("DELETE", f"/lineItems/{li}").status_code in {200, 204}
        r = nb.book("GET", f"/classes/{klass}/lineItems?limit=10000")
        assert not any(x["sourcedId"] == li for x in r.json()["lineItems"])


def _result_steps(nb: Notebook, klass: str, li: str, student: str, score_date: str, *, deletes: bool = True) -> None:
    """The notebooks' result section: create, list, extra credit, exempt, delete (where the SIS deletes)."""
    res = str(uuid.uuid4())
    body = {
        "sourcedId": res, "score": 80, "comment": "", "scoreStatus": "fully graded", "scoreDate": score_date,
        "lineItem": {"sourcedId": li}, "student": {"sourcedId": student},
    }
    assert nb.book("PUT", f"/results/{res}", {"result": body}).status_code in {200, 201}
    listed = f"/classes/{klass}/lineItems/{li}/results?limit=10000"

    def found() -> dict | None:
        r = nb.book("GET", listed)
        assert r.status_code == 200
        return next((x for x in r.json()["results"] if x["sourcedId"] == res), None)

    assert found() is not None
    assert nb.book("PUT", f"/results/{res}", {"result": body | {"score": 300}}).status_code in {200, 201}
    assert float(found()["score"]) == 300  # extra credit above resultValueMax persists
    assert nb.book("PUT", f"/results/{res}", {"result": body | {"scoreStatus": "exempt"}}).status_code in {200, 201}
    assert found()["scoreStatus"] == "exempt"  # "Returned excused state"
    if not deletes:
        return
    assert nb.book("DELETE", f"/results/{res}").status_code in {200, 204}
    assert found() is None


@pytest.mark.parametrize("vendor", _flavours(OneRosterVersion.V1P1))
def test_google_1p1_suite(sis_server: str, vendor: str) -> None:
    with Notebook(sis_server, vendor, OneRosterVersion.V1P1) as nb:
        profile = PROFILES[vendor]

        # Basic Grade Sync.
        assert nb.roster("/teachers?limit=1").status_code == 200
        r = nb.roster(f"/teachers?filter=email='{seed.TEACHERS[0].email}'&limit=10000")
        users = r.json()["users"]
        assert r.status_code == 200 and len(users) == 1 and users[0].keys() >= {"email", "sourcedId"}
        r = nb.roster(f"/teachers/{users[0]['sourcedId']}/classes?limit=10000&filter=status='active'")
        assert r.status_code == 200
        klass = r.json()["classes"][0]["sourcedId"]
        r = nb.roster(f"/classes/{klass}/students?limit=10000")
        assert r.status_code == 200
        student = r.json()["users"][0]["sourcedId"]

        # Grading categories: one GET categories endpoint is enough; the sandbox serves both.
        r = nb.book("GET", "/categories?limit=10000")
        assert r.status_code == 200 and r.json()["categories"]
        r = nb.book("GET", f"/classes/{klass}/categories?limit=10000")
        assert r.status_code == 200
        category = r.json()["categories"][0]["sourcedId"]

        # Grading periods: the class (filtered by sourcedId) names its term.
        r = nb.roster(f"/classes?filter=sourcedId='{klass}'&limit=10000")
        classes = r.json()["classes"]
        assert r.status_code == 200 and len(classes) == 1 and classes[0].keys() >= {"terms", "sourcedId"}
        r = nb.roster(f"/terms/{classes[0]['terms'][0]['sourcedId']}/gradingPeriods?limit=10000")
        periods = r.json()["academicSessions"]
        assert r.status_code == 200 and all(p["type"] == "gradingPeriod" for p in periods)
        assert periods[0].keys() >= {"sourcedId", "title", "startDate", "endDate", "schoolYear"}

        # LineItem create (the notebook sends no category; vendors that require one get it, as
        # Google's category test does), list, long-title edit.
        li = str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        assign, due = _stamp(now), _stamp(now + timedelta(minutes=1))
        body = {
            "sourcedId": li, "title": "New test item", "description": "Test Line Item",
            "resultValueMin": 0, "resultValueMax": 100, "assignDate": assign, "dueDate": due,
            "class": {"sourcedId": klass},
        }
        if profile.limits.category_required:
            body["category"] = {"sourcedId": category}
        if profile.limits.grading_period_required:
            body["gradingPeriod"] = {"sourcedId": _period_holding(periods, now)}
        assert nb.book("PUT", f"/lineItems/{li}", {"lineItem": body}).status_code == 201
        r = nb.book("GET", f"/classes/{klass}/lineItems?limit=10000")
        assert any(x["sourcedId"] == li for x in r.json()["lineItems"])
        assert nb.book("PUT", f"/lineItems/{li}", {"lineItem": body | {"title": LONG_TITLE}}).status_code == 200

        _result_steps(nb, klass, li, student, assign, deletes=profile.limits.supports_delete)
        if profile.limits.supports_delete:
            assert nb.book("DELETE", f"/lineItems/{li}").status_code in {200, 204}

        # PutLineItem with category, then the class's list shows the category.
        li2 = str(uuid.uuid4())
        body2 = body | {"sourcedId": li2, "title": "Google Test Line Item Title", "category": {"sourcedId": category}}
        assert nb.book("PUT", f"/lineItems/{li2}", {"lineItem": body2}).status_code == 201
        r = nb.book("GET", f"/classes/{klass}/lineItems?limit=10000")
        stored = next(x for x in r.json()["lineItems"] if x["sourcedId"] == li2)
        assert stored["category"]["sourcedId"] == category


def _period_holding(periods: list[dict], when: datetime) -> str:
    day = when.date().isoformat()
    for p in periods:
        if p["startDate"] <= day <= p["endDate"]:
            return p["sourcedId"]
    return periods[0]["sourcedId"]
