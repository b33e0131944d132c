"""Google Classroom v1 JSON shapes: records → camelCase dicts, and courseWork bodies → record fields.

Like Google's proto3 JSON, false booleans, absent optionals and zero time-of-day parts are omitted
(`late` appears only when true; a 15:00 `dueTime` is `{"hours": 15}`).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from .errors import invalid
from .models import (
    CalculationType,
    Course,
    CourseWork,
    CourseWorkState,
    GradeCategory,
    GradeChange,
    GradingPeriod,
    StateChange,
    Submission,
    SubmissionState,
    SyntheticCourse,
    User,
    WorkType,
)

LINK = "https://classroom.google.com"
Json = dict[str, Any]


def timestamp(at: datetime) -> str:
    """RFC 3339 UTC with milliseconds, e.g. `2026-09-01T14:05:00.000Z`."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def date_json(d: date) -> Json:
    return {"year": d.year, "month": d.month, "day": d.day}


def time_json(t: time) -> Json:
    parts = {"hours": t.hour, "minutes": t.minute, "seconds": t.second}
    return {k: v for k, v in parts.items() if v}


def number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def profile_json(user: User) -> Json:
    return {
        "id": user.id,
        "name": {
            "givenName": user.given,
            "familyName": user.family,
            "fullName": f"{user.given} {user.family}",
        },
        "emailAddress": user.email,
    }


def member_json(course_id: str, user: User) -> Json:
    """A Teacher or Student resource."""
    return {"courseId": course_id, "userId": user.id, "profile": profile_json(user)}


def course_json(course: Course) -> Json:
    weighted = course.calculation_type is CalculationType.WEIGHTED_CATEGORIES
    return {
        "id": course.id,
        "name": course.name,
        "section": course.section,
        "ownerId": course.owner_id,
        "creationTime": timestamp(course.creation_time),
        "updateTime": timestamp(course.update_time),
        "enrollmentCode": _b64(course.id)[-7:].lower(),
        "courseState": course.state.value,
        "alternateLink": f"{LINK}/c/{_b64(course.id)}",
        "gradebookSettings": {
            "calculationType": course.calculation_type.value,
            "displaySetting": "SHOW_OVERALL_GRADE" if weighted else "HIDE_OVERALL_GRADE",
            "gradeCategories": [_category_json(c) for c in course.categories],
        },
    }


def _category_json(category: GradeCategory) -> Json:
    out: Json = {"id": category.id, "name": category.name}
    if category.weight is not None:
        out["weight"] = category.weight
    if category.default_grade_denominator is not None:
        out["defaultGradeDenominator"] = category.default_grade_denominator
    return out


def course_work_json(work: CourseWork, course: Course) -> Json:
    out: Json = {"courseId": work.course_id, "id": work.id, "title": work.title}
    if work.description:
        out["description"] = work.description
    out |= {
        "state": work.state.value,
        "alternateLink": f"{LINK}/c/{_b64(work.course_id)}/a/{_b64(work.id)}/details",
        "creationTime": timestamp(work.creation_time),
        "updateTime": timestamp(work.update_time),
    }
    if work.due_date:
        out["dueDate"] = date_json(work.due_date)
    if work.due_time:
        out["dueTime"] = time_json(work.due_time)
    if work.max_points:
        out["maxPoints"] = number(work.max_points)
    out |= {
        "workType": work.work_type.value,
        "submissionModificationMode": "MODIFIABLE_UNTIL_TURNED_IN",
        "assigneeMode": "ALL_STUDENTS",
        "creatorUserId": work.creator_user_id,
    }
    category = course.category(work.category_id) if work.category_id else None
    if category:
        out["gradeCategory"] = _category_json(category)
    if work.grading_period_id:
        out["gradingPeriodId"] = work.grading_period_id
    return out


def submission_json(sub: Submission) -> Json:
    out: Json = {
        "courseId": sub.course_id,
        "courseWorkId": sub.course_work_id,
        "id": sub.id,
        "userId": sub.user_id,
    }
    if sub.creation_time:
        out["creationTime"] = timestamp(sub.creation_time)
    if sub.update_time:
        out["updateTime"] = timestamp(sub.update_time)
    out["state"] = sub.state.value
    if sub.late:
        out["late"] = True
    if sub.draft_grade is not None:
        out["draftGrade"] = number(sub.draft_grade)
    if sub.assigned_grade is not None:
        out["assignedGrade"] = number(sub.assigned_grade)
    out |= {
        "alternateLink": f"{LINK}/c/{_b64(sub.course_id)}/a/{_b64(sub.course_work_id)}/submissions/student/"
        f"{_b64(sub.user_id)}",
        "courseWorkType": "ASSIGNMENT",
        "assignmentSubmission": {},
    }
    if sub.history:
        out["submissionHistory"] = [_history_json(h) for h in sub.history]
    return out


def _history_json(event: StateChange | GradeChange) -> Json:
    if isinstance(event, StateChange):
        return {
            "stateHistory": {
                "state": event.state.value,
                "stateTimestamp": timestamp(event.at),
                "actorUserId": event.actor_id,
            }
        }
    grade: Json = {}
    if event.points is not None:
        grade["pointsEarned"] = number(event.points)
    if event.max_points:
        grade["maxPoints"] = number(event.max_points)
    grade |= {
        "gradeTimestamp": timestamp(event.at),
        "actorUserId": event.actor_id,
        "gradeChangeType": event.change_type.value,
    }
    return {"gradeHistory": grade}


def grading_period_settings_json(course: Course) -> Json:
    return {
        "gradingPeriods": [_period_json(p) for p in course.grading_periods],
        "applyToExistingCoursework": True,
    }


def _period_json(period: GradingPeriod) -> Json:
    return {
        "id": period.id,
        "title": period.title,
        "startDate": date_json(period.start),
        "endDate": date_json(period.end),
    }


def synthetic_course_json(made: SyntheticCourse) -> Json:
    return {
        "id": made.course.id,
        "course": course_json(made.course),
        "teacher": profile_json(made.teacher),
        "students": [profile_json(s) for s in made.students],
        "courseWorkIds": list(made.course_work_ids),
    }


# ---------------------------------------------------------------------- parsing request bodies
_WRITABLE = {
    "id",
    "title",
    "description",
    "state",
    "maxPoints",
    "dueDate",
    "dueTime",
    "gradeCategory",
    "gradingPeriodId",
    "workType",
    "courseId",
}


def parse_course_work(course: Course, body: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Record fields from a (partial) Google courseWork body; unknown or malformed fields are 400."""
    if not isinstance(body, Mapping):
        raise invalid("The body must be a JSON object.")
    unknown = sorted(set(body) - (_WRITABLE - {"id"} if partial else _WRITABLE))
    if unknown:
        raise invalid(f"Unknown or read-only courseWork fields: {', '.join(unknown)}.")
    if body.get("courseId", course.id) != course.id:
        raise invalid("courseId does not match the course in the path.")
    out: dict[str, Any] = {}
    if "id" in body:
        out["id"] = _text(body["id"], "id")
    if "title" in body or not partial:
        out["title"] = _text(body.get("title"), "title")
    if "description" in body:
        out["description"] = (
            None if body["description"] is None else _text(body["description"], "description")
        )
    if "state" in body or not partial:
        out["state"] = _enum(CourseWorkState, body.get("state", "PUBLISHED"), "state")
        if not partial and out["state"] is CourseWorkState.DELETED:
            raise invalid("New courseWork must be PUBLISHED or DRAFT.")
    if "workType" in body:
        out["work_type"] = _enum(WorkType, body["workType"], "workType")
    if "maxPoints" in body:
        out["max_points"] = _max_points(body["maxPoints"])
    if "dueDate" in body:
        out["due_date"] = None if body["dueDate"] is None else _date(body["dueDate"])
    if "dueTime" in body:
        out["due_time"] = None if body["dueTime"] is None else _time(body["dueTime"])
    if not partial and (out.get("due_date") is None) != (out.get("due_time") is None):
        raise invalid("dueDate and dueTime must be given together.")
    if "gradeCategory" in body:
        out["category_id"] = _category_id(course, body["gradeCategory"])
    if "gradingPeriodId" in body:
        period = body["gradingPeriodId"] or None
        if period is not None and period not in {p.id for p in course.grading_periods}:
            raise invalid(f"Unknown gradingPeriodId {period!r} for course {course.id}.")
        out["grading_period_id"] = period
    return out


def parse_submission_state(value: Any) -> SubmissionState:
    return _enum(SubmissionState, value, "state")  # type: ignore[no-any-return]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{name} must be a non-empty string.")
    return value


def _enum(kind: Any, value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise invalid(f"Invalid {name}: {value!r}.") from None


def _max_points(value: Any) -> float | None:
    if value is None or value == 0:
        return None  # "If zero or unspecified, this course work is considered ungraded."
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise invalid("maxPoints must be a non-negative number.")
    return float(value)


def _date(value: Any) -> date:
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (TypeError, KeyError, ValueError):
        raise invalid(f"Invalid dueDate: {value!r}.") from None


def _time(value: Any) -> time:
    try:
        return time(int(value.get("hours", 0)), int(value.get("minutes", 0)), int(value.get("seconds", 0)))
    except (AttributeError, TypeError, ValueError):
        raise invalid(f"Invalid dueTime: {value!r}.") from None


def _category_id(course: Course, value: Any) -> str | None:
    if value is None:
        return None
    category_id = value.get("id") if isinstance(value, Mapping) else None
    if not isinstance(category_id, str) or course.category(category_id) is None:
        raise invalid(f"Unknown gradeCategory {value!r} for course {course.id}.")
    return category_id
