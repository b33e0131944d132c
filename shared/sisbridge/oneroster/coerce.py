"""Lenient readers for untrusted OneRoster JSON: one value at a time, naming the field on failure.

Numbers may arrive as strings, booleans as "true"/"false", dates as dates or datetimes (naive
ones are taken as UTC), refs as full GUIDRefs, sourcedId-only objects or bare ids. A value that
is present but unusable raises `SisProtocolError` with `field` set to its dotted path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sisbridge.errors import SisProtocolError

from .models import GUIDRef, Status

Raw = Mapping[str, Any]


def bad(where: str, problem: str) -> SisProtocolError:
    return SisProtocolError(f"{where}: {problem}", field=where)


# ---- primitives -------------------------------------------------------------------------------

def text(raw: Raw, key: str, where: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise bad(f"{where}.{key}", "is missing")
        return None
    if isinstance(value, bool) or isinstance(value, dict | list):
        raise bad(f"{where}.{key}", f"expected a string, got {type(value).__name__}")
    return str(value)


def required_text(raw: Raw, key: str, where: str) -> str:
    value = text(raw, key, where, required=True)
    if value is None:  # unreachable: text() raised; narrows the type
        raise bad(f"{where}.{key}", "is missing")
    return value


def number(raw: Raw, key: str, where: str, *, required: bool = False) -> float | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad(f"{where}.{key}", "is missing")
        return None
    if isinstance(value, bool):
        raise bad(f"{where}.{key}", "expected a number, got a boolean")
    try:
        parsed = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise bad(f"{where}.{key}", f"{str(value)[:40]!r} is not a number") from None
    if not math.isfinite(parsed):
        raise bad(f"{where}.{key}", "is not a finite number")
    return parsed


TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}


def flag(raw: Raw, key: str, where: str) -> bool | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise bad(f"{where}.{key}", f"{str(value)[:20]!r} is not \"true\" or \"false\"")


def parse_iso(value: Any, where: str) -> date | datetime:
    if not isinstance(value, str):
        raise bad(where, f"expected an ISO 8601 string, got {type(value).__name__}")
    stripped = value.strip()
    try:
        if len(stripped) == 10:
            return date.fromisoformat(stripped)
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise bad(where, f"{stripped[:40]!r} is not an ISO 8601 date or datetime") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(raw: Raw, key: str, where: str, *, lenient: bool = False) -> date | datetime | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_iso(value, f"{where}.{key}")
    except SisProtocolError:
        if lenient:
            return None
        raise


def as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=UTC)


def as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def ref_from(value: Any, where: str) -> GUIDRef:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return GUIDRef(sourced_id=str(value))  # some providers send a bare id
    if not isinstance(value, Mapping):
        raise bad(where, f"expected a reference object, got {type(value).__name__}")
    return GUIDRef(sourced_id=required_text(value, "sourcedId", where), type=text(value, "type", where),
                   href=text(value, "href", where))


def ref(raw: Raw, key: str, where: str, *, required: bool = False) -> GUIDRef | None:
    value = raw.get(key)
    if value is None or value == "" or value == {}:
        if required:
            raise bad(f"{where}.{key}", "is missing")
        return None
    return ref_from(value, f"{where}.{key}")


def required_ref(raw: Raw, key: str, where: str) -> GUIDRef:
    value = ref(raw, key, where, required=True)
    if value is None:  # unreachable: ref() raised; narrows the type
        raise bad(f"{where}.{key}", "is missing")
    return value


def refs(raw: Raw, key: str, where: str) -> tuple[GUIDRef, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(ref_from(v, f"{where}.{key}[{i}]") for i, v in enumerate(items))


def status(raw: Raw) -> Status | None:
    value = raw.get("status")
    try:
        return Status(str(value).strip().lower()) if value is not None else None
    except ValueError:
        return None  # an unknown record status is not worth failing a read over


def metadata(raw: Raw) -> Mapping[str, Any] | None:
    value = raw.get("metadata")
    return value if isinstance(value, Mapping) else None


def common(raw: Raw, where: str) -> dict[str, Any]:
    return {
        "status": status(raw),
        "date_last_modified": as_datetime(when(raw, "dateLastModified", where, lenient=True)),
        "metadata": metadata(raw),
    }


def obj(raw: Any, where: str) -> Raw:
    if not isinstance(raw, Mapping):
        raise bad(where, f"expected an object, got {type(raw).__name__}")
    return raw


def sid(raw: Raw, where: str) -> str:
    return required_text(raw, "sourcedId", where)
