"""Roster and gradebook reads against the SIS sandbox, for every vendor, version and auth method."""

from __future__ import annotations

import pytest
from sisbridge.errors import SisNotFound
from sisbridge.oneroster import Service, SessionType, eq
from sisbridge.sandbox import seed

from .conftest import FLAVOURS, Flavour, Sandbox, by_id

pytestmark = pytest.mark.anyio
ADA = seed.TEACHERS[0]
ALGEBRA = seed.SECTIONS[0]


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_link_a_class(sandbox: Sandbox, flavour: Flavour) -> None:
    """Google's linking sequence: teacher by email → active classes → class → students, terms, periods."""
    async with sandbox.client(flavour) as sis:
        teachers = [t async for t in sis.teachers_by_email(ADA.email)]
        assert [(t.sourced_id, t.email, t.role) for t in teachers] == [(ADA.sourced_id, ADA.email, "teacher")]
        classes = [c async for c in sis.classes_for_teacher(ADA.sourced_id)]
        mine = {s.class_sourced_id for s in seed.SECTIONS if s.teacher == ADA.sourced_id}
        assert {c.sourced_id for c in classes} == mine
        cls = await sis.get_class(ALGEBRA.class_sourced_id)
        assert cls.title == ALGEBRA.title and [t.sourced_id for t in cls.terms] == [ALGEBRA.term]
        assert cls.school is not None and cls.school.sourced_id == seed.SCHOOL_ID
        students = [s async for s in sis.students_for_class(cls.sourced_id)]
        assert [s.sourced_id for s in students] == list(ALGEBRA.students)
        assert all(s.email for s in students)
        term = await sis.get_term(ALGEBRA.term)
        assert term.type is SessionType.SEMESTER
        periods = [p async for p in sis.grading_periods_for_term(ALGEBRA.term)]
        assert [p.sourced_id for p in periods] == ["gp-2027-q1", "gp-2027-q2"]
        assert all(p.type is SessionType.GRADING_PERIOD and p.start_date and p.end_date for p in periods)
        assert {t.sourced_id async for t in sis.terms()} >= {"as-2027", "as-2027-s1", "as-2027-s2"}


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_categories_per_category_source(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour) as sis:
        cats = [c async for c in sis.categories_for_class("cls-cs-p2")]
    assert [c.title for c in cats] == ["Labs", "Projects", "Exams"]
    assert all((c.metadata or {}).get("classId") == "cls-cs-p2" for c in cats)
    assert sandbox.statuses(flavour.vendor) == {"200": 1}  # one request, whichever route the profile uses


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_paging_across_page_boundaries(sandbox: Sandbox, flavour: Flavour) -> None:
    async with sandbox.client(flavour, page_size=5) as sis:
        students = [s.sourced_id async for s in sis.students_for_class("cls-cs-p2")]
    expected = next(s for s in seed.SECTIONS if s.class_sourced_id == "cls-cs-p2").students
    assert students == list(expected) and len(expected) == 20
    assert sandbox.statuses(flavour.vendor) == {"200": 4}  # 20 students / 5; no `next` on the 4th page


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 30, 10_000])
async def test_every_page_size_yields_everything_once(sandbox: Sandbox, page_size: int) -> None:
    flavour = FLAVOURS[0]
    async with sandbox.client(flavour, page_size=page_size) as sis:
        users = [str(u["sourcedId"]) async for u in sis.iter_collection("/users", "users")]
    assert len(users) == len(set(users)) == len(seed.TEACHERS) + len(seed.STUDENTS)


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_filters_reach_the_sis_intact(sandbox: Sandbox, flavour: Flavour) -> None:
    """Quotes, spaces, dots and an OR survive encoding (and, on OAuth 1.0a, signing)."""
    async with sandbox.client(flavour) as sis:
        both = eq("familyName", "Lovelace").or_(eq("givenName", "Grace"))
        people = [u["sourcedId"] async for u in sis.iter_collection("/teachers", "users", {"filter": both})]
        assert sorted(people) == ["tch-1001", "tch-1003"]
        spaced = [c["sourcedId"] async for c in sis.iter_collection(
            "/classes", "classes", {"filter": eq("title", "Biology - Period 4")})]
        assert spaced == ["cls-bio-p4"]
        by_meta = [c["sourcedId"] async for c in sis.iter_collection(
            "/categories", "categories", {"filter": eq("metadata.classId", "cls-geo-p3")},
            service=Service.GRADEBOOK)]
        assert by_meta == ["cat-cls-geo-p3-1", "cat-cls-geo-p3-2", "cat-cls-geo-p3-3"]
        nobody = [u async for u in sis.teachers_by_email("nobody@district.example")]
        assert nobody == []


@pytest.mark.parametrize("flavour", **by_id(FLAVOURS))
async def test_seeded_gradebook_reads(sandbox: Sandbox, flavour: Flavour) -> None:
    cls = ALGEBRA.class_sourced_id
    async with sandbox.client(flavour) as sis:
        items = [li async for li in sis.line_items_for_class(cls)]
        assert [li.sourced_id for li in items] == [f"li-sis-{cls}"]
        li = await sis.get_line_item(items[0].sourced_id)
        # Skyward sends the numbers as strings
        assert (li.title, li.result_value_min, li.result_value_max) == ("Participation", 0, 10)
        results = [r async for r in sis.results_for_line_item(cls, li.sourced_id)]
        assert sorted(r.score for r in results if r.score is not None) == [9, 10]
        one = await sis.get_result(results[0].sourced_id)
        assert one.line_item.sourced_id == li.sourced_id
        raw = await sis.get("/lineItems/" + li.sourced_id, "lineItem", service=Service.GRADEBOOK)
        assert raw["sourcedId"] == li.sourced_id
        with pytest.raises(SisNotFound) as exc:
            await sis.get_line_item("no-such-item")
    assert exc.value.http_status == 404 and exc.value.code_minor == "unknownobject"
    assert exc.value.sis_description == "Unknown lineItem 'no-such-item'"
    assert exc.value.url is not None and exc.value.url.endswith("/lineItems/no-such-item")


async def test_an_apostrophe_in_a_filter_value(sandbox: Sandbox) -> None:
    async with sandbox.client(FLAVOURS[0]) as sis:
        assert [t async for t in sis.teachers_by_email("o'brien@district.example")] == []
