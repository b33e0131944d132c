"""OneRoster `filter` expressions and query strings, built so a value can never break out.

Grammar (REST binding): `<field><op>'<value>'`, ops `= != > >= < <= ~`, at most one ` AND ` or
` OR ` joining two clauses. The spec defines no escape for a quote inside a value; we double it
(`O''Brien`), the common SQL/OData convention, rather than let it end the literal.
Query strings are percent-encoded per RFC 3986 (space → %20, never "+"), the same encoding the
OAuth 1.0a base string uses, so what we sign is byte-for-byte what we send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from sisbridge.errors import InvalidRequest

__all__ = ["Filter", "encode_query", "eq", "with_query"]

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~")
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Filter:
    """One clause, or two joined by AND/OR. `str(f)` is the wire form (before URL-encoding)."""

    text: str
    clauses: int = 1

    @classmethod
    def clause(cls, field: str, op: str, value: str | int | float) -> Filter:
        if not _FIELD_RE.fullmatch(field):
            raise InvalidRequest(f"filter: {field!r} is not a field name", field="filter")
        if op not in OPERATORS:
            raise InvalidRequest(f"filter: {op!r} is not one of {' '.join(OPERATORS)}", field="filter")
        text = str(value)
        if _CONTROL_RE.search(text):
            raise InvalidRequest("filter: the value contains control characters", field="filter")
        return cls(f"{field}{op}'{text.replace(chr(39), chr(39) * 2)}'")

    def _join(self, word: str, other: Filter) -> Filter:
        if self.clauses + other.clauses > 2:
            raise InvalidRequest("filter: OneRoster allows at most one AND or OR", field="filter")
        return Filter(f"{self.text} {word} {other.text}", 2)

    def and_(self, other: Filter) -> Filter:
        return self._join("AND", other)

    def or_(self, other: Filter) -> Filter:
        return self._join("OR", other)

    def __str__(self) -> str:
        return self.text


def eq(field: str, value: str | int | float) -> Filter:
    """`field='value'`, the only operator sisbridge's reads need."""
    return Filter.clause(field, "=", value)


def _enc(value: str) -> str:
    return quote(value, safe="-._~")


def encode_query(params: Mapping[str, str | int | Filter | None]) -> str:
    """`k=v&…` with RFC 3986 encoding; None values are left out, order is kept."""
    return "&".join(f"{_enc(k)}={_enc(str(v))}" for k, v in params.items() if v is not None)


def with_query(url: str, params: Mapping[str, str | int | Filter | None]) -> str:
    query = encode_query(params)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"
