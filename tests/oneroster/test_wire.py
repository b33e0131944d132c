"""JSON ↔ models: lenient parsing of what SISs send, exact formatting of what we send."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sisbridge.errors import InvalidRequest, SisProtocolError
from sisbridge.oneroster import (
    Category,
    GUIDRef,
    LineItem,
    Result,
    ScoreStatus,
    SessionType,
    Status,
    parse_academic_session,
    parse_category,
    parse_class,
    parse_line_item,
    parse_result,
    parse_user,
    request_body,
    to_wire,
)
from sisbridge.oneroster.wire import ACADEMIC_SESSIONS, USERS, format_datetime, unwrap_many, unwrap_one
from sisbridge.vendors import PROFILES, OneRosterVersion

V11, V12 = OneRosterVersion.V1P1, OneRosterVersion.V1P2
GENERIC = PROFILES["oneroster_1p1"]  # score_date_format "date"
DATETIME_PROFILE = replace(GENERIC, score_date_format="datetime")


def field_of(exc: pytest.ExceptionInfo[SisProtocolError]) -> str:
    return str(exc.value.details["field"])


# ---- parsing ------------------------------------------------------------------------------------

def test_line_item_parses_strings_bare_refs_and_dates() -> None:
    item = parse_line_item({
        "sourcedId": 42, "title": "Quiz", "class": {"sourcedId": "cls-1"}, "category": "cat-1",
        "assignDate": "2026-09-01", "dueDate": "2026-09-03T23:59:00.000Z",
        "resultValueMin": "0", "resultValueMax": " 100.5 ", "status": "ACTIVE",
        "dateLastModified": "not a date", "metadata": {"classId": "cls-1"},
    })
    assert item.sourced_id == "42"
    assert item.class_ == GUIDRef(sourced_id="cls-1")
    assert item.category == GUIDRef(sourced_id="cat-1")
    assert item.assign_date == datetime(2026, 9, 1, tzinfo=UTC)
    assert item.due_date == datetime(2026, 9, 3, 23, 59, tzinfo=UTC)
    assert (item.result_value_min, item.result_value_max) == (0, 100.5)
    assert item.status is Status.ACTIVE
    assert item.date_last_modified is None  # unusable metadata is dropped, not fatal
    assert item.grading_period is None and item.school is None


def test_line_item_full_guidrefs_keep_href_and_type() -> None:
    ref = {"href": "/x/classes/cls-1", "sourcedId": "cls-1", "type": "class"}
    item = parse_line_item({"sourcedId": "li", "title": "T", "class": ref, "school": None})
    assert item.class_ == GUIDRef(sourced_id="cls-1", type="class", href="/x/classes/cls-1")


@pytest.mark.parametrize(("raw", "field"), [
    ({"title": "T", "class": {"sourcedId": "c"}}, "lineItem.sourcedId"),
    ({"sourcedId": "li", "class": {"sourcedId": "c"}}, "lineItem.title"),
    ({"sourcedId": "li", "title": "T"}, "lineItem.class"),
    ({"sourcedId": "li", "title": "T", "class": {"href": "x"}}, "lineItem.class.sourcedId"),
    ({"sourcedId": "li", "title": "T", "class": "c", "resultValueMax": "ten"}, "lineItem.resultValueMax"),
    ({"sourcedId": "li", "title": "T", "class": "c", "resultValueMax": True}, "lineItem.resultValueMax"),
    ({"sourcedId": "li", "title": "T", "class": "c", "dueDate": "31/12/2026"}, "lineItem.dueDate"),
    ({"sourcedId": "li", "title": ["T"], "class": "c"}, "lineItem.title"),
    ({"sourcedId": "li", "title": "T", "class": 3.5j}, "lineItem.class"),
])
def test_malformed_required_or_typed_fields_name_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(SisProtocolError) as exc:
        parse_line_item(raw)
    assert field_of(exc) == field


def test_non_object_is_a_protocol_error() -> None:
    with pytest.raises(SisProtocolError):
        parse_line_item(["not", "an", "object"])


def test_result_parsing_is_lenient() -> None:
    res = parse_result({
        "sourcedId": "r1", "lineItem": {"sourcedId": "li"}, "student": {"sourcedId": "s"},
        "scoreStatus": "Fully  Graded", "score": "80", "scoreDate": "2026-09-02", "comment": "",
        "late": "true", "missing": "false", "inProgress": True, "textScore": "B",
    })
    assert res.score_status is ScoreStatus.FULLY_GRADED
    assert res.score == 80.0 and res.score_date == date(2026, 9, 2)
    assert (res.late, res.missing, res.incomplete, res.in_progress) == (True, False, None, True)
    assert res.comment is None  # empty string reads as absent
    typo = parse_result({"sourcedId": "r", "lineItem": "li", "student": "s", "scoreStatus": "not submmitted"})
    assert typo.score_status is ScoreStatus.NOT_SUBMITTED
    ext = parse_result({"sourcedId": "r", "lineItem": "li", "student": "s", "scoreStatus": "ext:draft"})
    assert ext.score_status == "ext:draft"
    dt = parse_result({"sourcedId": "r", "lineItem": "li", "student": "s", "scoreStatus": "exempt",
                       "scoreDate": "2026-09-02T10:00:00+02:00"})
    assert dt.score_date == datetime(2026, 9, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "field"), [
    ({"scoreStatus": None}, "result.scoreStatus"),
    ({"scoreStatus": 3}, "result.scoreStatus"),
    ({"late": "maybe"}, "result.late"),
    ({"student": None}, "result.student"),
])
def test_result_malformed_fields(changes: dict[str, Any], field: str) -> None:
    raw = {"sourcedId": "r", "lineItem": "li", "student": "s", "scoreStatus": "exempt"} | changes
    with pytest.raises(SisProtocolError) as exc:
        parse_result(raw)
    assert field_of(exc) == field


def test_rostering_objects() -> None:
    cls = parse_class({"sourcedId": "cls-1", "title": "Algebra", "terms": [{"sourcedId": "t1"}, "t2"],
                       "school": {"sourcedId": "org"}, "course": None})
    assert [t.sourced_id for t in cls.terms] == ["t1", "t2"] and cls.course is None
    v12_user = parse_user({"sourcedId": "u", "email": "a@b", "enabledUser": "true", "roles": [
        {"roleType": "secondary", "role": "aide"}, {"roleType": "primary", "role": "teacher"}]})
    assert v12_user.role == "teacher" and v12_user.enabled_user is True
    v11_user = parse_user({"sourcedId": "u", "role": "student", "orgs": {"sourcedId": "o"}})
    assert v11_user.orgs[0].sourced_id == "o" and v11_user.role == "student"
    gp = parse_academic_session({"sourcedId": "gp", "type": "gradingPeriod", "startDate": "2026-08-17",
                                 "endDate": "2026-10-16T00:00:00Z", "parent": {"sourcedId": "s1"},
                                 "schoolYear": 2027})
    assert gp.type is SessionType.GRADING_PERIOD and gp.end_date == date(2026, 10, 16)
    assert gp.school_year == "2027"
    odd = parse_academic_session({"sourcedId": "x", "type": "trimester"})
    assert odd.type == "trimester"
    assert parse_category({"sourcedId": "c", "title": "HW", "weight": "0.25"}).weight == 0.25


# ---- envelopes ----------------------------------------------------------------------------------

def test_envelopes_and_aliases() -> None:
    assert unwrap_one({"lineItem": {"sourcedId": "x"}}, "lineItem") == {"sourcedId": "x"}
    assert unwrap_one({"sourcedId": "bare"}, "lineItem") == {"sourcedId": "bare"}
    users = {"users": [{"sourcedId": "u"}]}
    assert unwrap_many(users, USERS.plural, USERS.plural_aliases) == [{"sourcedId": "u"}]
    aspen = {"gradingPeriods": [{"sourcedId": "gp"}]}
    sessions = unwrap_many(aspen, ACADEMIC_SESSIONS.plural, ACADEMIC_SESSIONS.plural_aliases)
    assert sessions == [{"sourcedId": "gp"}]
    assert unwrap_many({"lineItems": None}, "lineItems") == []
    assert unwrap_many({"lineItems": [], "statusInfoSet": [{"imsx_codeMajor": "success"}]}, "lineItems") == []


@pytest.mark.parametrize("body", [{"data": []}, [], "text", {"lineItems": "x"}, {"lineItems": [1]}])
def test_wrong_envelopes_are_protocol_errors(body: Any) -> None:
    with pytest.raises(SisProtocolError):
        unwrap_many(body, "lineItems")


def test_missing_single_envelope() -> None:
    with pytest.raises(SisProtocolError) as exc:
        unwrap_one({"something": {}}, "lineItem")
    assert field_of(exc) == "lineItem"


# ---- formatting ---------------------------------------------------------------------------------

ITEM = LineItem(
    sourced_id="gc-li-1", title="Quiz", description="d", class_=GUIDRef(sourced_id="cls-1"),
    assign_date=datetime(2026, 9, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
    due_date=datetime(2026, 9, 3, 23, 59, tzinfo=UTC), category=GUIDRef(sourced_id="cat-1"),
    grading_period=GUIDRef(sourced_id="gp-1"), school=GUIDRef(sourced_id="org-1"),
    result_value_min=0.0, result_value_max=100.0,
)


def test_datetime_format_is_utc_with_milliseconds() -> None:
    assert format_datetime(ITEM.assign_date) == "2026-09-01T08:00:00.123Z"  # type: ignore[arg-type]
    assert format_datetime(date(2026, 9, 1)) == "2026-09-01T00:00:00.000Z"


def test_line_item_wire_1p1_and_1p2() -> None:
    v11 = to_wire(ITEM, V11, GENERIC)
    assert v11 == {
        "sourcedId": "gc-li-1", "title": "Quiz", "description": "d",
        "assignDate": "2026-09-01T08:00:00.123Z", "dueDate": "2026-09-03T23:59:00.000Z",
        "class": {"sourcedId": "cls-1", "type": "class"},
        "category": {"sourcedId": "cat-1", "type": "category"},
        "gradingPeriod": {"sourcedId": "gp-1", "type": "academicSession"},
        "resultValueMin": 0, "resultValueMax": 100,
    }
    v12 = to_wire(ITEM, V12, PROFILES["oneroster_1p2"])
    assert v12["school"] == {"sourcedId": "org-1", "type": "org"}
    assert request_body(ITEM, V11, GENERIC) == {"lineItem": v11}


def test_to_wire_validates_first() -> None:
    with pytest.raises(InvalidRequest):
        to_wire(replace(ITEM, title=""), V11, GENERIC)


RESULT = Result(sourced_id="gc-r-1", line_item=GUIDRef(sourced_id="gc-li-1"),
                student=GUIDRef(sourced_id="stu-1"), score_status=ScoreStatus.EXEMPT, score=300.0, comment="",
                score_date=datetime(2026, 9, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
                text_score="A", late=True, missing=False, class_=GUIDRef(sourced_id="cls-1"))


def test_result_wire_score_date_per_profile_and_1p2_fields() -> None:
    v11 = to_wire(RESULT, V11, GENERIC)
    assert v11 == {"sourcedId": "gc-r-1", "lineItem": {"sourcedId": "gc-li-1", "type": "lineItem"},
                   "student": {"sourcedId": "stu-1", "type": "user"}, "scoreStatus": "exempt",
                   "score": 300, "scoreDate": "2026-09-03", "comment": ""}
    assert to_wire(RESULT, V11, DATETIME_PROFILE)["scoreDate"] == "2026-09-03T04:30:00.000Z"
    v12 = to_wire(RESULT, V12, GENERIC)
    assert (v12["textScore"], v12["late"], v12["missing"]) == ("A", "true", "false")
    assert "incomplete" not in v12 and v12["class"]["sourcedId"] == "cls-1"


def test_category_weight_only_on_1p2() -> None:
    cat = Category(sourced_id="cat-9", title="Labs", weight=0.5)
    assert to_wire(cat, V11, GENERIC) == {"sourcedId": "cat-9", "title": "Labs"}
    expected = {"category": {"sourcedId": "cat-9", "title": "Labs", "weight": 0.5}}
    assert request_body(cat, V12, GENERIC) == expected
