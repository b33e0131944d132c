"""Collection query parameters: `filter`, `sort`/`orderBy`, `fields`, `limit`/`offset`, and the Link header.

The filter grammar is the OneRoster REST binding's: `<field><op>'<value>'`, ops `= != > >= < <= ~`,
at most one ` AND ` or ` OR ` joining two clauses, dotted fields into objects (`metadata.classId`,
`class.sourcedId`). Values may also come unquoted (`metadata.classId=cls-1`), because Aspen's own
clients send them that way. A field that the entity type does not have is refused with
`invalid_filter_field`, even if no stored object happens to carry it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from .imsx import ImsxError

Obj = dict[str, Any]

_COMMON = {"sourcedId": "s", "status": "s", "dateLastModified": "s", "metadata": "o"}
# Per entity type: field -> "s" (scalar) or "o" (object or list: dotted sub-fields allowed).
SCHEMAS: dict[str, dict[str, str]] = {
    "user": _COMMON | dict.fromkeys(
        ("username", "enabledUser", "givenName", "familyName", "middleName", "role", "identifier", "email",
         "sms", "phone", "password", "userMasterIdentifier", "preferredFirstName", "preferredLastName"), "s")
    | dict.fromkeys(("userIds", "agents", "orgs", "grades", "roles", "primaryOrg", "userProfiles"), "o"),
    "class": _COMMON | dict.fromkeys(("title", "classCode", "classType", "location"), "s")
    | dict.fromkeys(
        ("grades", "subjects", "course", "school", "terms", "subjectCodes", "periods", "resources"), "o"),
    "org": _COMMON | dict.fromkeys(("name", "type", "identifier"), "s")
    | dict.fromkeys(("parent", "children"), "o"),
    "academicSession": _COMMON | dict.fromkeys(("title", "startDate", "endDate", "type", "schoolYear"), "s")
    | dict.fromkeys(("parent", "children", "org"), "o"),
    "course": _COMMON | dict.fromkeys(("title", "courseCode"), "s")
    | dict.fromkeys(("schoolYear", "grades", "subjects", "org", "subjectCodes", "resources"), "o"),
    "category": _COMMON | dict.fromkeys(("title", "weight"), "s"),
    "lineItem": _COMMON | dict.fromkeys(
        ("title", "description", "assignDate", "dueDate", "resultValueMin", "resultValueMax"), "s")
    | dict.fromkeys(("class", "category", "gradingPeriod", "academicSession", "school", "scoreScale",
                     "learningObjectiveSet"), "o"),
    "result": _COMMON | dict.fromkeys(
        ("scoreStatus", "score", "textScore", "scoreDate", "comment", "inProgress", "incomplete", "late",
         "missing"), "s")
    | dict.fromkeys(("lineItem", "student", "class", "scoreScale", "learningObjectiveSet"), "o"),
}

_CLAUSE = re.compile(
    r"\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*"
    r"(?P<op>!=|>=|<=|=|>|<|~)\s*(?:'(?P<quoted>(?:[^']|'')*)'|(?P<bare>[^\s']+))\s*"
)
_JOIN = re.compile(r"(AND|OR)\s")
_DIGITS = re.compile(r"^[0-9]+$")
DEFAULT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Clause:
    path: tuple[str, ...]
    op: str
    value: str


@dataclass(frozen=True, slots=True)
class Filter:
    clauses: tuple[Clause, ...]
    join: str | None = None  # "AND" | "OR" when there are two clauses


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Obj]
    total: int
    offset: int
    limit: int


def _bad_filter(description: str) -> ImsxError:
    return ImsxError(400, "invalid_filter_field", description)


def _check_path(path: tuple[str, ...], kind: str) -> bool:
    schema = SCHEMAS[kind]
    return path[0] in schema and (len(path) == 1 or schema[path[0]] == "o")


def parse_filter(text: str, kind: str) -> Filter:
    """Parse a filter for entities of `kind`; raises 400 `invalid_filter_field` on any problem."""
    clauses: list[Clause] = []
    join: str | None = None
    pos = 0
    while True:
        m = _CLAUSE.match(text, pos)
        if not m:
            raise _bad_filter(f"Malformed filter {text!r}: expected <field><op>'<value>'")
        path = tuple(m["field"].split("."))
        if not _check_path(path, kind):
            raise _bad_filter(f"Unknown filter field {m['field']!r} for {kind}")
        value = m["quoted"].replace("''", "'") if m["quoted"] is not None else m["bare"]  # '' is a quote
        clauses.append(Clause(path, m["op"], value))
        pos = m.end()
        if pos == len(text):
            return Filter(tuple(clauses), join)
        j = _JOIN.match(text, pos)
        if not j or len(clauses) == 2:
            raise _bad_filter(f"Malformed filter {text!r}: at most one AND or OR joining two clauses")
        join, pos = j[1], j.end()


def resolve(node: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at `path`, fanning out through lists; a bare GUIDRef resolves to its sourcedId."""
    if isinstance(node, list):
        return [v for item in node for v in resolve(item, path)]
    if not path:
        if isinstance(node, dict) and "sourcedId" in node:
            return [node["sourcedId"]]
        return [] if node is None else [node]
    if isinstance(node, dict) and path[0] in node:
        return resolve(node[path[0]], path[1:])
    return []


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(actual: Any, op: str, expected: str) -> bool:
    if op == "~":
        return expected.lower() in str(actual).lower()
    left: Any
    right: Any
    left, right = str(actual), expected
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        number = _as_number(expected)
        if number is not None:
            left, right = float(actual), number
    return {"=": left == right, "!=": left != right, ">": left > right, ">=": left >= right,
            "<": left < right, "<=": left <= right}[op]


def _clause_matches(obj: Obj, clause: Clause) -> bool:
    values = resolve(obj, clause.path)
    if clause.op == "!=":
        return all(_compare(v, "!=", clause.value) for v in values)
    return any(_compare(v, clause.op, clause.value) for v in values)


def matches(obj: Obj, flt: Filter) -> bool:
    results = (_clause_matches(obj, c) for c in flt.clauses)
    return any(results) if flt.join == "OR" else all(results)


def _int_param(args: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not _DIGITS.match(raw) or int(raw) < minimum:
        raise ImsxError(400, "invaliddata", f"{name} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


def _sort_key(obj: Obj, path: tuple[str, ...]) -> tuple[int, Any]:
    values = resolve(obj, path)
    if not values:
        return (0, "")
    v = values[0]
    if isinstance(v, int | float) and not isinstance(v, bool):
        return (1, float(v))
    return (2, str(v))


def select_fields(obj: Obj, selection: tuple[str, ...] | None) -> Obj:
    return obj if selection is None else {k: obj[k] for k in selection if k in obj}


def parse_fields(args: Mapping[str, str], kind: str) -> tuple[str, ...] | None:
    raw = args.get("fields")
    if raw is None:
        return None
    names = tuple(f.strip() for f in raw.split(",") if f.strip())
    for name in names:
        if name not in SCHEMAS[kind]:
            raise ImsxError(400, "invalid_selection_field", f"Unknown field {name!r} in fields for {kind}")
    return names


def run_query(items: list[Obj], args: Mapping[str, str], kind: str) -> Page:
    """Filter, sort and page `items` (already scoped to the route) per the request's parameters."""
    limit = _int_param(args, "limit", DEFAULT_LIMIT, 1)
    offset = _int_param(args, "offset", 0, 0)
    if args.get("filter"):
        flt = parse_filter(args["filter"], kind)
        items = [o for o in items if matches(o, flt)]
    sort, order = args.get("sort"), args.get("orderBy", "asc")
    if order not in ("asc", "desc"):
        raise ImsxError(400, "invalid_sort_field", f"orderBy must be asc or desc, got {order!r}")
    if sort:
        path = tuple(sort.split("."))
        if not _check_path(path, kind):
            raise ImsxError(400, "invalid_sort_field", f"Unknown sort field {sort!r} for {kind}")
        items = sorted(items, key=lambda o: _sort_key(o, path), reverse=order == "desc")
    return Page(items=items[offset:offset + limit], total=len(items), offset=offset, limit=limit)


def link_header(base_url: str, args: list[tuple[str, str]], page: Page) -> str:
    """RFC 8288 links to the first, previous, next and last pages, on the request's own URL."""

    def url(offset: int) -> str:
        pairs = [(k, v) for k, v in args if k not in ("offset", "limit")]
        pairs += [("limit", str(page.limit)), ("offset", str(offset))]
        return f"{base_url}?{urlencode(pairs, quote_via=quote)}"

    last = ((page.total - 1) // page.limit) * page.limit if page.total else 0
    links = [(url(0), "first")]
    if page.offset > 0:
        links.append((url(max(0, page.offset - page.limit)), "prev"))
    if page.offset + page.limit < page.total:
        links.append((url(page.offset + page.limit), "next"))
    links.append((url(last), "last"))
    return ", ".join(f'<{u}>; rel="{rel}"' for u, rel in links)
