"""Validation of the values sisbridge mints, before anything reaches an SIS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sisbridge.errors import InvalidRequest
from sisbridge.oneroster import Category, GUIDRef, LineItem, Result, ScoreStatus
from sisbridge.oneroster.models import check_sourced_id
from sisbridge.vendors import OneRosterVersion

V11, V12 = OneRosterVersion.V1P1, OneRosterVersion.V1P2
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def line_item(**changes: object) -> LineItem:
    base = LineItem(sourced_id="gc-li-1", title="Quiz 1", class_=GUIDRef(sourced_id="cls-1"),
                    assign_date=T0, due_date=T0, result_value_min=0, result_value_max=100,
                    school=GUIDRef(sourced_id="org-1"))
    return replace(base, **changes)  # type: ignore[arg-type]


def result(**changes: object) -> Result:
    base = Result(sourced_id="gc-res-1", line_item=GUIDRef(sourced_id="gc-li-1"),
                  student=GUIDRef(sourced_id="stu-1"), score_status=ScoreStatus.FULLY_GRADED,
                  score=80, score_date=date(2026, 9, 2))
    return replace(base, **changes)  # type: ignore[arg-type]


def field_of(exc: pytest.ExceptionInfo[InvalidRequest]) -> str:
    return str(exc.value.details["field"])


def test_valid_values_pass_both_versions() -> None:
    for version in (V11, V12):
        line_item().validate(version)
        result().validate(version)
        Category(sourced_id="cat-1", title="Homework", weight=0.4).validate(version)


@pytest.mark.parametrize("sid", ["", "has space", "a/b", "é", "x" * 256, "q?x=1"])
def test_sourced_id_must_be_url_safe(sid: str) -> None:
    with pytest.raises(InvalidRequest) as exc:
        line_item(sourced_id=sid).validate(V11)
    assert field_of(exc) == "sourcedId"


def test_sourced_id_accepts_the_full_alphabet() -> None:
    assert check_sourced_id("A-z_0.9") == "A-z_0.9"
    assert check_sourced_id("x" * 255)


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "  "}, "title"),
    ({"assign_date": None}, "assignDate"),
    ({"due_date": datetime(2026, 9, 1, 8, 0)}, "dueDate"),  # naive
    ({"result_value_min": 100, "result_value_max": 100}, "resultValueMin"),
    ({"result_value_min": 5, "result_value_max": 1}, "resultValueMin"),
    ({"result_value_max": None}, "resultValueMax"),
    ({"result_value_min": float("nan")}, "resultValueMin"),
    ({"class_": GUIDRef(sourced_id="")}, "class"),
])
def test_line_item_fields_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as exc:
        line_item(**changes).validate(V11)
    assert field_of(exc) == field
    assert field in exc.value.message


def test_line_item_1p2_makes_min_max_optional_but_needs_school() -> None:
    line_item(result_value_min=None, result_value_max=None).validate(V12)
    with pytest.raises(InvalidRequest) as exc:
        line_item(school=None).validate(V12)
    assert field_of(exc) == "school"
    line_item(school=None).validate(V11)


def test_score_status_enumeration_and_ext_values() -> None:
    result(score_status="ext:pending-review").validate(V12)
    with pytest.raises(InvalidRequest) as exc:
        result(score_status="ext:pending-review").validate(V11)
    assert field_of(exc) == "scoreStatus"
    with pytest.raises(InvalidRequest) as exc:
        result(score_status="graded").validate(V12)
    assert field_of(exc) == "scoreStatus"


def test_result_score_required_on_1p1_only() -> None:
    result(score=None, text_score="A-").validate(V12)
    with pytest.raises(InvalidRequest) as exc:
        result(score=None).validate(V11)
    assert field_of(exc) == "score"


def test_result_needs_a_score_date_and_boolean_flags() -> None:
    with pytest.raises(InvalidRequest) as exc:
        result(score_date=None).validate(V11)
    assert field_of(exc) == "scoreDate"
    with pytest.raises(InvalidRequest) as exc:
        result(late="yes").validate(V12)
    assert field_of(exc) == "late"


def test_category_title_and_weight() -> None:
    with pytest.raises(InvalidRequest) as exc:
        Category(sourced_id="c1", title="").validate(V12)
    assert field_of(exc) == "title"
    with pytest.raises(InvalidRequest) as exc:
        Category(sourced_id="c1", title="T", weight=float("inf")).validate(V12)
    assert field_of(exc) == "weight"


def test_models_are_frozen() -> None:
    item = line_item()
    with pytest.raises(AttributeError):
        item.title = "x"  # type: ignore[misc]
