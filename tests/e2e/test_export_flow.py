"""Link a course, export it, and check the SIS gradebook item by item."""

from __future__ import annotations

from sisbridge.export_store import RunState
from sisbridge.services import connect as connecting
from sisbridge.services import export as exports
from sisbridge.services import linking
from sisbridge.sandbox import seed

from .conftest import ADA, ADMIN, World

COURSE, CLASS = seed.SECTIONS[0].classroom_course_id, seed.SECTIONS[0].class_sourced_id


def connect(world: World, vendor: str = "infinite_campus") -> None:
    admin = world.caller(ADMIN)
    connecting.connect(admin, connecting.ConnectRequest(
        sis=vendor, host_url=f"{world.url}/{vendor}", access_key=seed.ACCESS_KEY, secret_code=seed.SECRET_CODE),
        world.deps)
    connecting.authorize(admin, world.deps)


def test_link_then_export_writes_every_returned_grade_once(world: World) -> None:
    connect(world)
    ada = world.caller(ADA.email)
    ranked = linking.candidates(ada, COURSE, world.deps)
    assert ranked[0].class_sourced_id == CLASS
    view = linking.link(ada, COURSE, CLASS, world.deps)
    assert view.roster["classroomOnly"] and view.roster["sisOnly"]
    started = exports.trigger(ada, COURSE, world.deps)
    world.deps.tasks.drain(30)
    run = exports.get_run(ada, COURSE, started["run_id"], world.deps)
    assert run.state in (RunState.SUCCEEDED, RunState.PARTIAL), run.errors
    assert run.counts["created"] > 0 and run.counts["failed"] == 0
    book = world.gradebook("infinite_campus")
    print(run.counts, len(book.get("lineItems", [])), len(book.get("results", [])))
    writes_before = world.stats()["total"]
    again = exports.trigger(ada, COURSE, world.deps)
    world.deps.tasks.drain(30)
    second = exports.get_run(ada, COURSE, again["run_id"], world.deps)
    assert second.counts["created"] == 0 and second.counts["updated"] == 0
    print(second.counts, world.stats()["total"] - writes_before)
