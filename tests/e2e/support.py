"""What the end-to-end suites share: vendor profiles to run against, the admin and teacher steps,
what the SIS should hold according to Classroom (computed from the sandboxes, not by sisbridge),
and views of the SIS sandbox's raw gradebook and request counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sisbridge.domain import line_item_sourced_id, result_sourced_id
from sisbridge.export_store import ExportRun
from sisbridge.repositories import ConnectionStatus
from sisbridge.sandbox import seed
from sisbridge.sandbox.classroom import SubmissionState
from sisbridge.services import connect as connecting
from sisbridge.services import export as exports
from sisbridge.services import linking
from sisbridge.vendors import PROFILES, AuthMethod, OneRosterVersion

from .conftest import ADA, ADMIN, World

TENANT = seed.DOMAIN
ALGEBRA = seed.SECTIONS[0]  # Ada's; Classroom has an outsider, the SIS a student who never joined
GEOMETRY = seed.SECTIONS[1]  # Ada's too
RETURNED = (SubmissionState.RETURNED, SubmissionState.RECLAIMED_BY_STUDENT)


@dataclass(frozen=True, slots=True)
class Profile:
    """A vendor as an admin connects it: which SIS, which auth mode."""

    vendor: str
    auth: AuthMethod

    @property
    def id(self) -> str:
        return f"{self.vendor}-{self.auth.value}"

    @property
    def limits(self) -> Any:
        return PROFILES[self.vendor].limits

    @property
    def version(self) -> OneRosterVersion:
        return PROFILES[self.vendor].default_version


OAUTH1, OAUTH2 = AuthMethod.OAUTH1, AuthMethod.OAUTH2
INFINITE_CAMPUS = Profile("infinite_campus", OAUTH2)  # 1.2, split bases, 50-character titles
ONEROSTER_1P1 = Profile("oneroster_1p1", OAUTH1)  # 1.1 signed with OAuth 1.0a, no title limit
ASPEN = Profile("aspen", OAUTH2)  # credentials in the token form body; category and period required
SKYWARD = Profile("skyward", OAUTH2)  # 1.1; grading period required, whole-number points
SKYWARD_OAUTH1 = Profile("skyward", OAUTH1)
AERIES = Profile("aeries", OAUTH2)  # 1.1, token under the OneRoster base, no DELETE
ALL = (INFINITE_CAMPUS, ONEROSTER_1P1, ASPEN, SKYWARD, SKYWARD_OAUTH1, AERIES)


# ----------------------------------------------------------------------------- admin and teacher


def connect(world: World, profile: Profile) -> None:
    admin = world.caller(ADMIN)
    connecting.connect(admin, connecting.ConnectRequest(
        sis=profile.vendor, host_url=f"{world.url}/{profile.vendor}", access_key=seed.ACCESS_KEY,
        secret_code=seed.SECRET_CODE, auth_method=profile.auth), world.deps)
    outcome = connecting.authorize(admin, world.deps)
    assert outcome.status is ConnectionStatus.AUTHORIZED
    assert outcome.connection.auth_method is profile.auth


def link(world: World, section: seed.Section = ALGEBRA, teacher: seed.Person = ADA) -> None:
    linking.link(world.caller(teacher.email), section.classroom_course_id, section.class_sourced_id, world.deps)


def export(world: World, section: seed.Section = ALGEBRA, *, full: bool = False,
           teacher: seed.Person = ADA) -> ExportRun:
    """A teacher's export, run to the end by the task queue."""
    who = world.caller(teacher.email)
    started = exports.trigger(who, section.classroom_course_id, world.deps, full=full)
    assert world.deps.tasks is not None and world.deps.tasks.drain(60)
    return exports.get_run(who, section.classroom_course_id, started["run_id"], world.deps)


def setup(world: World, profile: Profile, section: seed.Section = ALGEBRA) -> None:
    connect(world, profile)
    link(world, section)


# ------------------------------------------------------------------------------ Classroom edits


def student_email(section: seed.Section, index: int) -> str:
    """The Classroom email of the section's `index`-th Classroom student."""
    return seed.person(section.classroom_students[index]).google_email


def add_assignment(world: World, section: seed.Section, title: str, *, max_points: float = 20,
                   due: date = date(2026, 9, 10), period: str = "gp1",
                   grades: dict[int, float] | None = None) -> str:
    """Publish a courseWork (in the section's first category) and return `grades` (Classroom
    student index → points) to the students."""
    cs = world.classroom_state
    course = section.classroom_course_id
    work = cs.add_course_work(course, {
        "title": title, "maxPoints": max_points, "state": "PUBLISHED", "gradingPeriodId": period,
        "dueDate": {"year": due.year, "month": due.month, "day": due.day}, "dueTime": {"hours": 23},
        "gradeCategory": {"id": cs.course(course).categories[0].id}})
    for index, points in (grades or {}).items():
        cs.set_grade(course, work.id, student_email(section, index), draft_grade=points, assigned_grade=points,
                     state=SubmissionState.RETURNED)
    return str(work.id)


def work_id(world: World, section: seed.Section, title_start: str) -> str:
    found = [w.id for w in world.classroom_state.course_work_list(section.classroom_course_id)
             if w.title.startswith(title_start)]
    assert len(found) == 1, found
    return str(found[0])


# ------------------------------------------------------------------ what the SIS should hold


@dataclass(frozen=True, slots=True)
class Grade:
    line_item: str
    student: str  # SIS sourcedId
    score: float
    late: bool
    course_work_id: str


@dataclass(frozen=True, slots=True)
class Work:
    course_work_id: str
    title: str
    max_points: float


@dataclass
class Expected:
    """The SIS side of one section, derived from the Classroom sandbox and the seed roster."""

    line_items: dict[str, Work] = field(default_factory=dict)  # in Classroom creation order
    results: dict[str, Grade] = field(default_factory=dict)
    withheld: set[str] = field(default_factory=set)  # result ids of graded, not returned work
    unmatched: set[str] = field(default_factory=set)  # courseWork ids an unmatched student has a grade on

    def line_item_of(self, course_work_id: str) -> str:
        return next(sid for sid, w in self.line_items.items() if w.course_work_id == course_work_id)

    def results_of(self, course_work_id: str) -> dict[str, Grade]:
        return {sid: g for sid, g in self.results.items() if g.course_work_id == course_work_id}

    def result_of(self, course_work_id: str, section: seed.Section, index: int) -> str:
        student = section.classroom_students[index]
        return result_sourced_id(self.line_item_of(course_work_id), student)


def expected(world: World, section: seed.Section = ALGEBRA) -> Expected:
    cs = world.classroom_state
    course = section.classroom_course_id
    works = sorted((w for w in cs.course_work_list(course) if w.max_points),
                   key=lambda w: (w.creation_time, w.id))
    out = Expected()
    by_id = {}
    for w in works:
        sid = line_item_sourced_id(TENANT, course, w.id)
        out.line_items[sid] = Work(course_work_id=w.id, title=w.title, max_points=float(w.max_points))
        by_id[w.id] = sid
    classroom_email = {u.id: u.email.casefold() for u in cs.members(course, "students")}
    sis_student = {seed.person(s).email.casefold(): s for s in section.students}
    for sub in cs.submissions(course, "-"):
        li = by_id.get(sub.course_work_id)
        if li is None:
            continue
        student = sis_student.get(classroom_email.get(sub.user_id, ""))
        if sub.state in RETURNED and sub.assigned_grade is not None:
            if student is None:
                out.unmatched.add(sub.course_work_id)
            else:
                out.results[result_sourced_id(li, student)] = Grade(
                    line_item=li, student=student, score=sub.assigned_grade, late=sub.late,
                    course_work_id=sub.course_work_id)
        elif student is not None and (sub.draft_grade is not None or sub.assigned_grade is not None):
            out.withheld.add(result_sourced_id(li, student))
    return out


def expected_titles(exp: Expected, limit: int | None) -> dict[str, str]:
    """Whitespace folded, cut to `limit` with "…", and made unique in creation order with " (n)"."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for sid, work in exp.line_items.items():
        base = " ".join(work.title.split())

        def fit(text: str, room: int | None) -> str:
            return text if room is None or len(text) <= room else text[:room - 1].rstrip() + "…"

        title, n = fit(base, limit), 1
        while title.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            title = fit(base, None if limit is None else limit - len(suffix)) + suffix
        taken.add(title.casefold())
        out[sid] = title
    return out


# ------------------------------------------------------------------------ the SIS as it is now


@dataclass
class Book:
    """One class's part of a vendor's raw sandbox gradebook."""

    line_items: dict[str, dict[str, Any]]  # written by a client, live
    results: dict[str, dict[str, Any]]  # written by a client, live, on this class's lineItems
    deleted: dict[str, dict[str, Any]]  # client items deleted (lineItems and results)
    seeded: list[dict[str, Any]]  # the school's own items, every class

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        return {**self.line_items, **self.results}


def book(world: World, vendor: str, section: seed.Section = ALGEBRA) -> Book:
    raw = world.gradebook(vendor)
    ours = {li["sourcedId"] for li in raw["lineItems"] if li["class"]["sourcedId"] == section.class_sourced_id}
    line_items = {li["sourcedId"]: li for li in raw["lineItems"]
                  if li["sourcedId"] in ours and li["_origin"] == "client"}
    results = {r["sourcedId"]: r for r in raw["results"]
               if r["lineItem"]["sourcedId"] in ours and r["_origin"] == "client"}
    return Book(
        line_items={k: v for k, v in line_items.items() if not v["_deleted"]},
        results={k: v for k, v in results.items() if not v["_deleted"]},
        deleted={k: v for k, v in {**line_items, **results}.items() if v["_deleted"]},
        seeded=[o for kind in ("categories", "lineItems", "results") for o in raw[kind]
                if o["_origin"] == "seed"],
    )


def requests(world: World, vendor: str) -> Counter[str]:
    """OneRoster requests the SIS answered, per method (all statuses)."""
    by_method = world.stats()["requests"].get(vendor, {})
    return Counter({m: sum(by_status.values()) for m, by_status in by_method.items()})


def statuses(world: World, vendor: str, method: str) -> dict[str, int]:
    return dict(world.stats()["requests"].get(vendor, {}).get(method, {}))


def writes(world: World, vendor: str) -> Counter[str]:
    counts = requests(world, vendor)
    return Counter({m: counts[m] for m in ("PUT", "DELETE", "POST", "PATCH") if counts[m]})


def live_counts(world: World, vendor: str) -> dict[str, int]:
    """Live lineItems and results in the vendor's whole gradebook, whoever wrote them."""
    raw = world.gradebook(vendor)
    return {kind: sum(not o["_deleted"] for o in raw[kind]) for kind in ("lineItems", "results")}


def client_writes(b: Book) -> dict[str, int]:
    return {sid: obj["_clientWrites"] for sid, obj in b.items.items()}


def comparable(b: Book) -> dict[str, dict[str, Any]]:
    """The live client items without what changes on every write (timestamps, counters)."""
    drop = {"dateLastModified", "_clientWrites"}
    return {sid: {k: v for k, v in obj.items() if k not in drop} for sid, obj in b.items.items()}
