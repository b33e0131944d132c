"""Walk a OneRoster collection page by page.

Order of trust: a `Link: <…>; rel="next"` header is followed when the provider sends links (no
`next` then means the end); otherwise `offset` advances by the number of items received until
`X-Total-Count` is reached or, without a total, a page comes back shorter than `limit`. Advancing
by what was received (not by `limit`) keeps a provider that caps the page size from losing rows.
A provider that serves the same page twice, or links to a page already read, is stopped with
`SisProtocolError` instead of looping forever; items repeated across pages are yielded once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from sisbridge.errors import SisProtocolError

from .filters import Filter, with_query

__all__ = ["Page", "iterate_pages", "parse_link_header", "parse_total_count"]

MAX_PAGES = 100_000

_LINK_RE = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,]+(?:="[^"]*"|=[^;,]*)?)*)')
_REL_RE = re.compile(r'rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Page:
    items: Sequence[Mapping[str, Any]]
    links: Mapping[str, str]  # rel -> absolute URL
    total: int | None  # X-Total-Count, when sent and sane


def parse_link_header(value: str | None, base_url: str) -> dict[str, str]:
    """RFC 8288 `Link` → {rel: absolute URL}; relative targets are resolved against `base_url`."""
    links: dict[str, str] = {}
    for match in _LINK_RE.finditer(value or ""):
        target, params = match.group(1).strip(), match.group(2)
        for rel_match in _REL_RE.finditer(params):
            for rel in (rel_match.group(1) or rel_match.group(2) or "").lower().split():
                links.setdefault(rel, urljoin(base_url, target))
    return links


def parse_total_count(value: str | None) -> int | None:
    try:
        total = int((value or "").strip())
    except ValueError:
        return None
    return total if total >= 0 else None


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


async def iterate_pages(
    fetch: Callable[[str], Awaitable[Page]],
    url: str,
    params: Mapping[str, str | int | Filter | None],
    *,
    limit: int,
    what: str,
) -> AsyncIterator[Mapping[str, Any]]:
    """Yield every raw item of the collection at `url`; `fetch` GETs one page URL."""
    offset = 0
    current = with_query(url, {**params, "limit": limit, "offset": offset})
    visited: set[str] = set()
    seen_ids: set[str] = set()
    for _ in range(MAX_PAGES):
        if current in visited:
            raise SisProtocolError(f"The SIS sent {what} back to a page already read ({len(visited)} pages "
                                   "in); paging stopped", field="Link")
        visited.add(current)
        page = await fetch(current)
        ids = [str(item["sourcedId"]) for item in page.items if item.get("sourcedId") is not None]
        if ids and len(ids) == len(page.items) and all(i in seen_ids for i in ids):
            raise SisProtocolError(f"The SIS repeated a page of {what} (offset {offset}); it ignores "
                                   "offset or limit, paging stopped", field="offset")
        for item in page.items:
            sid = item.get("sourcedId")
            if sid is not None:
                if str(sid) in seen_ids:
                    continue
                seen_ids.add(str(sid))
            yield item
        if not page.items:
            return
        if page.links:
            nxt = page.links.get("next")
            if nxt is None:
                return
            if not _same_origin(nxt, current):
                raise SisProtocolError(f"The SIS linked the next page of {what} to another host; not "
                                       "followed (credentials would go with it)", field="Link")
            current = nxt
            continue
        offset += len(page.items)
        if page.total is not None:
            if offset >= page.total:
                return
        elif len(page.items) < limit:
            return
        current = with_query(url, {**params, "limit": limit, "offset": offset})
    raise SisProtocolError(f"Paging {what} did not end after {MAX_PAGES} pages", field="offset")
