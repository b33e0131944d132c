"""JSON ↔ models, and every envelope key, in one place.

Parsing treats each SIS answer as untrusted: numbers may be strings, refs may lack href/type,
dates may be dates or datetimes, optional fields may be missing. A required field that is
missing or malformed raises `SisProtocolError` naming it; nothing here raises anything else.
Formatting (`to_wire`) sends every field the vendors need and nothing the version lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Generic, TypeVar

from sisbridge.vendors import OneRosterVersion, VendorProfile

from . import coerce as c
from .models import (
    AcademicSession,
    Category,
    GUIDRef,
    LineItem,
    Org,
    Result,
    ScoreStatus,
    SessionType,
    SisClass,
    User,
)

__all__ = [
    "ACADEMIC_SESSIONS",
    "CATEGORIES",
    "CLASSES",
    "LINE_ITEMS",
    "ORGS",
    "RESULTS",
    "USERS",
    "Kind",
    "format_datetime",
    "parse_academic_session",
    "parse_category",
    "parse_class",
    "parse_line_item",
    "parse_org",
    "parse_result",
    "parse_user",
    "request_body",
    "to_wire",
    "unwrap_many",
    "unwrap_one",
]

T = TypeVar("T")
Raw = Mapping[str, Any]
V11 = OneRosterVersion.V1P1


# ---- entities ---------------------------------------------------------------------------------

_SCORE_STATUS_ALIASES = {"not submmitted": ScoreStatus.NOT_SUBMITTED}  # OAS 1.1 typo


def parse_score_status(value: Any, where: str = "result.scoreStatus") -> ScoreStatus | str:
    if not isinstance(value, str) or not value.strip():
        raise c.bad(where, "is missing" if value in (None, "") else "expected a string")
    normalised = " ".join(value.split()).lower()
    try:
        return ScoreStatus(normalised)
    except ValueError:
        return _SCORE_STATUS_ALIASES.get(normalised, value.strip())  # ext:… and the unknown, as sent


def parse_line_item(raw: Any) -> LineItem:
    raw = c.obj(raw, "lineItem")
    w = "lineItem"
    return LineItem(
        sourced_id=c.sid(raw, w),
        title=c.required_text(raw, "title", w),
        class_=c.required_ref(raw, "class", w),
        assign_date=c.as_datetime(c.when(raw, "assignDate", w)),
        due_date=c.as_datetime(c.when(raw, "dueDate", w)),
        description=c.text(raw, "description", w),
        category=c.ref(raw, "category", w),
        grading_period=c.ref(raw, "gradingPeriod", w),
        school=c.ref(raw, "school", w),
        result_value_min=c.number(raw, "resultValueMin", w),
        result_value_max=c.number(raw, "resultValueMax", w),
        **c.common(raw, w),
    )


def parse_result(raw: Any) -> Result:
    raw = c.obj(raw, "result")
    w = "result"
    return Result(
        sourced_id=c.sid(raw, w),
        line_item=c.required_ref(raw, "lineItem", w),
        student=c.required_ref(raw, "student", w),
        score_status=parse_score_status(raw.get("scoreStatus"), f"{w}.scoreStatus"),
        score=c.number(raw, "score", w),
        score_date=c.when(raw, "scoreDate", w),
        comment=c.text(raw, "comment", w),
        text_score=c.text(raw, "textScore", w),
        late=c.flag(raw, "late", w),
        missing=c.flag(raw, "missing", w),
        incomplete=c.flag(raw, "incomplete", w),
        in_progress=c.flag(raw, "inProgress", w),
        class_=c.ref(raw, "class", w),
        **c.common(raw, w),
    )


def parse_category(raw: Any) -> Category:
    raw = c.obj(raw, "category")
    w = "category"
    return Category(sourced_id=c.sid(raw, w), title=c.required_text(raw, "title", w),
                    weight=c.number(raw, "weight", w), **c.common(raw, w))


def parse_class(raw: Any) -> SisClass:
    raw = c.obj(raw, "class")
    w = "class"
    return SisClass(
        sourced_id=c.sid(raw, w), title=c.text(raw, "title", w), class_code=c.text(raw, "classCode", w),
        class_type=c.text(raw, "classType", w), location=c.text(raw, "location", w),
        course=c.ref(raw, "course", w), school=c.ref(raw, "school", w), terms=c.refs(raw, "terms", w),
        **c.common(raw, w),
    )


def _role(raw: Raw, where: str) -> str | None:
    role = c.text(raw, "role", where)
    if role is None and isinstance(raw.get("roles"), list):  # 1.2: [{roleType, role, org}]
        roles = [r for r in raw["roles"] if isinstance(r, Mapping) and r.get("role")]
        primary = [r for r in roles if r.get("roleType") == "primary"] or roles
        role = str(primary[0]["role"]) if primary else None
    return role


def parse_user(raw: Any) -> User:
    raw = c.obj(raw, "user")
    w = "user"
    return User(
        sourced_id=c.sid(raw, w), username=c.text(raw, "username", w), given_name=c.text(raw, "givenName", w),
        family_name=c.text(raw, "familyName", w), email=c.text(raw, "email", w), role=_role(raw, w),
        identifier=c.text(raw, "identifier", w), enabled_user=c.flag(raw, "enabledUser", w),
        orgs=c.refs(raw, "orgs", w), **c.common(raw, w),
    )


def parse_academic_session(raw: Any) -> AcademicSession:
    raw = c.obj(raw, "academicSession")
    w = "academicSession"
    kind = c.text(raw, "type", w)
    session_type: SessionType | str | None = kind
    if kind is not None:
        try:
            session_type = SessionType(kind)
        except ValueError:
            session_type = kind
    return AcademicSession(
        sourced_id=c.sid(raw, w), title=c.text(raw, "title", w), type=session_type,
        start_date=c.as_date(c.when(raw, "startDate", w)), end_date=c.as_date(c.when(raw, "endDate", w)),
        parent=c.ref(raw, "parent", w), children=c.refs(raw, "children", w),
        school_year=c.text(raw, "schoolYear", w), **c.common(raw, w),
    )


def parse_org(raw: Any) -> Org:
    raw = c.obj(raw, "org")
    w = "org"
    return Org(sourced_id=c.sid(raw, w), name=c.text(raw, "name", w), type=c.text(raw, "type", w),
               identifier=c.text(raw, "identifier", w), parent=c.ref(raw, "parent", w), **c.common(raw, w))


# ---- envelopes --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Kind(Generic[T]):
    """A resource's envelope keys and parser. Aliases are keys some vendors use instead."""

    singular: str
    plural: str
    parse: Callable[[Any], T]
    singular_aliases: tuple[str, ...] = ()
    plural_aliases: tuple[str, ...] = ()


LINE_ITEMS = Kind("lineItem", "lineItems", parse_line_item)
RESULTS = Kind("result", "results", parse_result)
CATEGORIES = Kind("category", "categories", parse_category)
CLASSES = Kind("class", "classes", parse_class)
USERS = Kind("user", "users", parse_user, ("teacher", "student"), ("teachers", "students"))
ACADEMIC_SESSIONS = Kind("academicSession", "academicSessions", parse_academic_session,
                         ("term", "gradingPeriod"), ("terms", "gradingPeriods"))  # Aspen: gradingPeriods
ORGS = Kind("org", "orgs", parse_org, ("school",), ("schools",))


def unwrap_one(body: Any, singular: str, aliases: tuple[str, ...] = ()) -> Raw:
    """The object inside `{"<singular>": {...}}`; a bare object with a sourcedId is tolerated."""
    if not isinstance(body, Mapping):
        raise c.bad(singular, f"expected a JSON object, got {type(body).__name__}")
    for key in (singular, *aliases):
        if key in body:
            return c.obj(body[key], singular)
    if "sourcedId" in body:
        return body
    raise c.bad(singular, f"the {singular!r} envelope is missing")


def unwrap_many(body: Any, plural: str, aliases: tuple[str, ...] = ()) -> list[Raw]:
    """The objects inside `{"<plural>": [...]}` (a statusInfoSet next to them is ignored)."""
    if not isinstance(body, Mapping):
        raise c.bad(plural, f"expected a JSON object, got {type(body).__name__}")
    for key in (plural, *aliases):
        if key in body:
            items = body[key]
            if items is None:
                return []
            if isinstance(items, Mapping):
                items = [items]
            if not isinstance(items, list):
                raise c.bad(plural, f"expected a list, got {type(items).__name__}")
            return [c.obj(item, f"{plural}[{i}]") for i, item in enumerate(items)]
    raise c.bad(plural, f"the {plural!r} envelope is missing")


# ---- formatting -------------------------------------------------------------------------------

def format_datetime(value: date | datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC; a date is midnight UTC."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time(0), tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _format_score_date(value: date | datetime, profile: VendorProfile) -> str:
    if profile.score_date_format == "datetime":
        return format_datetime(value)
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.isoformat()


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _wire_ref(ref: GUIDRef, default_type: str) -> dict[str, str]:
    out = {"sourcedId": ref.sourced_id, "type": ref.type or default_type}
    if ref.href:
        out["href"] = ref.href
    return out


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _line_item_wire(item: LineItem, version: OneRosterVersion) -> dict[str, Any]:
    assert item.assign_date is not None and item.due_date is not None  # validate() checked them
    out: dict[str, Any] = {"sourcedId": item.sourced_id, "title": item.title}
    if item.description is not None:
        out["description"] = item.description
    out["assignDate"] = format_datetime(item.assign_date)
    out["dueDate"] = format_datetime(item.due_date)
    out["class"] = _wire_ref(item.class_, "class")
    if item.category is not None:
        out["category"] = _wire_ref(item.category, "category")
    if item.grading_period is not None:
        out["gradingPeriod"] = _wire_ref(item.grading_period, "academicSession")
    if item.school is not None and version is not V11:
        out["school"] = _wire_ref(item.school, "org")
    if item.result_value_min is not None:
        out["resultValueMin"] = _num(item.result_value_min)
    if item.result_value_max is not None:
        out["resultValueMax"] = _num(item.result_value_max)
    if item.metadata:
        out["metadata"] = dict(item.metadata)
    return out


def _result_wire(result: Result, version: OneRosterVersion, profile: VendorProfile) -> dict[str, Any]:
    assert result.score_date is not None  # validate() checked it
    status = result.score_status
    out: dict[str, Any] = {
        "sourcedId": result.sourced_id,
        "lineItem": _wire_ref(result.line_item, "lineItem"),
        "student": _wire_ref(result.student, "user"),
        "scoreStatus": status.value if isinstance(status, ScoreStatus) else status,
    }
    if result.score is not None:
        out["score"] = _num(result.score)
    out["scoreDate"] = _format_score_date(result.score_date, profile)
    if result.comment is not None:
        out["comment"] = result.comment
    if version is not V11:
        if result.text_score is not None:
            out["textScore"] = result.text_score
        for attr, key in (("late", "late"), ("missing", "missing"), ("incomplete", "incomplete"),
                          ("in_progress", "inProgress")):
            flag = getattr(result, attr)
            if flag is not None:
                out[key] = _bool_text(flag)
        if result.class_ is not None:
            out["class"] = _wire_ref(result.class_, "class")
    if result.metadata:
        out["metadata"] = dict(result.metadata)
    return out


def _category_wire(category: Category, version: OneRosterVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"sourcedId": category.sourced_id, "title": category.title}
    if category.weight is not None and version is not V11:
        out["weight"] = _num(category.weight)
    if category.metadata:
        out["metadata"] = dict(category.metadata)
    return out


def to_wire(obj: LineItem | Result | Category, version: OneRosterVersion,
            profile: VendorProfile) -> dict[str, Any]:
    """The JSON object for a PUT (without its envelope), after `obj.validate(version)`."""
    obj.validate(version)
    if isinstance(obj, LineItem):
        return _line_item_wire(obj, version)
    if isinstance(obj, Result):
        return _result_wire(obj, version, profile)
    return _category_wire(obj, version)


def request_body(obj: LineItem | Result | Category, version: OneRosterVersion,
                 profile: VendorProfile) -> dict[str, Any]:
    """The PUT body: the same singular envelope as reads, e.g. `{"lineItem": {...}}`."""
    if isinstance(obj, LineItem):
        key = LINE_ITEMS.singular
    elif isinstance(obj, Result):
        key = RESULTS.singular
    else:
        key = CATEGORIES.singular
    return {key: to_wire(obj, version, profile)}
