"""Flask routes: the read-only Classroom v1 subset under `/v1`, and test/bench mutations under `/_sandbox`.

Routes are relative, so the app works at `/` and mounted under a prefix (SCRIPT_NAME). Any or no
Authorization header is accepted. Handlers only parse, call the state and shape the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from . import resources as res
from .errors import ApiError, Status, invalid
from .models import ClassroomConfig, CourseState, CourseWorkState, SubmissionState
from .params import enum_values, order_by, page, slice_page
from .store import UNSET, ClassroomState

EXTENSION = "classroom_sandbox"
_LATE = {"LATE_ONLY": True, "NOT_LATE_ONLY": False, "LATE_VALUES_UNSPECIFIED": None}

v1 = Blueprint("classroom_v1", __name__, url_prefix="/v1")
sandbox = Blueprint("classroom_sandbox", __name__, url_prefix="/_sandbox")


def create_app(config: ClassroomConfig | None = None) -> Flask:
    """A Classroom sandbox app; its state is `app.extensions["classroom_sandbox"]`."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep Google's field order
    app.extensions[EXTENSION] = ClassroomState(config or ClassroomConfig())
    app.register_blueprint(v1)
    app.register_blueprint(sandbox)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _state() -> ClassroomState:
    state: ClassroomState = current_app.extensions[EXTENSION]
    return state


def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify(exc.to_json()), exc.status.http


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    status = Status.NOT_FOUND if exc.code in (404, 405) else Status.for_http(exc.code or 500)
    return _api_error(ApiError(status))


@v1.before_request
def _slow_or_failing() -> tuple[Response, int] | None:
    state = _state()
    if state.config.latency_ms > 0:
        time.sleep(state.config.latency_ms / 1000)
    fault = state.faults.take(request.path)
    return _api_error(fault) if fault else None


def _listing(
    key: str, items: Sequence[Any], shape: Callable[[Any], dict[str, Any]], *query: object
) -> Response:
    """One page of `items` as `{key: [...], "nextPageToken"?}`; like Google, an empty list is omitted."""
    p = page(request.args, _state().config, (request.path, *query))
    chunk, token = slice_page(items, p)
    body: dict[str, Any] = {key: [shape(x) for x in chunk]} if chunk else {}
    if token:
        body["nextPageToken"] = token
    return jsonify(body)


# ---------------------------------------------------------------------- v1 (read)
@v1.get("/courses")
def list_courses() -> Response:
    args = request.args
    states = enum_values(args.getlist("courseStates"), CourseState, "course_states")
    found = _state().courses(teacher=args.get("teacherId"), student=args.get("studentId"), states=states)
    return _listing(
        "courses",
        found,
        res.course_json,
        args.get("teacherId"),
        args.get("studentId"),
        sorted(s.value for s in states or ()),
    )


@v1.get("/courses/<course_id>")
def get_course(course_id: str) -> Response:
    return jsonify(res.course_json(_state().course(course_id)))


@v1.get("/courses/<course_id>/<any(teachers, students):role>")
def list_members(course_id: str, role: str) -> Response:
    members = _state().members(course_id, role)
    return _listing(role, members, lambda u: res.member_json(course_id, u))


@v1.get("/courses/<course_id>/<any(teachers, students):role>/<user_id>")
def get_member(course_id: str, role: str, user_id: str) -> Response:
    user = _state().user(user_id)
    if user not in _state().members(course_id, role):
        raise ApiError(Status.NOT_FOUND)
    return jsonify(res.member_json(course_id, user))


@v1.get("/courses/<course_id>/gradingPeriodSettings")
def grading_period_settings(course_id: str) -> Response:
    return jsonify(res.grading_period_settings_json(_state().course(course_id)))


@v1.get("/courses/<course_id>/courseWork")
def list_course_work(course_id: str) -> Response:
    args = request.args
    states = enum_values(args.getlist("courseWorkStates"), CourseWorkState, "course_work_states")
    order = order_by(args.get("orderBy"))
    course = _state().course(course_id)
    found = _state().course_work_list(course_id, states=states, order=order)
    return _listing(
        "courseWork",
        found,
        lambda w: res.course_work_json(w, course),
        sorted(s.value for s in states or ()),
        order,
    )


@v1.get("/courses/<course_id>/courseWork/<work_id>")
def get_course_work(course_id: str, work_id: str) -> Response:
    state = _state()
    return jsonify(res.course_work_json(state.course_work(course_id, work_id), state.course(course_id)))


@v1.get("/courses/<course_id>/courseWork/<work_id>/studentSubmissions")
def list_submissions(course_id: str, work_id: str) -> Response:
    args = request.args
    states = enum_values(args.getlist("states"), SubmissionState, "states")
    late_raw = args.get("late", "LATE_VALUES_UNSPECIFIED")
    if late_raw not in _LATE:
        raise invalid(f"Invalid value at 'late' (LateValues), \"{late_raw}\"")
    found = _state().submissions(
        course_id, work_id, states=states, user=args.get("userId"), late=_LATE[late_raw]
    )
    return _listing(
        "studentSubmissions",
        found,
        res.submission_json,
        sorted(s.value for s in states or ()),
        args.get("userId"),
        late_raw,
    )


@v1.get("/courses/<course_id>/courseWork/<work_id>/studentSubmissions/<submission_id>")
def get_submission(course_id: str, work_id: str, submission_id: str) -> Response:
    return jsonify(res.submission_json(_state().submission(course_id, work_id, submission_id)))


@v1.get("/userProfiles/<user_id>")
def get_user_profile(user_id: str) -> Response:
    return jsonify(res.profile_json(_state().user(user_id)))


# ---------------------------------------------------------------------- _sandbox (mutations)
def _body(*allowed: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed)) if allowed else []
    if unknown:
        raise invalid(f"Unknown fields: {', '.join(unknown)}.")
    return body


@sandbox.post("/reset")
def reset() -> Response:
    _state().reset()
    return jsonify({})


@sandbox.post("/courses")
def make_course() -> Response:
    body = _body("id", "teacher_email", "assignments", "students", "name", "first_student")
    made = _state().make_course(
        teacher_email=body.get("teacher_email", ""),
        assignments=body.get("assignments", 40),
        students=body.get("students", 35),
        name=body.get("name"),
        course_id=body.get("id"),
        first_student=body.get("first_student", 1),
    )
    return jsonify(res.synthetic_course_json(made))


@sandbox.post("/courses/<course_id>/courseWork")
def add_course_work(course_id: str) -> Response:
    state = _state()
    work = state.add_course_work(course_id, _body())
    return jsonify(res.course_work_json(work, state.course(course_id)))


@sandbox.patch("/courses/<course_id>/courseWork/<work_id>")
def update_course_work(course_id: str, work_id: str) -> Response:
    state = _state()
    work = state.update_course_work(course_id, work_id, _body())
    return jsonify(res.course_work_json(work, state.course(course_id)))


@sandbox.delete("/courses/<course_id>/courseWork/<work_id>")
def delete_course_work(course_id: str, work_id: str) -> Response:
    _state().delete_course_work(course_id, work_id)
    return jsonify({})


@sandbox.put("/courses/<course_id>/courseWork/<work_id>/submissions/<user_id>")
def set_grade(course_id: str, work_id: str, user_id: str) -> Response:
    body = _body("draftGrade", "assignedGrade", "state", "late")
    late = body.get("late")
    if late is not None and not isinstance(late, bool):
        raise invalid("late must be true or false.")
    sub = _state().set_grade(
        course_id,
        work_id,
        user_id,
        draft_grade=body["draftGrade"] if "draftGrade" in body else UNSET,
        assigned_grade=body["assignedGrade"] if "assignedGrade" in body else UNSET,
        state=res.parse_submission_state(body["state"]) if "state" in body else None,
        late=late,
    )
    return jsonify(res.submission_json(sub))


@sandbox.post("/faults")
def inject_fault() -> Response:
    body = _body("status", "times", "path", "message")
    raw, times = body.get("status", 429), body.get("times", 1)
    status = Status.for_http(raw) if isinstance(raw, int) else Status.__members__.get(str(raw))
    if status is None or isinstance(raw, bool) or not isinstance(times, int) or times < 1:
        raise invalid("status must be an HTTP code or a google.rpc.Code name, times a positive integer.")
    _state().inject_fault(status, times=times, path=str(body.get("path", "")), message=body.get("message"))
    return jsonify({})


@sandbox.delete("/faults")
def clear_faults() -> Response:
    _state().faults.clear()
    return jsonify({})
