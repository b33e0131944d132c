"""The exported content of a lineItem or result, its hash, and a short human summary.

The hash decides whether an item must be written again, so it covers exactly the fields sisbridge
sends and nothing else, in a canonical form: sorted keys, compact separators, floats normalised
(10 and 10.0 and -0.0/0 hash alike; a non-finite number is refused), datetimes in UTC to the
millisecond (what the wire sends), refs as their sourcedId. Changing this canonical form changes
every hash and so rewrites every item once: bump CONTENT_VERSION when doing it on purpose.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sisbridge.oneroster.models import GUIDRef, LineItem, Result

__all__ = ["CONTENT_VERSION", "Scalar", "canonical_json", "content_hash", "line_item_content",
           "line_item_summary", "result_content", "result_summary"]

CONTENT_VERSION = 2  # 2: scoreDate left out of result content
Scalar = str | int | float | bool | None


def _canon(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot hash the non-finite number {value!r}")
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"cannot hash the naive datetime {value!r}")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _canon(value.value)
    if isinstance(value, GUIDRef):
        return value.sourced_id
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical_json(content: Mapping[str, Any]) -> str:
    return json.dumps(_canon(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON, salted with CONTENT_VERSION."""
    payload = f"v{CONTENT_VERSION}:{canonical_json(content)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def line_item_content(item: LineItem) -> dict[str, Any]:
    return {
        "sourcedId": item.sourced_id,
        "title": item.title,
        "description": item.description,
        "assignDate": item.assign_date,
        "dueDate": item.due_date,
        "class": item.class_,
        "category": item.category,
        "gradingPeriod": item.grading_period,
        "school": item.school,
        "resultValueMin": item.result_value_min,
        "resultValueMax": item.result_value_max,
    }


def result_content(result: Result) -> dict[str, Any]:
    return {
        "sourcedId": result.sourced_id,
        "lineItem": result.line_item,
        "student": result.student,
        "scoreStatus": result.score_status,
        "score": result.score,
        # scoreDate is left out: it is the submission's update time, which a teacher's draft
        # re-grade moves without changing what the student sees; it is sent with real changes.
        "comment": result.comment,
        "late": result.late,
    }


def line_item_summary(item: LineItem) -> dict[str, Scalar]:
    """What a dry run shows for a lineItem: small, JSON-able, kept in the ledger."""
    return {"title": item.title, "max": _canon(item.result_value_max), "due": _canon(item.due_date)}


def result_summary(result: Result) -> dict[str, Scalar]:
    summary: dict[str, Scalar] = {"score": _canon(result.score)}
    if result.late is not None:
        summary["late"] = result.late
    return summary
