"""Linking a Classroom course to the SIS class it grades into: candidates, link, unlink."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sisbridge.bootstrap import Deps
from sisbridge.domain import ClassroomStudent, RosterMatch, match_roster
from sisbridge.errors import ClassNotOwned, CourseNotLinked, TeacherNotInSis
from sisbridge.export_store import ClassLink
from sisbridge.identity import Caller
from sisbridge.oneroster import OneRosterClient, SisClass, User
from sisbridge.repositories import Connection

from .gate import ready_connection, require_course_access
from .sis_session import open_client


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    class_sourced_id: str
    title: str
    class_code: str | None
    terms: tuple[str, ...]
    score: float  # 0..1, best first
    title_similarity: float
    current_term: bool
    roster_overlap: float  # share of the course's students found in the class


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkView:
    course_id: str
    class_sourced_id: str
    class_title: str
    active: bool
    teacher_email: str
    roster: dict[str, Any]


def _students(people: list[Any]) -> list[ClassroomStudent]:
    return [ClassroomStudent(user_id=p.user_id, email=p.email) for p in people]


async def _teacher(sis: OneRosterClient, email: str) -> User:
    found = [t async for t in sis.teachers_by_email(email)]
    if len(found) != 1:
        what = "no teacher" if not found else f"{len(found)} teachers"
        raise TeacherNotInSis(f"The SIS has {what} with the email {email}.")
    return found[0]


async def _term_dates(sis: OneRosterClient) -> dict[str, tuple[date | None, date | None]]:
    return {t.sourced_id: (t.start_date, t.end_date) async for t in sis.terms()}


async def _candidates(conn: Connection, creds: Any, deps: Deps, email: str, course_name: str,
                      emails: set[str], today: date) -> list[Candidate]:
    async with open_client(conn, creds, deps) as sis:
        teacher = await _teacher(sis, email)
        classes = [c async for c in sis.classes_for_teacher(teacher.sourced_id)]
        terms = await _term_dates(sis)

        async def overlap(klass: SisClass) -> float:
            if not emails:
                return 0.0
            members = {(u.email or "").strip().lower() async for u in sis.students_for_class(klass.sourced_id)}
            return len(emails & members) / len(emails)

        overlaps = await asyncio.gather(*(overlap(c) for c in classes))
    out = []
    for klass, share in zip(classes, overlaps, strict=True):
        title = klass.title or klass.sourced_id
        similarity = difflib.SequenceMatcher(None, course_name.lower(), title.lower()).ratio()
        current = any((s := terms.get(t.sourced_id, (None, None)))[0] is not None and s[1] is not None
                      and s[0] <= today <= s[1] for t in klass.terms)  # type: ignore[operator]
        score = round(0.5 * share + 0.35 * similarity + 0.15 * current, 4)
        out.append(Candidate(class_sourced_id=klass.sourced_id, title=title, class_code=klass.class_code,
                             terms=tuple(t.sourced_id for t in klass.terms), score=score,
                             title_similarity=round(similarity, 4), current_term=current,
                             roster_overlap=round(share, 4)))
    return sorted(out, key=lambda c: (-c.score, c.title, c.class_sourced_id))


def candidates(caller: Caller, course_id: str, deps: Deps, *, today: date | None = None) -> list[Candidate]:
    """The caller's active SIS classes, best match for the course first."""
    require_course_access(caller, course_id, deps)
    conn, creds = ready_connection(caller.tenant, deps)
    assert deps.classroom is not None
    classroom = deps.classroom.as_user(caller.email)
    course = classroom.get_course(course_id)
    emails = {p.email for p in classroom.students(course_id) if p.email}
    return asyncio.run(_candidates(conn, creds, deps, caller.email, course.name, emails, today or date.today()))


async def _link_check(conn: Connection, creds: Any, deps: Deps, email: str, class_id: str,
                      students: list[ClassroomStudent]) -> tuple[SisClass, RosterMatch]:
    async with open_client(conn, creds, deps) as sis:
        teacher = await _teacher(sis, email)
        mine = {c.sourced_id: c async for c in sis.classes_for_teacher(teacher.sourced_id)}
        if class_id not in mine:
            raise ClassNotOwned(f"The SIS class {class_id} is not one of your active classes.")
        sis_students = [u async for u in sis.students_for_class(class_id)]
    return mine[class_id], match_roster(students, sis_students)


def link(caller: Caller, course_id: str, class_sourced_id: str, deps: Deps) -> LinkView:
    """Link (or re-link) the course; the SIS class must be the teacher's own. Returns the roster report."""
    require_course_access(caller, course_id, deps)
    conn, creds = ready_connection(caller.tenant, deps)
    assert deps.classroom is not None
    classroom = deps.classroom.as_user(caller.email)
    course = classroom.get_course(course_id)
    students = _students(classroom.students(course_id))
    teacher_email = caller.email
    if tenant_admin_linking_for_teacher := not classroom.is_teacher(course_id, caller.email):
        # An admin links on behalf of the course's teachers: the SIS class must be the owner's.
        teacher_email = next((p.email for p in classroom.teachers(course_id) if p.email), caller.email)
    klass, roster = asyncio.run(_link_check(conn, creds, deps, teacher_email, class_sourced_id, students))
    before = deps.links.get(caller.tenant, course_id)
    if before is not None and before.class_sourced_id != class_sourced_id and any(deps.ledgers.load(caller.tenant, course_id)):
        # Exported items live in the old class; moving them is a separate, explicit step.
        from sisbridge.errors import Conflict

        raise Conflict(f"This course already exported grades to SIS class {before.class_sourced_id}.",
                       hint="Unlink keeps those grades in place; ask your administrator before moving a course "
                            "to another SIS class.")
    saved = deps.links.save(ClassLink(
        tenant_id=caller.tenant, course_id=course_id, class_sourced_id=class_sourced_id,
        class_title=klass.title or class_sourced_id, course_name=course.name, teacher_email=teacher_email,
        active=True, linked_at=before.linked_at if before and before.active else None,
        last_run_id=before.last_run_id if before else None, last_state=before.last_state if before else None,
        last_finished_at=before.last_finished_at if before else None))
    deps.links.index_course(caller.tenant, course_id)
    deps.audit.append(caller.tenant, actor=caller.email, action="class.linked",
                      before={"class_sourced_id": before.class_sourced_id, "active": before.active} if before else None,
                      after={"course_id": course_id, "class_sourced_id": class_sourced_id,
                             "on_behalf": tenant_admin_linking_for_teacher})
    return LinkView(course_id=course_id, class_sourced_id=class_sourced_id, class_title=saved.class_title,
                    active=True, teacher_email=teacher_email, roster=roster.to_dict())


def unlink(caller: Caller, course_id: str, deps: Deps) -> LinkView:
    """Stop exporting the course; the link's history, runs and ledger stay."""
    require_course_access(caller, course_id, deps)
    before = deps.links.get(caller.tenant, course_id)
    if before is None:
        raise CourseNotLinked("This course is not linked to an SIS class.")
    saved = deps.links.save(replace(before, active=False))
    deps.audit.append(caller.tenant, actor=caller.email, action="class.unlinked",
                      before={"class_sourced_id": before.class_sourced_id, "active": before.active},
                      after={"class_sourced_id": saved.class_sourced_id, "active": False})
    return LinkView(course_id=course_id, class_sourced_id=saved.class_sourced_id, class_title=saved.class_title,
                    active=False, teacher_email=saved.teacher_email, roster={})


def my_courses(caller: Caller, deps: Deps) -> list[dict[str, Any]]:
    """The caller's Classroom courses with their link state, for the teacher's console."""
    assert deps.classroom is not None
    courses = deps.classroom.as_user(caller.email).courses_for_teacher(caller.email)
    out = []
    for course in courses:
        link_ = deps.links.get(caller.tenant, course.id)
        out.append({"course_id": course.id, "name": course.name, "section": course.section,
                    "linked": bool(link_ and link_.active),
                    "class_sourced_id": link_.class_sourced_id if link_ else None,
                    "class_title": link_.class_title if link_ else None,
                    "last_state": link_.last_state if link_ else None,
                    "last_run_id": link_.last_run_id if link_ else None})
    return out
