"""Typed OneRoster values: what the client reads from and writes to an SIS.

These are wire-level values, not sisbridge's domain. Objects parsed from an SIS are built
leniently by `wire.py` and may lack fields the spec calls required; objects we mint are checked
by `validate(version)`, which raises `InvalidRequest` naming the offending field before anything
is sent.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sisbridge.errors import InvalidRequest
from sisbridge.vendors import OneRosterVersion

__all__ = [
    "SOURCED_ID_RE",
    "AcademicSession",
    "Category",
    "GUIDRef",
    "LineItem",
    "Org",
    "Result",
    "ScoreStatus",
    "SessionType",
    "SisClass",
    "Status",
    "User",
    "check_sourced_id",
]

SOURCED_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,255}")
EXT_VALUE_RE = re.compile(r"ext:[A-Za-z0-9._-]+")


class Status(enum.Enum):
    ACTIVE = "active"
    TOBEDELETED = "tobedeleted"


class ScoreStatus(enum.Enum):
    """The five spec values; 1.2 also allows `ext:…` strings, carried as plain `str`."""

    EXEMPT = "exempt"
    FULLY_GRADED = "fully graded"
    NOT_SUBMITTED = "not submitted"
    PARTIALLY_GRADED = "partially graded"
    SUBMITTED = "submitted"


class SessionType(enum.Enum):
    GRADING_PERIOD = "gradingPeriod"
    SEMESTER = "semester"
    SCHOOL_YEAR = "schoolYear"
    TERM = "term"


def _invalid(field_name: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{field_name}: {problem}", field=field_name)


def check_sourced_id(value: str, field_name: str = "sourcedId") -> str:
    """Ids we mint travel in URL paths: keep them to `[A-Za-z0-9._-]{1,255}`."""
    if not isinstance(value, str) or not SOURCED_ID_RE.fullmatch(value):
        raise _invalid(field_name, f"{value!r} is not a URL-safe sourcedId ([A-Za-z0-9._-], 1-255 chars)")
    return value


def _check_aware(value: datetime | date | None, field_name: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise _invalid(field_name, "is required")
        return
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _invalid(field_name, "must be a timezone-aware datetime")
    elif not isinstance(value, date):
        raise _invalid(field_name, f"{value!r} is not a date or datetime")


def _check_number(value: float | None, field_name: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise _invalid(field_name, "is required")
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(field_name, f"{value!r} is not a finite number")


def _check_title(title: str, field_name: str = "title") -> None:
    if not isinstance(title, str) or not title.strip():
        raise _invalid(field_name, "must not be empty")


def _check_ref(ref: GUIDRef | None, field_name: str, *, required: bool) -> None:
    if ref is None:
        if required:
            raise _invalid(field_name, "is required")
        return
    if not ref.sourced_id:
        raise _invalid(field_name, "sourcedId must not be empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class GUIDRef:
    """A link to another entity; SISs and Google often send only the sourcedId."""

    sourced_id: str
    type: str | None = None
    href: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItem:
    sourced_id: str
    title: str
    class_: GUIDRef
    assign_date: datetime | None = None
    due_date: datetime | None = None
    description: str | None = None
    category: GUIDRef | None = None
    grading_period: GUIDRef | None = None  # 1.1 (optional in 1.2)
    school: GUIDRef | None = None  # 1.2 only
    result_value_min: float | None = None  # required in 1.1
    result_value_max: float | None = None
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None

    def validate(self, version: OneRosterVersion) -> None:
        """Raise InvalidRequest naming the first field that cannot be sent to a `version` SIS."""
        check_sourced_id(self.sourced_id)
        _check_title(self.title)
        _check_ref(self.class_, "class", required=True)
        _check_aware(self.assign_date, "assignDate", required=True)
        _check_aware(self.due_date, "dueDate", required=True)
        v11 = version is OneRosterVersion.V1P1
        _check_number(self.result_value_min, "resultValueMin", required=v11)
        _check_number(self.result_value_max, "resultValueMax", required=v11)
        if (
            self.result_value_min is not None
            and self.result_value_max is not None
            and not self.result_value_min < self.result_value_max
        ):
            raise _invalid("resultValueMin", "must be less than resultValueMax")
        _check_ref(self.category, "category", required=False)
        _check_ref(self.grading_period, "gradingPeriod", required=False)
        _check_ref(self.school, "school", required=not v11)  # 1.2 requires the line item's school


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    sourced_id: str
    line_item: GUIDRef
    student: GUIDRef
    score_status: ScoreStatus | str  # str only for 1.2 `ext:` values (or unknown values read from an SIS)
    score: float | None = None  # required in 1.1
    score_date: date | datetime | None = None
    comment: str | None = None
    text_score: str | None = None  # 1.2
    late: bool | None = None  # 1.2 flags; "true"/"false" on the wire
    missing: bool | None = None
    incomplete: bool | None = None
    in_progress: bool | None = None
    class_: GUIDRef | None = None  # 1.2, optional
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None

    def validate(self, version: OneRosterVersion) -> None:
        check_sourced_id(self.sourced_id)
        _check_ref(self.line_item, "lineItem", required=True)
        _check_ref(self.student, "student", required=True)
        v11 = version is OneRosterVersion.V1P1
        if isinstance(self.score_status, str):
            if v11 or not EXT_VALUE_RE.fullmatch(self.score_status):
                allowed = ", ".join(s.value for s in ScoreStatus)
                extra = "" if v11 else " or an ext:… value"
                raise _invalid("scoreStatus", f"{self.score_status!r} is not one of {allowed}{extra}")
        elif not isinstance(self.score_status, ScoreStatus):
            raise _invalid("scoreStatus", f"{self.score_status!r} is not a score status")
        _check_number(self.score, "score", required=v11)
        _check_aware(self.score_date, "scoreDate", required=True)
        # 1.2-only fields are dropped by `to_wire` on 1.1, not refused: callers build one Result.
        for name in ("late", "missing", "incomplete", "in_progress"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise _invalid(_CAMEL[name], f"{value!r} is not a boolean")


_CAMEL = {"late": "late", "missing": "missing", "incomplete": "incomplete", "in_progress": "inProgress"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    sourced_id: str
    title: str
    weight: float | None = None  # 1.2 only
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None

    def validate(self, version: OneRosterVersion) -> None:
        check_sourced_id(self.sourced_id)
        _check_title(self.title)
        _check_number(self.weight, "weight", required=False)  # sent on 1.2 only


@dataclass(frozen=True, slots=True, kw_only=True)
class SisClass:
    """A OneRoster `class` (a section); named to avoid the keyword."""

    sourced_id: str
    title: str | None = None
    class_code: str | None = None
    class_type: str | None = None
    location: str | None = None
    course: GUIDRef | None = None
    school: GUIDRef | None = None
    terms: tuple[GUIDRef, ...] = ()
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    sourced_id: str
    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    role: str | None = None  # 1.1 `role`; for 1.2 the first `roles[].role`
    identifier: str | None = None
    enabled_user: bool | None = None
    orgs: tuple[GUIDRef, ...] = ()
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AcademicSession:
    """A term, semester, school year or grading period."""

    sourced_id: str
    title: str | None = None
    type: SessionType | str | None = None  # str: a value outside the spec, kept as sent
    start_date: date | None = None
    end_date: date | None = None
    parent: GUIDRef | None = None
    children: tuple[GUIDRef, ...] = ()
    school_year: str | None = None
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Org:
    sourced_id: str
    name: str | None = None
    type: str | None = None
    identifier: str | None = None
    parent: GUIDRef | None = None
    status: Status | None = None
    date_last_modified: datetime | None = None
    metadata: Mapping[str, Any] | None = None
