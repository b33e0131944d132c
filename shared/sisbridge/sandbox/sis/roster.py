"""The read-only rostering side of the district, built from `seed.py` as OneRoster wire objects.

One `Roster` is built per mounted (vendor, version): 1.1 users carry `role` and `orgs`, 1.2 users
carry `roles[]` and `primaryOrg`, and every `href` is a path on this server under that mount's
base. Rosters never change after start-up, so readers need no lock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sisbridge.sandbox import seed
from sisbridge.vendors import OneRosterVersion

SEED_TIME = "2026-08-10T12:00:00.000Z"  # dateLastModified of everything the SIS seeded
DISTRICT_NAME = "Example Unified School District"
TERM_TYPES = frozenset({"schoolYear", "semester", "term"})  # what /terms lists

Obj = dict[str, Any]

# Where each kind of object lives (for hrefs) and the GUIDRef `type` to give it.
_HOME = {
    "user": ("rostering", "users"), "class": ("rostering", "classes"), "org": ("rostering", "orgs"),
    "academicSession": ("rostering", "academicSessions"), "course": ("rostering", "courses"),
    "category": ("gradebook", "categories"), "lineItem": ("gradebook", "lineItems"),
    "result": ("gradebook", "results"),
}


@dataclass(frozen=True, slots=True)
class Bases:
    """Paths (no scheme or host) of one mount's service bases, without a trailing slash."""

    rostering: str
    gradebook: str

    def ref(self, kind: str, sourced_id: str) -> Obj:
        """A full GUIDRef; `kind` is the OneRoster ref type (user, class, org, academicSession …)."""
        service, collection = _HOME[kind]
        base = self.rostering if service == "rostering" else self.gradebook
        return {"href": f"{base}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


@dataclass(slots=True)
class Roster:
    version: OneRosterVersion
    users: dict[str, Obj] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # user sourcedId -> "teacher" | "student"
    orgs: dict[str, Obj] = field(default_factory=dict)
    sessions: dict[str, Obj] = field(default_factory=dict)
    courses: dict[str, Obj] = field(default_factory=dict)
    classes: dict[str, Obj] = field(default_factory=dict)
    class_students: dict[str, tuple[str, ...]] = field(default_factory=dict)
    class_teachers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    user_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    school_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    enrolled: dict[str, frozenset[str]] = field(default_factory=dict)  # class -> student ids

    def users_with_role(self, role: str) -> list[Obj]:
        return [u for sid, u in self.users.items() if self.roles[sid] == role]

    def terms(self) -> list[Obj]:
        return [s for s in self.sessions.values() if s["type"] in TERM_TYPES]

    def grading_periods(self) -> list[Obj]:
        return [s for s in self.sessions.values() if s["type"] == "gradingPeriod"]

    def grading_periods_under(self, term_id: str) -> list[Obj]:
        """Every gradingPeriod in the subtree of `term_id` (a school year reaches its quarters)."""
        return [gp for gp in self.grading_periods() if term_id in self.ancestors(gp["sourcedId"])]

    def ancestors(self, session_id: str) -> list[str]:
        out, parent = [], self.sessions[session_id].get("parent")
        while parent:
            out.append(parent["sourcedId"])
            parent = self.sessions[parent["sourcedId"]].get("parent")
        return out

    def class_school(self, class_id: str) -> str:
        return str(self.classes[class_id]["school"]["sourcedId"])

    def class_term_ids(self, class_id: str) -> list[str]:
        return [t["sourcedId"] for t in self.classes[class_id]["terms"]]


def _base(sourced_id: str) -> Obj:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": SEED_TIME}


def _user(p: seed.Person, role: str, version: OneRosterVersion, bases: Bases) -> Obj:
    school = bases.ref("org", seed.SCHOOL_ID)
    user = _base(p.sourced_id) | {
        "username": p.email.split("@")[0], "userIds": [], "enabledUser": "true",
        "givenName": p.given, "familyName": p.family, "middleName": "",
        "identifier": p.sourced_id.split("-")[-1], "email": p.email, "sms": "", "phone": "", "agents": [],
        "grades": ["09"] if role == "student" else [],
    }
    if version is OneRosterVersion.V1P1:
        user |= {"role": role, "orgs": [school]}
    else:
        user |= {"roles": [{"roleType": "primary", "role": role, "org": school}], "primaryOrg": school,
                 "userMasterIdentifier": p.sourced_id}
    return user


def build_roster(version: OneRosterVersion, bases: Bases) -> Roster:
    r = Roster(version=version)
    r.orgs[seed.ORG_ID] = _base(seed.ORG_ID) | {
        "name": DISTRICT_NAME, "type": "district", "identifier": seed.ORG_ID, "parent": None,
        "children": [bases.ref("org", seed.SCHOOL_ID)]}
    r.orgs[seed.SCHOOL_ID] = _base(seed.SCHOOL_ID) | {
        "name": seed.SCHOOL_NAME, "type": "school", "identifier": seed.SCHOOL_ID,
        "parent": bases.ref("org", seed.ORG_ID), "children": []}
    for s in seed.SESSIONS:
        r.sessions[s.sourced_id] = _base(s.sourced_id) | {
            "title": s.title, "type": s.type, "startDate": s.start, "endDate": s.end,
            "parent": bases.ref("academicSession", s.parent) if s.parent else None,
            "children": [bases.ref("academicSession", c.sourced_id)
                         for c in seed.SESSIONS if c.parent == s.sourced_id],
            "schoolYear": seed.SCHOOL_YEAR}
    for t in seed.TEACHERS:
        r.users[t.sourced_id], r.roles[t.sourced_id] = _user(t, "teacher", version, bases), "teacher"
    for st in seed.STUDENTS:
        r.users[st.sourced_id], r.roles[st.sourced_id] = _user(st, "student", version, bases), "student"
    for course_id, title in seed.COURSE_TITLES.items():
        r.courses[course_id] = _base(course_id) | {
            "title": title, "schoolYear": bases.ref("academicSession", "as-2027"),
            "courseCode": course_id.removeprefix("crs-").upper(), "grades": ["09"], "subjects": [title],
            "org": bases.ref("org", seed.SCHOOL_ID)}
    by_user: dict[str, list[str]] = defaultdict(list)
    for sec in seed.SECTIONS:
        r.classes[sec.class_sourced_id] = _base(sec.class_sourced_id) | {
            "title": sec.title, "classCode": sec.class_code, "classType": "scheduled", "location": "",
            "grades": ["09"], "subjects": [seed.COURSE_TITLES[sec.course_sourced_id]],
            "course": bases.ref("course", sec.course_sourced_id), "school": bases.ref("org", seed.SCHOOL_ID),
            "terms": [bases.ref("academicSession", sec.term)], "periods": [sec.class_code.rsplit("P", 1)[-1]]}
        r.class_students[sec.class_sourced_id] = sec.students
        r.class_teachers[sec.class_sourced_id] = (sec.teacher,)
        r.enrolled[sec.class_sourced_id] = frozenset(sec.students)
        for uid in (sec.teacher, *sec.students):
            by_user[uid].append(sec.class_sourced_id)
    r.user_classes = {uid: tuple(cs) for uid, cs in by_user.items()}
    r.school_classes = {seed.SCHOOL_ID: tuple(r.classes)}
    return r


def add_section(r: Roster, bases: Bases, sec: seed.Section, people: list[seed.Person]) -> None:
    """Add a class (and any new teacher or students) to a built roster: the bench's big classes."""
    for p in people:
        role = "teacher" if p.sourced_id == sec.teacher else "student"
        if p.sourced_id not in r.users:
            r.users[p.sourced_id], r.roles[p.sourced_id] = _user(p, role, r.version, bases), role
    r.classes[sec.class_sourced_id] = _base(sec.class_sourced_id) | {
        "title": sec.title, "classCode": sec.class_code, "classType": "scheduled", "location": "",
        "grades": ["09"], "subjects": [sec.title], "course": bases.ref("course", sec.course_sourced_id),
        "school": bases.ref("org", seed.SCHOOL_ID), "terms": [bases.ref("academicSession", sec.term)],
        "periods": ["1"]}
    r.courses.setdefault(sec.course_sourced_id, _base(sec.course_sourced_id) | {
        "title": sec.title, "schoolYear": bases.ref("academicSession", "as-2027"), "courseCode": sec.class_code,
        "grades": ["09"], "subjects": [sec.title], "org": bases.ref("org", seed.SCHOOL_ID)})
    r.class_students[sec.class_sourced_id] = sec.students
    r.class_teachers[sec.class_sourced_id] = (sec.teacher,)
    r.enrolled[sec.class_sourced_id] = frozenset(sec.students)
    for uid in (sec.teacher, *sec.students):
        r.user_classes[uid] = (*r.user_classes.get(uid, ()), sec.class_sourced_id)
    r.school_classes[seed.SCHOOL_ID] = (*r.school_classes.get(seed.SCHOOL_ID, ()), sec.class_sourced_id)
