"""The seeded Classroom side of the district, built from `sandbox/seed.py`, plus synthetic bench courses.

Every seed Section becomes a course with six courseWork items that cover what an exporter meets:

    hw          points, dueDate + dueTime, category, grading period 1
    quiz        points, no dueDate, category, grading period 1
    discussion  ungraded (no maxPoints), no category
    test        title over 60 characters, dueTime on the hour, category, grading period 2
    draft       DRAFT (no submissions)
    bonus       points, no category, no gradingPeriodId

Submissions come from an RNG seeded by (config seed, course, item), so a seed always gives the same
district. A few fixed students per item pin the edge cases tests rely on (see `_FORCED`).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sisbridge.sandbox import seed

from .models import (
    CalculationType,
    Course,
    CourseWork,
    CourseWorkState,
    GradeCategory,
    GradeChange,
    GradeChangeType,
    GradingPeriod,
    StateChange,
    Submission,
    SubmissionState,
    User,
)

S = SubmissionState
_WEIGHTS = (300_000, 300_000, 400_000)  # 30/30/40 %, Classroom's millionths
_DUE_EVENING = time(4, 59)  # 23:59 in New York, stored in UTC on the next day as Classroom does


@dataclass(frozen=True, slots=True)
class _Plan:
    key: str
    title: str
    max_points: float | None
    category: int | None  # index into the course's categories
    period: int  # grading period whose dates place the item
    tag_period: bool  # whether the item carries gradingPeriodId
    created: int  # days after the period starts
    due: int | None  # days after the period starts
    due_time: time | None
    state: CourseWorkState = CourseWorkState.PUBLISHED


def _plans(topic: str) -> tuple[_Plan, ...]:
    long_title = f"Unit 1 Test: {topic} - comprehensive assessment of every section covered so far"
    return (
        _Plan("hw", f"{topic} Homework 1", 10, 0, 0, True, 7, 14, _DUE_EVENING),
        _Plan("quiz", f"Quiz 1: {topic} basics", 25, 1, 0, True, 20, None, None),
        _Plan("discussion", "Class discussion: introduce yourself", None, None, 0, True, 1, 5, _DUE_EVENING),
        _Plan("test", long_title, 100, 2, 1, True, 3, 10, time(15, 0)),
        _Plan("draft", "Project proposal", 50, 0, 1, True, 5, 40, _DUE_EVENING, CourseWorkState.DRAFT),
        _Plan("bonus", "Reading reflection", 5, None, 1, False, 15, 20, _DUE_EVENING),
    )


# (item key, student index in the course) → the edge case that student's submission pins.
_FORCED: dict[tuple[str, int], str] = {
    ("hw", 0): "late",  # RETURNED, late=true
    ("hw", 1): "draft_only",  # TURNED_IN with a draftGrade only: never exported
    ("hw", 2): "new",  # NEW: no timestamps, no grades
    ("hw", 3): "created",  # CREATED, no grades
    ("hw", 4): "assigned_only",  # RETURNED with assignedGrade and no draftGrade
    ("quiz", 1): "zero",  # RETURNED with assignedGrade 0
    ("quiz", 2): "reclaimed",  # RECLAIMED_BY_STUDENT keeping its assignedGrade
    ("quiz", 3): "regrade",  # RETURNED, draftGrade differs from assignedGrade
    ("test", 0): "extra",  # assignedGrade above maxPoints (extra credit)
    ("test", 5): "late",
}


def utc(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def opaque_id(*parts: str) -> str:
    """A stable id that looks like Classroom's base64 submission ids."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return "Cg4I" + base64.urlsafe_b64encode(digest[:9]).decode()


def seed_users() -> dict[str, User]:
    people = (*seed.TEACHERS, *seed.STUDENTS, seed.OUTSIDER)
    return {
        p.google_id: User(id=p.google_id, given=p.given, family=p.family, email=p.google_email)
        for p in people
    }


def grading_periods(term: str) -> tuple[GradingPeriod, ...]:
    """The term's SIS grading periods with Classroom ids gp1, gp2… numbered within the course."""
    sessions = sorted(
        (s for s in seed.SESSIONS if s.type == "gradingPeriod" and s.parent == term), key=lambda s: s.start
    )
    return tuple(
        GradingPeriod(
            id=f"gp{n}", title=s.title, start=date.fromisoformat(s.start), end=date.fromisoformat(s.end)
        )
        for n, s in enumerate(sessions, 1)
    )


def categories(number: int, names: tuple[str, ...], calc: CalculationType) -> tuple[GradeCategory, ...]:
    weighted = calc is CalculationType.WEIGHTED_CATEGORIES
    return tuple(
        GradeCategory(
            id=str(800_000_000_000 + number * 100 + n),
            name=name,
            weight=_WEIGHTS[n % len(_WEIGHTS)] if weighted else None,
            default_grade_denominator=None if weighted else 100,
        )
        for n, name in enumerate(names)
    )


def seed_district(rng_seed: int) -> tuple[list[Course], list[CourseWork], list[Submission]]:
    """Courses, courseWork and submissions for every seed Section."""
    courses: list[Course] = []
    works: list[CourseWork] = []
    subs: list[Submission] = []
    for number, section in enumerate(seed.SECTIONS, 1):
        teacher = seed.person(section.teacher).google_id
        calc = (
            CalculationType.TOTAL_POINTS
            if section.class_code.startswith("CS")
            else CalculationType.WEIGHTED_CATEGORIES
        )
        periods = grading_periods(section.term)
        created = utc(periods[0].start - timedelta(days=10), 15, number)
        course = Course(
            id=section.classroom_course_id,
            name=section.title,
            section=section.title.rsplit(" - ", 1)[-1],
            owner_id=teacher,
            teacher_ids=(teacher,),
            student_ids=tuple(seed.person(s).google_id for s in section.classroom_students),
            calculation_type=calc,
            categories=categories(number, section.categories, calc),
            grading_periods=periods,
            creation_time=created,
            update_time=created + timedelta(hours=2),
        )
        courses.append(course)
        for n, plan in enumerate(_plans(seed.COURSE_TITLES[section.course_sourced_id]), 1):
            work = _course_work(course, plan, str(700_000_000_000 + number * 100 + n))
            works.append(work)
            if work.state is CourseWorkState.PUBLISHED:
                rng = random.Random(f"{rng_seed}:{course.id}:{plan.key}")
                subs += [
                    _submission(work, user, teacher, rng, _FORCED.get((plan.key, j)))
                    for j, user in enumerate(course.student_ids)
                ]
    return courses, works, subs


def _course_work(course: Course, plan: _Plan, work_id: str) -> CourseWork:
    period = course.grading_periods[plan.period]
    created = utc(period.start + timedelta(days=plan.created), 14, 5)
    due_date = None
    if plan.due is not None:
        due_date = period.start + timedelta(days=plan.due + (1 if plan.due_time == _DUE_EVENING else 0))
    return CourseWork(
        id=work_id,
        course_id=course.id,
        title=plan.title,
        description=f"{plan.title}. See the attached instructions." if plan.key != "bonus" else None,
        state=plan.state,
        creator_user_id=course.owner_id,
        creation_time=created,
        update_time=created + timedelta(minutes=30),
        max_points=plan.max_points,
        due_date=due_date,
        due_time=plan.due_time if due_date else None,
        category_id=course.categories[plan.category].id if plan.category is not None else None,
        grading_period_id=period.id if plan.tag_period else None,
    )


def _points(rng: random.Random, max_points: float) -> float:
    if max_points >= 20:
        return round(rng.uniform(0.5, 1.0) * max_points * 2) / 2  # half points happen
    return float(rng.randint(math.ceil(max_points / 2), int(max_points)))


_TAG_STATE = {
    "new": S.NEW,
    "created": S.CREATED,
    "draft_only": S.TURNED_IN,
    "reclaimed": S.RECLAIMED_BY_STUDENT,
}


def _random_state(roll: float) -> SubmissionState:
    return S.RETURNED if roll < 0.72 else S.TURNED_IN if roll < 0.84 else S.CREATED if roll < 0.92 else S.NEW


def _submission(
    work: CourseWork, user_id: str, teacher: str, rng: random.Random, tag: str | None
) -> Submission:
    # Draw every number first, so a forced tag never shifts the RNG for the students after it.
    roll, late_roll, draft_roll = rng.random(), rng.random(), rng.random()
    created = work.creation_time + timedelta(hours=rng.randint(1, 72))
    turned_in = created + timedelta(hours=rng.randint(1, 96))
    graded = turned_in + timedelta(hours=rng.randint(2, 120))
    returned = graded + timedelta(minutes=rng.randint(0, 30))
    points = _points(rng, work.max_points) if work.max_points else None
    if points is not None and tag in ("zero", "extra"):
        points = 0.0 if tag == "zero" else (work.max_points or 0) + 5

    state = _TAG_STATE.get(tag or "") or (S.RETURNED if tag else _random_state(roll))
    sub = Submission(
        id=opaque_id(work.id, user_id),
        course_id=work.course_id,
        course_work_id=work.id,
        user_id=user_id,
        state=state,
    )
    if state is S.NEW:
        return sub
    events: list[StateChange | GradeChange] = [StateChange(state=S.CREATED, at=created, actor_id=user_id)]
    draft = assigned = None
    if state is not S.CREATED:
        events.append(StateChange(state=S.TURNED_IN, at=turned_in, actor_id=user_id))
        graded_now = state is not S.TURNED_IN or tag == "draft_only" or draft_roll < 0.5
        if points is not None and graded_now and tag != "assigned_only":
            draft = points
            events.append(
                _grade(GradeChangeType.DRAFT_GRADE_POINTS_EARNED_CHANGE, draft, work, graded, teacher)
            )
    if state in (S.RETURNED, S.RECLAIMED_BY_STUDENT):
        if points is not None:
            assigned = points
            events.append(
                _grade(GradeChangeType.ASSIGNED_GRADE_POINTS_EARNED_CHANGE, points, work, graded, teacher)
            )
        events.append(StateChange(state=S.RETURNED, at=returned, actor_id=teacher))
        if tag == "regrade" and points is not None:
            draft = max(points - 2, 0.0) if points >= 2 else points + 1  # a re-grade in progress
            events.append(
                _grade(
                    GradeChangeType.DRAFT_GRADE_POINTS_EARNED_CHANGE,
                    draft,
                    work,
                    returned + timedelta(days=1),
                    teacher,
                )
            )
        if state is S.RECLAIMED_BY_STUDENT:
            events.append(StateChange(state=state, at=returned + timedelta(hours=5), actor_id=user_id))
    late = state is not S.CREATED and (
        tag == "late" or (tag is None and work.due_date is not None and late_roll < 0.15)
    )
    return replace(
        sub,
        creation_time=created,
        update_time=max(e.at for e in events),
        late=late,
        draft_grade=draft,
        assigned_grade=assigned,
        history=tuple(events),
    )


def _grade(kind: GradeChangeType, points: float, work: CourseWork, at: datetime, actor: str) -> GradeChange:
    return GradeChange(change_type=kind, points=points, max_points=work.max_points, at=at, actor_id=actor)


def _number(text: str) -> int:
    """A stable number below 10**8 for any id, so synthetic category ids look like Classroom's."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % 10**8


def bench_student(n: int) -> User:
    """Synthetic student n: `bench.s<n>@DOMAIN`, the same person in every synthetic course."""
    return User(id=f"1097{n:017d}", given="Bench", family=f"Student{n}", email=f"bench.s{n}@{seed.DOMAIN}")


def teacher_for_email(email: str) -> User:
    """A synthetic teacher for an email that is not in the seed."""
    local = email.split("@", 1)[0]
    given, _, family = local.partition(".")
    digits = int(hashlib.sha256(email.lower().encode()).hexdigest()[:15], 16) % 10**17
    return User(
        id=f"1086{digits:017d}",
        given=given.title() or "Teacher",
        family=family.title() or "Bench",
        email=email,
    )


def synthetic_course(
    *,
    course_id: str,
    name: str,
    teacher: User,
    students: tuple[User, ...],
    assignments: int,
    created: datetime,
    rng_seed: int,
) -> tuple[Course, list[CourseWork], list[Submission]]:
    """A bench course: `assignments` published 100-point items, every submission RETURNED and graded."""
    calc = CalculationType.WEIGHTED_CATEGORIES
    periods = grading_periods(seed.SECTIONS[0].term)
    course = Course(
        id=course_id,
        name=name,
        section="Bench",
        owner_id=teacher.id,
        teacher_ids=(teacher.id,),
        student_ids=tuple(s.id for s in students),
        calculation_type=calc,
        categories=categories(_number(course_id), ("Homework", "Quizzes", "Tests"), calc),
        grading_periods=periods,
        creation_time=created,
        update_time=created,
    )
    rng = random.Random(f"{rng_seed}:{course_id}")
    works: list[CourseWork] = []
    subs: list[Submission] = []
    for n in range(1, assignments + 1):
        period = periods[(n - 1) * len(periods) // max(assignments, 1)]
        stamp = created + timedelta(seconds=n)
        work = CourseWork(
            id=f"{course_id}{n:04d}",
            course_id=course_id,
            title=f"Bench assignment {n}",
            state=CourseWorkState.PUBLISHED,
            creator_user_id=teacher.id,
            creation_time=stamp,
            update_time=stamp,
            max_points=100,
            due_date=period.start + timedelta(days=n % 50),
            due_time=_DUE_EVENING,
            category_id=course.categories[n % len(course.categories)].id,
            grading_period_id=period.id,
        )
        works.append(work)
        for user in students:
            grade = float(rng.randint(50, 100))
            history = (
                StateChange(state=S.CREATED, at=stamp, actor_id=user.id),
                StateChange(state=S.TURNED_IN, at=stamp, actor_id=user.id),
                _grade(GradeChangeType.DRAFT_GRADE_POINTS_EARNED_CHANGE, grade, work, stamp, teacher.id),
                _grade(GradeChangeType.ASSIGNED_GRADE_POINTS_EARNED_CHANGE, grade, work, stamp, teacher.id),
                StateChange(state=S.RETURNED, at=stamp, actor_id=teacher.id),
            )
            subs.append(
                Submission(
                    id=opaque_id(work.id, user.id),
                    course_id=course_id,
                    course_work_id=work.id,
                    user_id=user.id,
                    state=S.RETURNED,
                    creation_time=stamp,
                    update_time=stamp,
                    draft_grade=grade,
                    assigned_grade=grade,
                    history=history,
                )
            )
    return course, works, subs
