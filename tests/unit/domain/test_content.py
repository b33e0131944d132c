from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sisbridge.domain import content_hash, line_item_content, result_content
from sisbridge.domain.content import canonical_json, line_item_summary, result_summary
from sisbridge.oneroster.models import GUIDRef, LineItem, Result, ScoreStatus

ITEM = LineItem(sourced_id="li-1", title="Quiz", class_=GUIDRef(sourced_id="class-1"),
                assign_date=datetime(2025, 9, 1, 14, tzinfo=UTC),
                due_date=datetime(2025, 9, 8, 14, tzinfo=UTC),
                result_value_min=0.0, result_value_max=10.0, category=GUIDRef(sourced_id="cat-1"))
RESULT = Result(sourced_id="r-1", line_item=GUIDRef(sourced_id="li-1"), student=GUIDRef(sourced_id="stu-1"),
                score_status=ScoreStatus.FULLY_GRADED, score=8.0, score_date=datetime(2025, 9, 9, tzinfo=UTC),
                comment="")


def h(item: LineItem | Result) -> str:
    return content_hash(line_item_content(item) if isinstance(item, LineItem) else result_content(item))


def test_the_hash_is_pinned() -> None:
    # Changing the canonical form rewrites every item of every class once: do it on purpose only.
    assert canonical_json(result_content(RESULT)) == (
        '{"comment":"","late":null,"lineItem":"li-1","score":8,'
        '"scoreStatus":"fully graded","sourcedId":"r-1","student":"stu-1"}')
    assert h(RESULT) == "0900f01d524c34e2d17f2ca63830f65f0bf4c479d4a118996c7872bb2041d8f9"


def test_numbers_and_instants_are_normalised() -> None:
    assert h(replace(RESULT, score=8)) == h(RESULT)  # type: ignore[arg-type]
    assert h(replace(RESULT, score=0.0)) == h(replace(RESULT, score=-0.0))
    paris = timezone(timedelta(hours=2))
    assert h(replace(ITEM, due_date=datetime(2025, 9, 8, 16, tzinfo=paris))) == h(ITEM)
    assert h(replace(ITEM, due_date=ITEM.due_date + timedelta(microseconds=10))) == h(ITEM)  # type: ignore[operator]
    assert h(replace(ITEM, category=GUIDRef(sourced_id="cat-1", type="category", href="x"))) == h(ITEM)


def test_every_exported_field_changes_the_hash() -> None:
    changed_items = [replace(ITEM, title="Quiz!"), replace(ITEM, description="d"),
                     replace(ITEM, result_value_max=11.0),
                     replace(ITEM, due_date=ITEM.due_date + timedelta(seconds=1)),  # type: ignore[operator]
                     replace(ITEM, category=None), replace(ITEM, grading_period=GUIDRef(sourced_id="gp")),
                     replace(ITEM, school=GUIDRef(sourced_id="s"))]
    changed_results = [replace(RESULT, score=8.5), replace(RESULT, late=True), replace(RESULT, comment="x"),
                       replace(RESULT, score_status=ScoreStatus.EXEMPT)]
    hashes = {h(x) for x in [ITEM, RESULT, *changed_items, *changed_results]}
    assert len(hashes) == 2 + len(changed_items) + len(changed_results)
    # The scoreDate alone (the submission's update time, moved by a draft re-grade) is no change.
    assert h(replace(RESULT, score_date=datetime(2025, 9, 10, tzinfo=UTC))) == h(RESULT)


def test_unhashable_values_are_refused_not_guessed() -> None:
    with pytest.raises(ValueError):
        h(replace(RESULT, score=float("nan")))
    with pytest.raises(ValueError):
        h(replace(ITEM, due_date=datetime(2025, 9, 9)))  # a naive time: no instant to hash


def test_summaries_are_small_and_json_able() -> None:
    assert line_item_summary(ITEM) == {"title": "Quiz", "max": 10, "due": "2025-09-08T14:00:00.000Z"}
    assert result_summary(RESULT) == {"score": 8}
    assert result_summary(replace(RESULT, score=8.5, late=False)) == {"score": 8.5, "late": False}
