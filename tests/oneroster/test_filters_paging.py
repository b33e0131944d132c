"""Filter building, query encoding and the paging walk (a fake page source, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sisbridge.errors import InvalidRequest, SisProtocolError
from sisbridge.oneroster import Filter, encode_query, eq
from sisbridge.oneroster.paging import Page, iterate_pages, parse_link_header, parse_total_count

# ---- filters ------------------------------------------------------------------------------------


def test_eq_quotes_and_escapes() -> None:
    assert str(eq("email", "t@x.org")) == "email='t@x.org'"
    assert str(eq("familyName", "O'Brien")) == "familyName='O''Brien'"
    assert str(eq("metadata.classId", "cls-1")) == "metadata.classId='cls-1'"


def test_one_join_at_most() -> None:
    both = eq("status", "active").and_(Filter.clause("dateLastModified", ">", "2026-08-01T00:00:00Z"))
    assert str(both) == "status='active' AND dateLastModified>'2026-08-01T00:00:00Z'"
    with pytest.raises(InvalidRequest):
        both.or_(eq("a", "b"))


@pytest.mark.parametrize(("field", "op", "value"), [
    ("email' OR '1'='1", "=", "x"), ("", "=", "x"), ("a", "LIKE", "x"), ("a", "=", "line\nbreak"),
])
def test_unsafe_filters_refused(field: str, op: str, value: str) -> None:
    with pytest.raises(InvalidRequest):
        Filter.clause(field, op, value)


def test_query_encoding_is_rfc3986() -> None:
    query = encode_query({"filter": eq("email", "a b+c@x.org"), "limit": 10, "offset": None, "sort": "~x"})
    assert query == "filter=email%3D%27a%20b%2Bc%40x.org%27&limit=10&sort=~x"
    assert parse_qs(query)["filter"] == ["email='a b+c@x.org'"]


# ---- link header --------------------------------------------------------------------------------

def test_link_header() -> None:
    base = "https://sis.example/ims/oneroster/v1p1/users?limit=2&offset=0"
    header = ('<https://sis.example/ims/oneroster/v1p1/users?limit=2&offset=2>; rel="next", '
              '</ims/oneroster/v1p1/users?limit=2&offset=8>; rel="last",<x?a=1,2>;rel=prev')
    links = parse_link_header(header, base)
    assert links["next"].endswith("offset=2")
    assert links["last"] == "https://sis.example/ims/oneroster/v1p1/users?limit=2&offset=8"
    assert links["prev"] == "https://sis.example/ims/oneroster/v1p1/x?a=1,2"
    assert parse_link_header(None, base) == {} and parse_link_header("garbage", base) == {}


def test_total_count() -> None:
    assert parse_total_count("12") == 12
    assert [parse_total_count(v) for v in (None, "-1", "x")] == [None, None, None]


# ---- paging walk --------------------------------------------------------------------------------

BASE = "https://sis.example/v1p1/users"


class FakeCollection:
    """Serves `n` items by offset/limit, optionally with links, a total, a page cap or bugs."""

    def __init__(self, n: int, *, links: bool = False, total: bool = False, cap: int | None = None,
                 ignore_offset: bool = False, foreign_next: bool = False, loop_link: bool = False) -> None:
        self.items = [{"sourcedId": f"u{i}"} for i in range(n)]
        self.links, self.total, self.cap = links, total, cap
        self.ignore_offset, self.foreign_next, self.loop_link = ignore_offset, foreign_next, loop_link
        self.urls: list[str] = []

    async def fetch(self, url: str) -> Page:
        self.urls.append(url)
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        limit, offset = int(q["limit"]), 0 if self.ignore_offset else int(q["offset"])
        size = min(limit, self.cap) if self.cap else limit
        chunk = self.items[offset:offset + size]
        links: dict[str, str] = {}
        if self.links:
            links["first"] = f"{BASE}?limit={limit}&offset=0"
            if offset + size < len(self.items):
                links["next"] = f"{BASE}?limit={limit}&offset={offset + size}"
            if self.foreign_next:
                links["next"] = "https://evil.example/steal"
            if self.loop_link:
                links["next"] = url
        return Page(items=chunk, links=links, total=len(self.items) if self.total else None)


async def walk(source: FakeCollection, limit: int, params: Mapping[str, Any] | None = None) -> list[str]:
    return [str(item["sourcedId"]) async for item in
            iterate_pages(source.fetch, BASE, params or {}, limit=limit, what="/users")]


@pytest.mark.anyio
@pytest.mark.parametrize("kwargs", [{}, {"links": True}, {"total": True}, {"links": True, "total": True}])
@pytest.mark.parametrize("n", [0, 1, 4, 5, 6, 13])
async def test_every_item_once(n: int, kwargs: dict[str, bool]) -> None:
    source = FakeCollection(n, **kwargs)
    assert await walk(source, 5) == [f"u{i}" for i in range(n)]


@pytest.mark.anyio
async def test_offset_steps_and_params_kept() -> None:
    source = FakeCollection(7)
    await walk(source, 3, {"filter": eq("status", "active")})
    assert [parse_qs(urlsplit(u).query)["offset"] for u in source.urls] == [["0"], ["3"], ["6"]]
    assert all("filter=status%3D%27active%27" in u for u in source.urls)


@pytest.mark.anyio
async def test_capped_pages_with_total_lose_nothing() -> None:
    source = FakeCollection(25, total=True, cap=10)
    assert len(await walk(source, 100)) == 25


@pytest.mark.anyio
async def test_capped_pages_without_total_stop_at_short_page() -> None:
    source = FakeCollection(25, cap=10)  # documented limitation: no total, no links → a short page ends it
    assert len(await walk(source, 100)) == 10


@pytest.mark.anyio
async def test_repeated_pages_stop_with_protocol_error() -> None:
    with pytest.raises(SisProtocolError, match="repeated a page"):
        await walk(FakeCollection(10, ignore_offset=True), 3)


@pytest.mark.anyio
async def test_link_loop_stops() -> None:
    with pytest.raises(SisProtocolError, match="already read"):
        await walk(FakeCollection(10, links=True, loop_link=True), 3)


@pytest.mark.anyio
async def test_foreign_next_link_not_followed() -> None:
    with pytest.raises(SisProtocolError, match="another host"):
        await walk(FakeCollection(10, links=True, foreign_next=True), 3)


@pytest.mark.anyio
async def test_overlapping_pages_yield_items_once() -> None:
    class Overlap(FakeCollection):
        async def fetch(self, url: str) -> Page:
            page = await super().fetch(url)
            extra = [{"sourcedId": "u0"}] if "offset=0" not in url else []
            return Page(items=[*page.items, *extra], links=page.links, total=page.total)

    assert await walk(Overlap(6, total=True), 3) == [f"u{i}" for i in range(6)]
