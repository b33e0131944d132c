"""Write validation: a PUT body in, the object to store out, or a 400 `invaliddata` naming the field.

The rules are deliberately strict (this is the part of the sandbox that catches client bugs):
required fields per version, references that must point at the right kind of object in the
right class, ISO 8601 dates, numbers (numeric strings are accepted and stored as numbers), the
vendor's title length, category and gradingPeriod requirements, and closed grading periods.
Refs are accepted with `sourcedId` only and stored as full GUIDRefs.
Call the `validate_*` functions with the vendor's gradebook lock held.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sisbridge.vendors import OneRosterVersion, VendorProfile

from .imsx import invalid
from .roster import Bases, Roster
from .store import Gradebook

Obj = dict[str, Any]
V11, V12 = OneRosterVersion.V1P1, OneRosterVersion.V1P2

SCORE_STATUSES = frozenset({"exempt", "fully graded", "not submitted", "partially graded", "submitted"})
_EXT_STATUS = re.compile(r"^ext:[a-zA-Z0-9._-]+$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
FLAGS = ("inProgress", "incomplete", "late", "missing")


@dataclass(frozen=True, slots=True)
class WriteContext:
    version: OneRosterVersion
    profile: VendorProfile
    roster: Roster
    gradebook: Gradebook
    bases: Bases
    closed_grading_periods: tuple[str, ...]

    @property
    def v12(self) -> bool:
        return self.version is V12


def now_stamp() -> str:
    """dateLastModified for a write: UTC with milliseconds, as OneRoster examples show it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_body(raw: bytes, envelope: str, path_id: str) -> Obj:
    """The object inside `{"<envelope>": {...}}`; its sourcedId, if any, must equal the path's."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid("Request body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get(envelope), dict):
        raise invalid(f'Request body must be {{"{envelope}": {{...}}}}')
    obj: Obj = body[envelope]
    if "sourcedId" in obj and obj["sourcedId"] != path_id:
        raise invalid(f"{envelope}.sourcedId {obj['sourcedId']!r} does not match the path's {path_id!r}")
    return obj


def _string(obj: Obj, kind: str, name: str, *, required: bool, max_len: int | None = None,
            vendor: str = "") -> str | None:
    value = obj.get(name)
    if value is None or (required and value == ""):
        if required:
            raise invalid(f"{kind}.{name} is required")
        return None
    if not isinstance(value, str):
        raise invalid(f"{kind}.{name} must be a string")
    if max_len is not None and len(value) > max_len:
        raise invalid(f"{kind}.{name} is {len(value)} characters; {vendor} accepts at most {max_len}")
    return value


def _number(obj: Obj, kind: str, name: str, *, required: bool) -> int | float | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise invalid(f"{kind}.{name} is required")
        return None
    number: int | float
    if isinstance(value, bool):
        raise invalid(f"{kind}.{name} must be a number, got {value!r}")
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            try:
                number = float(value.strip())
            except ValueError:
                raise invalid(f"{kind}.{name} must be a number, got {value!r}") from None
    else:
        raise invalid(f"{kind}.{name} must be a number, got {value!r}")
    if isinstance(number, float) and not math.isfinite(number):
        raise invalid(f"{kind}.{name} must be a finite number")
    return number


def _date(obj: Obj, kind: str, name: str, *, required: bool) -> str | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise invalid(f"{kind}.{name} is required")
        return None
    if not isinstance(value, str) or not _ISO.match(value) or not _valid_calendar(value):
        raise invalid(f"{kind}.{name} must be an ISO 8601 date or datetime, got {value!r}")
    return value


def _valid_calendar(value: str) -> bool:
    """The regex checked the shape; this checks the values (no 2026-02-30, no 25:00)."""
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _ref(obj: Obj, kind: str, name: str, *, required: bool, types: tuple[str, ...]) -> str | None:
    """The sourcedId of GUIDRef `name`; a `type` other than one of `types` is refused."""
    value = obj.get(name)
    if value is None:
        if required:
            raise invalid(f"{kind}.{name} is required")
        return None
    if not isinstance(value, dict) or not isinstance(value.get("sourcedId"), str) or not value["sourcedId"]:
        raise invalid(f'{kind}.{name} must be a GUIDRef like {{"sourcedId": "..."}}')
    if "type" in value and value["type"] not in types:
        raise invalid(f"{kind}.{name} has type {value['type']!r}; expected {' or '.join(types)}")
    return str(value["sourcedId"])


def _metadata(obj: Obj, kind: str) -> Obj | None:
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise invalid(f"{kind}.metadata must be an object")
    return meta


def _check_open(ctx: WriteContext, grading_period_id: str | None) -> None:
    if grading_period_id and grading_period_id in ctx.closed_grading_periods:
        session = ctx.roster.sessions.get(grading_period_id)
        title = session["title"] if session else grading_period_id
        raise invalid(f"Grading period {title} is closed")


def check_line_item_open(ctx: WriteContext, line_item: Obj | None) -> None:
    """Refuse a write that lands in a closed grading period (through this lineItem)."""
    if line_item is not None:
        _check_open(ctx, (line_item.get("gradingPeriod") or {}).get("sourcedId"))


def validate_category(ctx: WriteContext, obj: Obj, path_id: str) -> tuple[Obj, str | None]:
    limits = ctx.profile.limits
    out: Obj = {"sourcedId": path_id, "status": "active", "dateLastModified": now_stamp(),
                "title": _string(obj, "category", "title", required=True,
                                 max_len=limits.category_title_max_length, vendor=ctx.profile.name)}
    class_id = None
    meta = _metadata(obj, "category")
    if meta is not None:
        out["metadata"] = meta
        if "classId" in meta:
            class_id = meta["classId"]
            if class_id not in ctx.roster.classes:
                raise invalid(f"category.metadata.classId {class_id!r} is not a known class")
    if ctx.v12 and (weight := _number(obj, "category", "weight", required=False)) is not None:
        out["weight"] = weight
    return out, class_id


def validate_line_item(ctx: WriteContext, obj: Obj, path_id: str) -> tuple[Obj, str]:
    p, r, k = ctx.profile, ctx.roster, "lineItem"
    out: Obj = {"sourcedId": path_id, "status": "active", "dateLastModified": now_stamp()}
    # Over-long titles are stored cut to the vendor's limit, as Google's conformance suite expects
    # ("Assignment Title Limit" records the stored length); a careful client never relies on it.
    title = str(_string(obj, k, "title", required=True))
    out["title"] = title[: p.limits.title_max_length] if p.limits.title_max_length else title
    if (description := _string(obj, k, "description", required=False)) is not None:
        out["description"] = description
    out["assignDate"] = _date(obj, k, "assignDate", required=True)
    if (due := _date(obj, k, "dueDate", required=ctx.v12)) is not None:
        out["dueDate"] = due

    class_id = str(_ref(obj, k, "class", required=True, types=("class",)))
    if class_id not in r.classes:
        raise invalid(f"lineItem.class {class_id!r} is not a known class")
    existing = ctx.gradebook.line_items.record(path_id)
    if existing is not None and existing.class_id != class_id:
        raise invalid(f"lineItem.class cannot change from {existing.class_id!r} to {class_id!r}")
    out["class"] = ctx.bases.ref("class", class_id)

    school_id = _ref(obj, k, "school", required=ctx.v12, types=("org",))
    if school_id is not None:
        if school_id != r.class_school(class_id):
            raise invalid(f"lineItem.school {school_id!r} is not the school of class {class_id!r}")
        out["school"] = ctx.bases.ref("org", school_id)

    category_id = _ref(obj, k, "category", required=ctx.v12 or p.limits.category_required,
                       types=("category",))
    if category_id is not None:
        category = ctx.gradebook.categories.record(category_id)
        if category is None:
            raise invalid(f"lineItem.category {category_id!r} is not a known category")
        if category.class_id is not None and category.class_id != class_id:
            raise invalid(f"lineItem.category {category_id!r} belongs to class {category.class_id!r}")
        out["category"] = ctx.bases.ref("category", category_id)

    gp_id = _ref(obj, k, "gradingPeriod", required=False, types=("academicSession", "gradingPeriod"))
    if gp_id is None and p.limits.grading_period_required:
        # The SIS files an item without a grading period under the one holding its due date.
        gp_id = _period_holding(r, class_id, (out.get("dueDate") or out["assignDate"])[:10])
        if gp_id is None:
            raise invalid(f"lineItem.gradingPeriod is required: no grading period of class {class_id!r} "
                          f"holds the due date {out.get('dueDate') or out['assignDate']}")
    if gp_id is not None:
        session = r.sessions.get(gp_id)
        if session is None or session["type"] != "gradingPeriod":
            raise invalid(f"lineItem.gradingPeriod {gp_id!r} is not a gradingPeriod")
        if not set(r.ancestors(gp_id)) & set(r.class_term_ids(class_id)):
            raise invalid(f"lineItem.gradingPeriod {gp_id!r} is not in a term of class {class_id!r}")
        out["gradingPeriod"] = ctx.bases.ref("academicSession", gp_id)
    _check_open(ctx, gp_id)
    if existing is not None:
        check_line_item_open(ctx, existing.obj)

    if ctx.v12:
        session_id = _ref(obj, k, "academicSession", required=False, types=("academicSession",))
        if session_id is not None:
            if session_id not in r.sessions:
                raise invalid(f"lineItem.academicSession {session_id!r} is not a known academicSession")
            out["academicSession"] = ctx.bases.ref("academicSession", session_id)
        if (scale := _ref(obj, k, "scoreScale", required=False, types=("scoreScale",))) is not None:
            raise invalid(f"lineItem.scoreScale {scale!r} is not a known scoreScale")
        if "learningObjectiveSet" in obj:
            if not isinstance(obj["learningObjectiveSet"], list):
                raise invalid("lineItem.learningObjectiveSet must be a list")
            out["learningObjectiveSet"] = obj["learningObjectiveSet"]

    low = _number(obj, k, "resultValueMin", required=not ctx.v12)
    high = _number(obj, k, "resultValueMax", required=False)
    if low is not None and high is not None and low > high:
        raise invalid(f"lineItem.resultValueMin {low} is greater than resultValueMax {high}")
    if high is not None and p.limits.whole_number_points and float(high) != int(high):
        raise invalid(f"lineItem.resultValueMax must be a whole number of points for {p.name}, got {high}")
    for name, value in (("resultValueMin", low), ("resultValueMax", high)):
        if value is not None:
            out[name] = value
    if (meta := _metadata(obj, k)) is not None:
        out["metadata"] = meta
    return out, class_id


def validate_result(ctx: WriteContext, obj: Obj, path_id: str) -> tuple[Obj, str]:
    r, gb, k = ctx.roster, ctx.gradebook, "result"
    out: Obj = {"sourcedId": path_id, "status": "active", "dateLastModified": now_stamp()}
    li_id = str(_ref(obj, k, "lineItem", required=True, types=("lineItem",)))
    line_item = gb.line_items.record(li_id)
    if line_item is None:
        raise invalid(f"result.lineItem {li_id!r} is not a known lineItem")
    class_id = str(line_item.class_id)
    out["lineItem"] = ctx.bases.ref("lineItem", li_id)

    student_id = str(_ref(obj, k, "student", required=True, types=("user", "student")))
    if r.roles.get(student_id) != "student":
        raise invalid(f"result.student {student_id!r} is not a known student")
    if student_id not in r.enrolled[class_id]:
        raise invalid(f"result.student {student_id!r} is not enrolled in class {class_id!r}")
    out["student"] = ctx.bases.ref("user", student_id)

    if ctx.v12 and (given_class := _ref(obj, k, "class", required=False, types=("class",))) is not None:
        if given_class != class_id:
            raise invalid(f"result.class {given_class!r} is not the class of lineItem {li_id!r}")
        out["class"] = ctx.bases.ref("class", class_id)

    status = obj.get("scoreStatus")
    if status is None:
        raise invalid("result.scoreStatus is required")
    extension = ctx.v12 and isinstance(status, str) and _EXT_STATUS.match(status)
    if status not in SCORE_STATUSES and not extension:
        allowed = ", ".join(sorted(SCORE_STATUSES)) + (" or ext:<name>" if ctx.v12 else "")
        raise invalid(f"result.scoreStatus {status!r} is not one of {allowed}")
    out["scoreStatus"] = status

    text_score = _string(obj, k, "textScore", required=False) if ctx.v12 else None
    score = _number(obj, k, "score", required=not (ctx.v12 and text_score is not None))
    if score is not None:
        out["score"] = score
    if text_score is not None:
        out["textScore"] = text_score
    out["scoreDate"] = _date(obj, k, "scoreDate", required=True)
    if (comment := _string(obj, k, "comment", required=False)) is not None:
        out["comment"] = comment
    if ctx.v12:
        for flag in FLAGS:
            if flag in obj:
                if obj[flag] not in ("true", "false"):
                    raise invalid(f'result.{flag} must be the string "true" or "false", got {obj[flag]!r}')
                out[flag] = obj[flag]
    if (meta := _metadata(obj, k)) is not None:
        out["metadata"] = meta

    holder = gb.results.ids_where("lineItem_student", (li_id, student_id))
    if holder and holder[0] != path_id:
        raise invalid(f"student {student_id!r} already has result {holder[0]!r} for lineItem {li_id!r}")
    check_line_item_open(ctx, line_item.obj)
    existing = gb.results.get(path_id)
    if existing is not None:
        check_line_item_open(ctx, gb.line_items.get(existing["lineItem"]["sourcedId"]))
    return out, class_id


def _period_holding(r: Any, class_id: str, day: str) -> str | None:
    terms = set(r.class_term_ids(class_id))
    for sid, session in r.sessions.items():
        if (session["type"] == "gradingPeriod" and set(r.ancestors(sid)) & terms
                and session["startDate"] <= day <= session["endDate"]):
            return str(sid)
    return None
