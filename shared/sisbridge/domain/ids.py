"""Deterministic sourcedIds for everything sisbridge writes to an SIS.

Google's own export mints a random UUIDv4 per lineItem and result and remembers the mapping; lose
that mapping (unlink and relink a class, a reinstall) and the next export PUTs new ids, so the SIS
gets a second copy of every assignment and grade. sisbridge derives ids instead: a UUIDv5 under a
fixed namespace over the identity of the thing being exported. Re-runs, task redeliveries and a
disconnect/reconnect all compute the same id, and a PUT on it updates rather than duplicates.

    lineItem  uuid5(NAMESPACE, "tenant|course_id|course_work_id")
    result    uuid5(NAMESPACE, "line_item_sourced_id|student_sourced_id")

A UUID's 36 characters fit OneRoster's URL-safe `[A-Za-z0-9._-]{1,255}`. Parts are joined with
"|"; a "|" or "\\" inside a part is backslash-escaped so different tuples never share a name
(ordinary ids contain neither, so for them the name is exactly the plain join).

NAMESPACE must never change: every id already written to an SIS depends on it.
"""

from __future__ import annotations

import uuid

__all__ = ["NAMESPACE", "line_item_sourced_id", "result_sourced_id"]

NAMESPACE = uuid.UUID("9caa897a-b6bd-4b16-b230-a6fb31af557a")


def _name(*parts: str) -> str:
    for part in parts:
        if not isinstance(part, str) or not part:
            raise ValueError(f"sourcedId parts must be non-empty strings, got {part!r}")
    return "|".join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)


def line_item_sourced_id(tenant: str, course_id: str, course_work_id: str) -> str:
    """The lineItem for one Classroom courseWork of one tenant."""
    return str(uuid.uuid5(NAMESPACE, _name(tenant, course_id, course_work_id)))


def result_sourced_id(line_item_sourced_id: str, student_sourced_id: str) -> str:
    """One student's result on one lineItem (keyed by the SIS student, who owns the grade)."""
    return str(uuid.uuid5(NAMESPACE, _name(line_item_sourced_id, student_sourced_id)))
