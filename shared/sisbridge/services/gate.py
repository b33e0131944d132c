"""Who may link and export a course, and whether the tenant's SIS lets anyone do it now."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sisbridge.bootstrap import Deps
from sisbridge.errors import ExportsDisabled, Forbidden, SisNotReady
from sisbridge.identity import Caller
from sisbridge.repositories import Connection, ConnectionStatus

from .access import tenant_of


def ready_connection(tenant: str, deps: Deps, *, for_teacher: bool = True) -> tuple[Connection, Mapping[str, str]]:
    """The tenant's authorized connection and its credentials, or a clear refusal."""
    conn = deps.connections.get(tenant)
    if conn is None or conn.status is ConnectionStatus.NONE:
        raise SisNotReady("No SIS is connected for your school yet.")
    if conn.status is ConnectionStatus.DISCONNECTED or conn.secret_ref is None:
        raise SisNotReady("The SIS connection is disconnected; exports are stopped.",
                          hint="Ask your administrator to reconnect the SIS. Nothing already exported is lost.")
    if conn.status is not ConnectionStatus.AUTHORIZED:
        reason = f" ({conn.last_error.code})" if conn.last_error else ""
        raise SisNotReady(f"The SIS connection is not authorized{reason}.",
                          hint="Ask your administrator to open sisbridge's SIS settings and click Authorize.")
    if for_teacher and not conn.teacher_export_enabled:
        raise ExportsDisabled("Classwork and grade exporting is turned off for your school.")
    return conn, json.loads(deps.secrets.get(conn.secret_ref))


def require_course_access(caller: Caller, course_id: str, deps: Deps) -> bool:
    """A teacher of the course (Classroom says so) or an admin of the tenant. Returns is_admin."""
    is_admin = tenant_of(caller, deps).is_admin(caller.email)
    if is_admin:
        return True
    assert deps.classroom is not None
    if not deps.classroom.as_user(caller.email).is_teacher(course_id, caller.email):
        raise Forbidden("Only the course's teachers can link and export it.",
                        hint="Ask a teacher of the course, or your administrator.")
    return False
