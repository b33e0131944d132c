"""One small district, shared by the SIS sandbox and the Classroom sandbox.

The same people exist on both sides, matched by email as sisbridge matches them. SIS sourcedIds
are never emails. A few deliberate mismatches exercise the roster report: one Classroom student
has no SIS enrollment, one SIS student never joined the Classroom course, and one student's
email differs only in letter case between the two systems.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DOMAIN = "district.example"
ORG_ID = "org-district"
SCHOOL_ID = "org-hs-001"
SCHOOL_NAME = "Lincoln High School"
SCHOOL_YEAR = "2027"

# Credentials every sandbox vendor accepts (OAuth 2 client credentials and OAuth 1.0a consumer).
ACCESS_KEY = "sandbox-access-key"
SECRET_CODE = "sandbox-secret-code"
VENDOR_KEY = "sandbox-vendor:sandbox-vendor-secret"  # X-Vendor-Authorization, when a vendor wants it


@dataclass(frozen=True, slots=True)
class Session:
    sourced_id: str
    title: str
    type: str  # schoolYear | term | semester | gradingPeriod
    start: str  # YYYY-MM-DD
    end: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    sourced_id: str  # SIS id, never an email
    google_id: str  # Classroom userId
    given: str
    family: str
    email: str  # as the SIS stores it
    classroom_email: str | None = None  # as Classroom stores it, when it differs

    @property
    def google_email(self) -> str:
        return self.classroom_email or self.email


@dataclass(frozen=True, slots=True)
class Section:
    class_sourced_id: str
    title: str
    class_code: str
    course_sourced_id: str
    teacher: str  # sourcedId
    term: str  # sourcedId of the semester
    students: tuple[str, ...]  # SIS enrollment (sourcedIds)
    classroom_course_id: str
    classroom_students: tuple[str, ...]  # who joined the Classroom course (sourcedIds of Person)
    categories: tuple[str, ...] = ("Homework", "Quizzes", "Tests")
    extra: dict[str, str] = field(default_factory=dict)


SESSIONS: tuple[Session, ...] = (
    Session("as-2027", "2026-2027", "schoolYear", "2026-08-17", "2027-06-04"),
    Session("as-2027-s1", "Semester 1", "semester", "2026-08-17", "2027-01-15", "as-2027"),
    Session("as-2027-s2", "Semester 2", "semester", "2027-01-19", "2027-06-04", "as-2027"),
    Session("gp-2027-q1", "Quarter 1", "gradingPeriod", "2026-08-17", "2026-10-16", "as-2027-s1"),
    Session("gp-2027-q2", "Quarter 2", "gradingPeriod", "2026-10-19", "2027-01-15", "as-2027-s1"),
    Session("gp-2027-q3", "Quarter 3", "gradingPeriod", "2027-01-19", "2027-03-26", "as-2027-s2"),
    Session("gp-2027-q4", "Quarter 4", "gradingPeriod", "2027-03-29", "2027-06-04", "as-2027-s2"),
)

TEACHERS: tuple[Person, ...] = (
    Person("tch-1001", "108000000000000001001", "Ada", "Lovelace", f"ada.lovelace@{DOMAIN}"),
    Person("tch-1002", "108000000000000001002", "Alan", "Turing", f"alan.turing@{DOMAIN}"),
    Person("tch-1003", "108000000000000001003", "Grace", "Hopper", f"grace.hopper@{DOMAIN}"),
)

_GIVEN = ("Maya", "Liam", "Noah", "Emma", "Olivia", "Ava", "Elijah", "Sofia", "Lucas", "Mia", "Ethan", "Zoe")
_FAMILY = ("Garcia", "Nguyen", "Smith", "Okafor", "Kim", "Patel", "Rossi", "Cohen", "Silva", "Haddad")


def _student(n: int) -> Person:
    given, family = _GIVEN[n % len(_GIVEN)], _FAMILY[(n * 7) % len(_FAMILY)]
    email = f"{given.lower()}.{family.lower()}{n}@{DOMAIN}"
    # Student 7: the SIS stores a capitalised email; Classroom the lower-case one.
    sis_email = email.replace(given.lower(), given, 1) if n == 7 else email
    return Person(f"stu-{200000 + n}", f"109000000000000{200000 + n}", given, family, sis_email,
                  classroom_email=email if n == 7 else None)


STUDENTS: tuple[Person, ...] = tuple(_student(n) for n in range(1, 31))
# A student who joined Classroom with a personal account: no SIS record matches them.
OUTSIDER = Person("none", "109000000000000999999", "Riley", "Stone", "riley.stone@gmail.example")


def _ids(a: int, b: int) -> tuple[str, ...]:
    return tuple(s.sourced_id for s in STUDENTS[a:b])


SECTIONS: tuple[Section, ...] = (
    # Algebra: SIS roster 1-12; Classroom has 1-11 and the outsider (12 never joined).
    Section("cls-alg1-p1", "Algebra I - Period 1", "ALG1-P1", "crs-alg1", "tch-1001", "as-2027-s1",
            _ids(0, 12), "600000000001", _ids(0, 11) + (OUTSIDER.sourced_id,)),
    Section("cls-geo-p3", "Geometry - Period 3", "GEO-P3", "crs-geo", "tch-1001", "as-2027-s1",
            _ids(10, 22), "600000000002", _ids(10, 22)),
    Section("cls-cs-p2", "Computer Science - Period 2", "CS-P2", "crs-cs", "tch-1002", "as-2027-s1",
            _ids(5, 25), "600000000003", _ids(5, 25), categories=("Labs", "Projects", "Exams")),
    Section("cls-bio-p4", "Biology - Period 4", "BIO-P4", "crs-bio", "tch-1003", "as-2027-s2",
            _ids(15, 30), "600000000004", _ids(15, 30)),
)

COURSE_TITLES = {"crs-alg1": "Algebra I", "crs-geo": "Geometry", "crs-cs": "Computer Science", "crs-bio": "Biology"}


def person(sourced_id: str) -> Person:
    for p in (*TEACHERS, *STUDENTS, OUTSIDER):
        if p.sourced_id == sourced_id:
            return p
    raise KeyError(sourced_id)
