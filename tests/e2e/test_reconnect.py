"""Disconnecting and reconnecting the SIS (or unlinking and relinking a course) never duplicates
anything: the next export finds the same sourcedIds and writes only what changed."""

from __future__ import annotations

import pytest

from sisbridge.errors import SisNotReady
from sisbridge.sandbox.classroom import SubmissionState
from sisbridge.services import export as exports
from sisbridge.services import linking
from sisbridge.services.disconnect import disconnect

from .conftest import ADA, ADMIN, World
from .support import (
    ALGEBRA,
    INFINITE_CAMPUS,
    ONEROSTER_1P1,
    Profile,
    book,
    client_writes,
    connect,
    expected,
    export,
    link,
    live_counts,
    setup,
    student_email,
    work_id,
    writes,
)


@pytest.mark.parametrize("profile", [INFINITE_CAMPUS, ONEROSTER_1P1], ids=lambda p: p.id)
def test_disconnect_and_reconnect_then_export_duplicates_nothing(world: World, profile: Profile) -> None:
    setup(world, profile)
    export(world)
    first = book(world, profile.vendor)
    counts = live_counts(world, profile.vendor)
    ada = world.caller(ADA.email)

    disconnect(world.caller(ADMIN), world.deps)
    with pytest.raises(SisNotReady):
        exports.trigger(ada, ALGEBRA.classroom_course_id, world.deps)
    homework = work_id(world, ALGEBRA, "Algebra I Homework 1")
    world.classroom_state.set_grade(ALGEBRA.classroom_course_id, homework, student_email(ALGEBRA, 0),
                                    assigned_grade=2, state=SubmissionState.RETURNED)
    connect(world, profile)
    before = writes(world, profile.vendor)
    run = export(world)

    sis = book(world, profile.vendor)
    changed = expected(world).result_of(homework, ALGEBRA, 0)
    assert set(sis.line_items) == set(first.line_items) and set(sis.results) == set(first.results)
    assert live_counts(world, profile.vendor) == counts
    assert writes(world, profile.vendor) - before == {"PUT": 1}  # only the grade changed meanwhile
    assert float(sis.results[changed]["score"]) == 2
    assert {sid for sid, n in client_writes(sis).items() if n > 1} == {changed}
    assert run.counts["created"] == 0 and run.counts["updated"] == 1


def test_unlink_and_relink_then_export_duplicates_nothing(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    export(world)
    first = book(world, INFINITE_CAMPUS.vendor)
    counts = live_counts(world, INFINITE_CAMPUS.vendor)
    ada = world.caller(ADA.email)

    linking.unlink(ada, ALGEBRA.classroom_course_id, world.deps)
    link(world)
    run = export(world)

    sis = book(world, INFINITE_CAMPUS.vendor)
    assert set(sis.items) == set(first.items)
    assert live_counts(world, INFINITE_CAMPUS.vendor) == counts
    assert set(client_writes(sis).values()) == {1}
    assert run.counts["created"] == run.counts["updated"] == 0
