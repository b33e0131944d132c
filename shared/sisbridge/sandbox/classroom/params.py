"""Query parameters as Classroom reads them: repeated enum lists, orderBy, pageSize and pageToken.

Page tokens are opaque: base64 of `offset:query-hash`. A token only works with the query that
produced it ("The list request must be otherwise identical"); a malformed or foreign token is 400.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .errors import invalid
from .models import ClassroomConfig

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")

ORDER_FIELDS = ("updateTime", "dueDate")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    size: int
    offset: int
    query_key: str


def enum_values(raw: Sequence[str], kind: type[E], name: str) -> frozenset[E] | None:
    """Parse a repeated enum parameter (`states=A&states=B`); None when absent."""
    if not raw:
        return None
    try:
        return frozenset(kind(v) for v in raw)
    except ValueError:
        bad = next(v for v in raw if v not in {m.value for m in kind})
        raise invalid(f"Invalid value at '{name}' ({kind.__name__}), \"{bad}\"") from None


def order_by(raw: str | None) -> tuple[tuple[str, bool], ...]:
    """`"dueDate asc,updateTime desc"` → (("dueDate", False), ("updateTime", True)); default: updateTime desc.

    Sorting by dueDate puts items without one last (first when descending).
    """
    if not raw:
        return (("updateTime", True),)
    keys: list[tuple[str, bool]] = []
    for part in raw.split(","):
        words = part.split()
        if (
            not words
            or len(words) > 2
            or words[0] not in ORDER_FIELDS
            or (len(words) == 2 and words[1] not in ("asc", "desc"))
        ):
            raise invalid(
                f"Invalid orderBy: {raw!r}. Supported fields: updateTime, dueDate; directions asc, desc."
            )
        keys.append((words[0], len(words) == 2 and words[1] == "desc"))
    return tuple(keys)


def page(args: Mapping[str, str], config: ClassroomConfig, query: Iterable[object]) -> Page:
    """Read pageSize and pageToken; `query` is every other parameter that shapes the list."""
    raw_size = args.get("pageSize", "")
    try:
        size = int(raw_size) if raw_size else 0
    except ValueError:
        raise invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw_size}\"") from None
    if size < 0:
        raise invalid("pageSize must not be negative.")
    size = min(size or config.default_page_size, config.max_page_size)
    key = hashlib.sha256(repr(tuple(query)).encode()).hexdigest()[:12]
    return Page(size=size, offset=_decode(args.get("pageToken", ""), key), query_key=key)


def slice_page(items: Sequence[T], p: Page) -> tuple[Sequence[T], str | None]:
    """The page's items and the token of the next page (None on the last page)."""
    end = p.offset + p.size
    token = _encode(end, p.query_key) if end < len(items) else None
    return items[p.offset : end], token


def _encode(offset: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{key}".encode()).decode().rstrip("=")


def _decode(token: str, key: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset, _, token_key = raw.partition(":")
        if token_key == key and int(offset) >= 0:
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid("Invalid page token.")
