"""Gradebook writes against the sandbox: PUT create/update, DELETE, and every refusal it sends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sisbridge.errors import InvalidRequest, SisInvalidData
from sisbridge.oneroster import (
    Category,
    DeleteOutcome,
    GUIDRef,
    LineItem,
    OneRosterClient,
    Result,
    ScoreStatus,
    WriteOutcome,
)
from sisbridge.sandbox import seed
from sisbridge.vendors import AuthMethod, OneRosterVersion

from .conftest import FLAVOURS, Flavour, Sandbox, by_id

pytestmark = pytest.mark.anyio
V11, V12 = OneRosterVersion.V1P1, OneRosterVersion.V1P2
CLS = "cls-alg1-p1"
STUDENT = seed.SECTIONS[0].students[0]
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def line_item(sid: str = "gc-li-1", cls: str = CLS, **changes: Any) -> LineItem:
    item = LineItem(
        sourced_id=sid, title="Quiz 1", description="Chapter 1", class_=GUIDRef(sourced_id=cls),
        assign_date=T0, due_date=T0.replace(day=8), category=GUIDRef(sourced_id=f"cat-{cls}-1"),
        grading_period=GUIDRef(sourced_id="gp-2027-q1"), school=GUIDRef(sourced_id=seed.SCHOOL_ID),
        result_value_min=0, result_value_max=100,
    )
    return replace(item, **changes)


def result(sid: str = "gc-res-1", li: str = "gc-li-1", student: str = STUDENT, **changes: Any) -> Result:
    res = Result(sourced_id=sid, line_item=GUIDRef(sourced_id=li), student=GUIDRef(sourced_id=student),
                 score_status=ScoreStatus.FULLY_GRADED, score=80, score_date=date(2026, 9, 9), comment="")
    return replace(res, **changes)


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_put_create_update_read_back_and_delete(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour) as sis:
        item = line_item()
        assert await sis.put_line_item(item) is WriteOutcome.CREATED
        assert await sis.put_line_item(replace(item, title="Quiz 1 (amended)")) is WriteOutcome.UPDATED
        stored = await sis.get_line_item(item.sourced_id)
        assert (stored.title, stored.class_.sourced_id) == ("Quiz 1 (amended)", CLS)
        assert stored.result_value_max == 100
        assert stored.due_date == T0.replace(day=8)
        assert item.sourced_id in [li.sourced_id async for li in sis.line_items_for_class(CLS)]

        res = result()
        assert await sis.put_result(res) is WriteOutcome.CREATED
        # extra credit is kept as-is
        assert await sis.put_result(replace(res, score=300)) is WriteOutcome.UPDATED
        assert (await sis.get_result(res.sourced_id)).score == 300
        await sis.put_result(replace(res, score_status=ScoreStatus.EXEMPT))
        back = await sis.get_result(res.sourced_id)
        assert back.score_status is ScoreStatus.EXEMPT and back.score_date == date(2026, 9, 9)
        listed = [r.sourced_id async for r in sis.results_for_line_item(CLS, item.sourced_id)]
        assert listed == [res.sourced_id]

        if not flavour.profile.limits.supports_delete:
            with pytest.raises(SisInvalidData) as exc:
                await sis.delete_result(res.sourced_id)
            assert exc.value.code_minor == "unsupportedoperation"
            assert "DELETE" not in sandbox.stats()["requests"][flavour.vendor]  # refused before sending
            return
        assert await sis.delete_result(res.sourced_id) is DeleteOutcome.DELETED
        assert await sis.delete_result(res.sourced_id) is DeleteOutcome.ALREADY_ABSENT
        assert await sis.delete_line_item(item.sourced_id) is DeleteOutcome.DELETED
        assert await sis.delete_line_item(item.sourced_id) is DeleteOutcome.ALREADY_ABSENT
        assert [li.sourced_id async for li in sis.line_items_for_class(CLS)] == [f"li-sis-{CLS}"]
    expected_delete = {"204": 2, "404": 2} if flavour.version is V12 else {"200": 2, "404": 2}
    assert sandbox.stats()["requests"][flavour.vendor]["DELETE"] == expected_delete


@pytest.mark.parametrize("flavour", **by_id([f for f in FLAVOURS if f.auth is AuthMethod.OAUTH2]))
async def test_categories_put_and_1p2_fields(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour) as sis:
        cat = Category(sourced_id="gc-cat-1", title="Classroom", weight=0.2, metadata={"classId": CLS})
        assert await sis.put_category(cat) is WriteOutcome.CREATED
        back = await sis.get_category(cat.sourced_id)
        assert back.weight == (0.2 if flavour.version is V12 else None)
        await sis.put_line_item(line_item(category=GUIDRef(sourced_id=cat.sourced_id)))
        flags = result(late=True, missing=False, text_score="B+", class_=GUIDRef(sourced_id=CLS))
        await sis.put_result(flags)
        stored = await sis.get_result(flags.sourced_id)
    if flavour.version is V12:
        assert (stored.late, stored.missing, stored.text_score) == (True, False, "B+")
    else:  # never sent on 1.1
        assert (stored.late, stored.missing, stored.text_score) == (None, None, None)


async def test_invalid_values_never_leave_the_client(sandbox: Sandbox) -> None:
    async with sandbox.client(FLAVOURS[0]) as sis:
        with pytest.raises(InvalidRequest):
            await sis.put_line_item(line_item(sid="bad id/with slash"))
        with pytest.raises(InvalidRequest):
            await sis.put_result(result(score_status="graded"))
    assert sandbox.stats()["total"] == 0


Action = Callable[[OneRosterClient], Awaitable[object]]


def put_item(**changes: Any) -> Action:
    return lambda sis: sis.put_line_item(line_item(**changes))


def put_res(**changes: Any) -> Action:
    return lambda sis: sis.put_result(result(**changes))


IC12 = Flavour("infinite_campus", V12, AuthMethod.OAUTH2)
GEN11 = Flavour("oneroster_1p1", V11, AuthMethod.OAUTH1)
SKY11 = Flavour("skyward", V11, AuthMethod.OAUTH2)
ASPEN = Flavour("aspen", V11, AuthMethod.OAUTH2)
OTHER_STUDENT = seed.SECTIONS[3].students[-1]  # in Biology only

REFUSALS: list[tuple[str, Flavour, Action, str]] = [
    ("unknown class", GEN11, put_item(cls="cls-nope", category=None),
     "lineItem.class 'cls-nope' is not a known class"),
    ("unknown category", GEN11, put_item(category=GUIDRef(sourced_id="cat-nope")),
     "lineItem.category 'cat-nope' is not a known category"),
    ("category of another class", IC12, put_item(category=GUIDRef(sourced_id="cat-cls-geo-p3-1")),
     "lineItem.category 'cat-cls-geo-p3-1' belongs to class 'cls-geo-p3'"),
    ("term is not a grading period", GEN11, put_item(grading_period=GUIDRef(sourced_id="as-2027-s1")),
     "lineItem.gradingPeriod 'as-2027-s1' is not a gradingPeriod"),
    ("grading period outside the class's term", GEN11,
     put_item(grading_period=GUIDRef(sourced_id="gp-2027-q3")),
     "lineItem.gradingPeriod 'gp-2027-q3' is not in a term of class 'cls-alg1-p1'"),
    ("school of another class", IC12, put_item(school=GUIDRef(sourced_id=seed.ORG_ID)),
     "lineItem.school 'org-district' is not the school of class 'cls-alg1-p1'"),
    ("fractional points", SKY11, put_item(result_value_max=99.5),
     "lineItem.resultValueMax must be a whole number of points for Skyward (SMS 2.0 and Qmlativ), got 99.5"),
    ("category required", ASPEN, put_item(category=None), "lineItem.category is required"),
    ("grading period required", SKY11,
     put_item(grading_period=None, due_date=datetime(2027, 3, 1, 8, 0, tzinfo=UTC)),
     "lineItem.gradingPeriod is required: no grading period of class 'cls-alg1-p1' holds the due date "
     "2027-03-01T08:00:00.000Z"),
    ("unknown line item", GEN11, put_res(li="li-nope"), "result.lineItem 'li-nope' is not a known lineItem"),
    ("unknown student", GEN11, put_res(li=f"li-sis-{CLS}", student="stu-nope"),
     "result.student 'stu-nope' is not a known student"),
    ("student not enrolled", GEN11, put_res(li=f"li-sis-{CLS}", student=OTHER_STUDENT),
     f"result.student '{OTHER_STUDENT}' is not enrolled in class 'cls-alg1-p1'"),
    ("second result for a student", GEN11, put_res(li=f"li-sis-{CLS}"),
     f"student '{STUDENT}' already has result 'res-sis-{CLS}-{STUDENT}' for lineItem 'li-sis-{CLS}'"),
    ("1.2 result without a score", IC12,
     put_res(li=f"li-sis-{CLS}", sid="gc-r-9", student=seed.SECTIONS[0].students[5], score=None),
     "result.score is required"),
    ("category for an unknown class", GEN11,
     lambda sis: sis.put_category(Category(sourced_id="gc-c", title="X", metadata={"classId": "nope"})),
     "category.metadata.classId 'nope' is not a known class"),
]


@pytest.mark.parametrize(("flavour", "action", "description"),
                         [pytest.param(f, a, d, id=name) for name, f, a, d in REFUSALS])
async def test_sandbox_refusals_map_to_invalid_data(sandbox: Sandbox, flavour: Flavour, action: Action,
                                                    description: str) -> None:
    async with sandbox.client(flavour) as sis:
        with pytest.raises(SisInvalidData) as exc:
            await action(sis)
    err = exc.value
    assert (err.http_status, err.code_minor, err.sis_description) == (400, "invaliddata", description)
    assert description in err.message and err.url and err.url.startswith(sandbox.url)


async def test_closed_grading_period_refuses_writes_and_deletes(sandbox: Sandbox) -> None:
    flavour = FLAVOURS[0]
    async with sandbox.client(flavour) as sis:
        await sis.put_line_item(line_item())
        sandbox.knobs(closed_grading_periods=["gp-2027-q1"])
        for action in (sis.put_result(result()), sis.delete_line_item("gc-li-1")):
            with pytest.raises(SisInvalidData) as exc:
                await action
            assert exc.value.sis_description == "Grading period Quarter 1 is closed"


async def test_class_of_a_line_item_cannot_change(sandbox: Sandbox) -> None:
    async with sandbox.client(GEN11) as sis:
        await sis.put_line_item(line_item())
        with pytest.raises(SisInvalidData) as exc:
            await sis.put_line_item(line_item(cls="cls-geo-p3", grading_period=None))
    assert exc.value.sis_description == "lineItem.class cannot change from 'cls-alg1-p1' to 'cls-geo-p3'"
