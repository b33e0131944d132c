"""A teacher's console calls, through the deployed `export` function with a bearer token: list
courses, rank candidates, link, dry-run, export, follow the run; and who is turned away, with what."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from sisbridge.sandbox import seed
from sisbridge.services import connect as connecting
from sisbridge.services.disconnect import disconnect

from .conftest import ADA, ADMIN, World
from .support import ALGEBRA, GEOMETRY, INFINITE_CAMPUS, TENANT, book, connect, expected, link, writes

COURSE = ALGEBRA.classroom_course_id
ALAN = "alan.turing@district.example"  # teaches Computer Science, not Algebra


def _as(world: World, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(email)}"}


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_a_teacher_links_exports_and_follows_the_run(world: World, export_api: FlaskClient) -> None:
    connect(world, INFINITE_CAMPUS)
    ada = _as(world, ADA.email)

    courses = _json(export_api.get("/courses", headers=ada), 200)["courses"]
    assert {c["course_id"]: c["linked"] for c in courses} == {
        ALGEBRA.classroom_course_id: False, GEOMETRY.classroom_course_id: False}  # Ada's two courses
    candidates = _json(export_api.get(f"/courses/{COURSE}/candidates", headers=ada), 200)["candidates"]
    assert candidates[0]["class_sourced_id"] == ALGEBRA.class_sourced_id
    linked = _json(export_api.put(f"/courses/{COURSE}/link", headers=ada,
                                  json={"class_sourced_id": ALGEBRA.class_sourced_id}), 200)
    assert linked["active"]
    assert {u["email"] for u in linked["roster"]["classroomOnly"]} == {seed.OUTSIDER.email}

    dry = _json(export_api.post(f"/courses/{COURSE}/exports", headers=ada, json={"dry_run": True}), 200)
    exp = expected(world)
    assert dry["dry_run"] and dry["plan"]["counts"]["result"]["create"] == len(exp.results)
    assert not writes(world, INFINITE_CAMPUS.vendor)

    started = _json(export_api.post(f"/courses/{COURSE}/exports", headers=ada), 202)
    assert started["state"] == "queued" and not started["coalesced"]
    assert world.deps.tasks is not None and world.deps.tasks.drain(30)
    run = _json(export_api.get(f"/courses/{COURSE}/exports/{started['run_id']}", headers=ada), 200)

    assert run["state"] == "partial"
    assert run["counts"]["created"] == len(exp.line_items) + len(exp.results) and run["counts"]["failed"] == 0
    assert {e["code"] for e in run["errors"]} == {"unmatched_student"}
    assert set(book(world, INFINITE_CAMPUS.vendor).items) == set(exp.line_items) | set(exp.results)
    history = _json(export_api.get(f"/courses/{COURSE}/exports", headers=ada), 200)["runs"]
    assert [r["run_id"] for r in history] == [started["run_id"]]
    mine = {c["course_id"]: c for c in _json(export_api.get("/courses", headers=ada), 200)["courses"]}
    assert mine[COURSE]["linked"] and mine[COURSE]["last_state"] == "partial"
    overview = _json(export_api.get("/overview", headers=_as(world, ADMIN)), 200)["classes"]
    assert [(c["course_id"], c["last_state"]) for c in overview] == [(COURSE, "partial")]


def test_a_teacher_of_another_course_is_turned_away(world: World, export_api: FlaskClient) -> None:
    connect(world, INFINITE_CAMPUS)
    link(world)
    alan = _as(world, ALAN)

    answers = [
        export_api.get(f"/courses/{COURSE}/candidates", headers=alan),
        export_api.put(f"/courses/{COURSE}/link", headers=alan, json={"class_sourced_id": "cls-cs-p2"}),
        export_api.post(f"/courses/{COURSE}/exports", headers=alan),
        export_api.post(f"/courses/{COURSE}/exports", headers=alan, json={"dry_run": True}),
        export_api.get(f"/courses/{COURSE}/exports", headers=alan),
    ]

    assert {(a.status_code, a.get_json()["error"]["code"]) for a in answers} == {(403, "forbidden")}
    assert world.deps.runs.for_course(TENANT, COURSE) == []
    still = world.deps.links.get(TENANT, COURSE)
    assert still is not None and still.class_sourced_id == ALGEBRA.class_sourced_id
    assert export_api.post(f"/courses/{COURSE}/exports").status_code == 401  # and nobody signed in


@pytest.mark.parametrize(("stop", "status", "code"), [
    ("exports_off", 403, "exports_disabled"),
    ("disconnected", 409, "sis_not_ready"),
])
def test_with_exports_stopped_a_teacher_is_told_why(world: World, export_api: FlaskClient, stop: str,
                                                    status: int, code: str) -> None:
    connect(world, INFINITE_CAMPUS)
    link(world)
    admin = world.caller(ADMIN)
    if stop == "exports_off":
        connecting.set_permissions(admin, False, world.deps)
    else:
        disconnect(admin, world.deps)

    answer = export_api.post(f"/courses/{COURSE}/exports", headers=_as(world, ADA.email))

    assert (answer.status_code, answer.get_json()["error"]["code"]) == (status, code)
    assert answer.get_json()["error"]["hint"]
    assert world.deps.runs.for_course(TENANT, COURSE) == []
    assert not writes(world, INFINITE_CAMPUS.vendor)
