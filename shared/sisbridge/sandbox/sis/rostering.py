"""Rostering reads (both versions): users, teachers, students, classes, orgs, schools, sessions, courses.

Envelopes follow the binding: collections of people are `users`, schools are `orgs`, terms and
grading periods are `academicSessions`; a single object is wrapped in its singular type name.
"""

from __future__ import annotations

from collections.abc import Callable

from .context import ROSTER_READ, Ctx, Handler, Obj, Reply, route
from .imsx import not_found


def _get(table: dict[str, Obj], kind: str, sourced_id: str) -> Obj:
    obj = table.get(sourced_id)
    if obj is None:
        raise not_found(kind, sourced_id)
    return obj


def _person(ctx: Ctx, role: str | None, sourced_id: str) -> Obj:
    user = ctx.roster.users.get(sourced_id)
    if user is None or (role is not None and ctx.roster.roles[sourced_id] != role):
        raise not_found(role or "user", sourced_id)
    return user


def _classes_of(ctx: Ctx, user_id: str) -> Reply:
    ids = ctx.roster.user_classes.get(user_id, ())
    return ctx.many("class", "classes", [ctx.roster.classes[c] for c in ids])


def _school(ctx: Ctx, sourced_id: str) -> Obj:
    org = ctx.roster.orgs.get(sourced_id)
    if org is None or org["type"] != "school":
        raise not_found("school", sourced_id)
    return org


def _rget(path: str) -> Callable[[Handler], Handler]:
    return route("GET", path, "rostering", ROSTER_READ)


# -- users -------------------------------------------------------------------------------------
@_rget("/users")
def get_users(ctx: Ctx) -> Reply:
    return ctx.many("user", "users", list(ctx.roster.users.values()))


@_rget("/users/{id}")
def get_user(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("user", _person(ctx, None, sourced_id))


@_rget("/users/{id}/classes")
def get_classes_for_user(ctx: Ctx, sourced_id: str) -> Reply:
    _person(ctx, None, sourced_id)
    return _classes_of(ctx, sourced_id)


@_rget("/teachers")
def get_teachers(ctx: Ctx) -> Reply:
    return ctx.many("user", "users", ctx.roster.users_with_role("teacher"))


@_rget("/teachers/{id}")
def get_teacher(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("user", _person(ctx, "teacher", sourced_id))


@_rget("/teachers/{id}/classes")
def get_classes_for_teacher(ctx: Ctx, sourced_id: str) -> Reply:
    _person(ctx, "teacher", sourced_id)
    return _classes_of(ctx, sourced_id)


@_rget("/students")
def get_students(ctx: Ctx) -> Reply:
    return ctx.many("user", "users", ctx.roster.users_with_role("student"))


@_rget("/students/{id}")
def get_student(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("user", _person(ctx, "student", sourced_id))


@_rget("/students/{id}/classes")
def get_classes_for_student(ctx: Ctx, sourced_id: str) -> Reply:
    _person(ctx, "student", sourced_id)
    return _classes_of(ctx, sourced_id)


# -- classes -----------------------------------------------------------------------------------
@_rget("/classes")
def get_classes(ctx: Ctx) -> Reply:
    return ctx.many("class", "classes", list(ctx.roster.classes.values()))


@_rget("/classes/{id}")
def get_class(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("class", _get(ctx.roster.classes, "class", sourced_id))


@_rget("/classes/{id}/students")
def get_students_for_class(ctx: Ctx, sourced_id: str) -> Reply:
    _get(ctx.roster.classes, "class", sourced_id)
    users = [ctx.roster.users[s] for s in ctx.roster.class_students[sourced_id]]
    return ctx.many("user", "users", users)


@_rget("/classes/{id}/teachers")
def get_teachers_for_class(ctx: Ctx, sourced_id: str) -> Reply:
    _get(ctx.roster.classes, "class", sourced_id)
    users = [ctx.roster.users[t] for t in ctx.roster.class_teachers[sourced_id]]
    return ctx.many("user", "users", users)


# -- orgs and schools --------------------------------------------------------------------------
@_rget("/orgs")
def get_orgs(ctx: Ctx) -> Reply:
    return ctx.many("org", "orgs", list(ctx.roster.orgs.values()))


@_rget("/orgs/{id}")
def get_org(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("org", _get(ctx.roster.orgs, "org", sourced_id))


@_rget("/schools")
def get_schools(ctx: Ctx) -> Reply:
    return ctx.many("org", "orgs", [o for o in ctx.roster.orgs.values() if o["type"] == "school"])


@_rget("/schools/{id}")
def get_school(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("org", _school(ctx, sourced_id))


@_rget("/schools/{id}/classes")
def get_classes_for_school(ctx: Ctx, sourced_id: str) -> Reply:
    _school(ctx, sourced_id)
    ids = ctx.roster.school_classes.get(sourced_id, ())
    return ctx.many("class", "classes", [ctx.roster.classes[c] for c in ids])


# -- academic sessions -------------------------------------------------------------------------
def _term(ctx: Ctx, sourced_id: str) -> Obj:
    session = ctx.roster.sessions.get(sourced_id)
    if session is None or session["type"] == "gradingPeriod":
        raise not_found("term", sourced_id)
    return session


@_rget("/academicSessions")
def get_academic_sessions(ctx: Ctx) -> Reply:
    return ctx.many("academicSession", "academicSessions", list(ctx.roster.sessions.values()))


@_rget("/academicSessions/{id}")
def get_academic_session(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("academicSession", _get(ctx.roster.sessions, "academicSession", sourced_id))


@_rget("/terms")
def get_terms(ctx: Ctx) -> Reply:
    return ctx.many("academicSession", "academicSessions", ctx.roster.terms())


@_rget("/terms/{id}")
def get_term(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("academicSession", _term(ctx, sourced_id))


@_rget("/terms/{id}/gradingPeriods")
def get_grading_periods_for_term(ctx: Ctx, sourced_id: str) -> Reply:
    _term(ctx, sourced_id)
    return ctx.many("academicSession", "academicSessions", ctx.roster.grading_periods_under(sourced_id))


@_rget("/gradingPeriods")
def get_grading_periods(ctx: Ctx) -> Reply:
    return ctx.many("academicSession", "academicSessions", ctx.roster.grading_periods())


@_rget("/gradingPeriods/{id}")
def get_grading_period(ctx: Ctx, sourced_id: str) -> Reply:
    session = ctx.roster.sessions.get(sourced_id)
    if session is None or session["type"] != "gradingPeriod":
        raise not_found("gradingPeriod", sourced_id)
    return ctx.one("academicSession", session)


# -- courses -----------------------------------------------------------------------------------
@_rget("/courses")
def get_courses(ctx: Ctx) -> Reply:
    return ctx.many("course", "courses", list(ctx.roster.courses.values()))


@_rget("/courses/{id}")
def get_course(ctx: Ctx, sourced_id: str) -> Reply:
    return ctx.one("course", _get(ctx.roster.courses, "course", sourced_id))
