"""What starts an export besides a teacher: a signed webhook, through the deployed `export`
function, and the scheduler's fan-out."""

from __future__ import annotations

import json
import time

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sisbridge import webhook_signature
from sisbridge.export_store import RunState, Trigger
from sisbridge.services import connect as connecting
from sisbridge.services import export as exports
from sisbridge.services.disconnect import disconnect

from .conftest import ADMIN, World
from .support import (
    ALGEBRA,
    GEOMETRY,
    INFINITE_CAMPUS,
    TENANT,
    book,
    client_writes,
    expected,
    link,
    setup,
    writes,
)

SLOT = "2026-12-04T21:00Z"


def _webhook(api: FlaskClient, body: bytes, signature: str | None) -> TestResponse:
    headers = {webhook_signature.HEADER: signature} if signature else {}
    return api.post("/webhook", data=body, content_type="application/json", headers=headers)


def _body(course_id: str) -> bytes:
    return json.dumps({"course_id": course_id}).encode()


def test_a_signed_webhook_queues_an_export_that_runs(world: World, export_api: FlaskClient) -> None:
    setup(world, INFINITE_CAMPUS)
    secret = connecting.rotate_webhook_secret(world.caller(ADMIN), world.deps).webhook_secret
    body = _body(ALGEBRA.classroom_course_id)

    answer = _webhook(export_api, body, webhook_signature.sign(secret, body))

    assert answer.status_code == 202, answer.get_json()
    assert world.deps.tasks is not None and world.deps.tasks.drain(30)
    run = world.deps.runs.get(TENANT, answer.get_json()["run_id"])
    assert run is not None and run.trigger is Trigger.WEBHOOK and run.state is RunState.PARTIAL
    exp = expected(world)
    assert set(book(world, INFINITE_CAMPUS.vendor).items) == set(exp.line_items) | set(exp.results)


def test_webhooks_not_signed_with_the_current_secret_for_a_linked_course_are_refused(
        world: World, export_api: FlaskClient) -> None:
    setup(world, INFINITE_CAMPUS)
    secret = connecting.rotate_webhook_secret(world.caller(ADMIN), world.deps).webhook_secret
    body = _body(ALGEBRA.classroom_course_id)
    stranger = _body("699999999999")
    sign = webhook_signature.sign
    an_hour_ago = int(time.time()) - 3600

    refused = {
        "no signature": _webhook(export_api, body, None),
        "another secret": _webhook(export_api, body, sign("whsec_guess", body)),
        "an old signature": _webhook(export_api, body, sign(secret, body, timestamp=an_hour_ago)),
        "another body": _webhook(export_api, body, sign(secret, _body(GEOMETRY.classroom_course_id))),
        "an unknown course": _webhook(export_api, stranger, sign(secret, stranger)),
    }
    rotated = connecting.rotate_webhook_secret(world.caller(ADMIN), world.deps).webhook_secret
    refused["the secret before rotation"] = _webhook(export_api, body, sign(secret, body))

    assert {why: r.status_code for why, r in refused.items()} == dict.fromkeys(refused, 401)
    assert {r.get_json()["error"]["code"] for r in refused.values()} == {"unauthenticated"}
    assert world.deps.runs.for_course(TENANT, ALGEBRA.classroom_course_id) == []
    assert _webhook(export_api, body, sign(rotated, body)).status_code == 202
    oversized = json.dumps({"course_id": ALGEBRA.classroom_course_id, "pad": "x" * 70_000}).encode()
    too_big = _webhook(export_api, oversized, sign(rotated, oversized))
    assert (too_big.status_code, too_big.get_json()["error"]["code"]) == (413, "payload_too_large")


def test_the_schedule_queues_each_linked_class_once_per_slot(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    link(world, GEOMETRY)
    assert world.deps.tasks is not None

    first = exports.schedule(world.deps, slot=SLOT)
    again = exports.schedule(world.deps, slot=SLOT)
    assert world.deps.tasks.drain(60)

    assert first == {"classes": 2, "enqueued": 2, "duplicate": 0}
    assert again == {"classes": 2, "enqueued": 0, "duplicate": 2}
    for section in (ALGEBRA, GEOMETRY):
        runs = world.deps.runs.for_course(TENANT, section.classroom_course_id)
        assert [(r.trigger, r.state.finished) for r in runs] == [(Trigger.SCHEDULE, True)]
        exp = expected(world, section)
        sis = book(world, INFINITE_CAMPUS.vendor, section)
        assert set(sis.items) == set(exp.line_items) | set(exp.results)
        assert set(client_writes(sis).values()) == {1}
    before = writes(world, INFINITE_CAMPUS.vendor)

    later = exports.schedule(world.deps, slot="2026-12-04T22:00Z")  # the next slot runs again
    assert world.deps.tasks.drain(60)

    assert later["enqueued"] == 2
    assert writes(world, INFINITE_CAMPUS.vendor) == before  # nothing changed, nothing written


def test_the_schedule_leaves_out_a_tenant_with_exports_off_or_disconnected(world: World) -> None:
    setup(world, INFINITE_CAMPUS)
    admin = world.caller(ADMIN)

    connecting.set_permissions(admin, False, world.deps)
    off = exports.schedule(world.deps, slot=SLOT)
    connecting.set_permissions(admin, True, world.deps)
    disconnect(admin, world.deps)
    disconnected = exports.schedule(world.deps, slot="2026-12-04T22:00Z")

    assert off == disconnected == {"classes": 0, "enqueued": 0, "duplicate": 0}
    assert world.deps.runs.for_course(TENANT, ALGEBRA.classroom_course_id) == []
    assert not writes(world, INFINITE_CAMPUS.vendor)
