"""Thread-safe in-memory Classroom state, seeded from `seeding.py`; the app reads and mutates it.

Every method takes the one lock, so concurrent exporter threads see consistent snapshots (records
are frozen). Errors are `ApiError`s that the app answers in Google's JSON shape.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from . import seeding
from .errors import ApiError, FaultQueue, Status, invalid, not_found
from .models import (
    ClassroomConfig,
    Course,
    CourseState,
    CourseWork,
    CourseWorkState,
    GradeChange,
    GradeChangeType,
    StateChange,
    Submission,
    SubmissionState,
    SyntheticCourse,
    User,
)
from .resources import parse_course_work

WILDCARD: Final = "-"


class _Unset:
    """Marker for "leave this field as it is" (None means "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class ClassroomState:
    """The sandbox's data: users, courses, courseWork and submissions, plus injected faults."""

    def __init__(self, config: ClassroomConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self.faults = FaultQueue()
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Restore the seeded district: drop mutations, synthetic courses and faults."""
        courses, works, subs = seeding.seed_district(self.config.seed)
        self.faults.clear()
        with self._lock:
            self._users: dict[str, User] = seeding.seed_users()
            self._courses: dict[str, Course] = {c.id: c for c in courses}
            self._work: dict[str, dict[str, CourseWork]] = {c.id: {} for c in courses}
            self._subs: dict[str, dict[str, Submission]] = {}  # courseWork id → userId → submission
            self._seq = 0
            for w in works:
                self._work[w.course_id][w.id] = w
                self._subs[w.id] = {}
            for s in subs:
                self._subs[s.course_work_id][s.user_id] = s
            self._clock = max([w.update_time for w in works] + [s.update_time for s in subs if s.update_time])

    def _now(self) -> datetime:
        """A monotonic clock: real UTC time, but always after every timestamp already issued."""
        real = datetime.now(UTC)
        real = real.replace(microsecond=real.microsecond // 1000 * 1000)
        self._clock = max(real, self._clock + timedelta(milliseconds=1))
        return self._clock

    # ------------------------------------------------------------------ reads
    def user(self, key: str) -> User:
        """A user by Classroom id or email (any letter case)."""
        with self._lock:
            found = self._find_user(key)
        if found is None:
            raise not_found()
        return found

    def courses(
        self,
        *,
        teacher: str | None = None,
        student: str | None = None,
        states: frozenset[CourseState] | None = None,
    ) -> list[Course]:
        """Courses, newest first, optionally restricted to a teacher's or a student's."""
        if teacher and student:
            raise invalid("Only one of teacherId and studentId may be specified.")
        with self._lock:
            found = list(self._courses.values())
            if teacher or student:
                user = self.user(teacher or student or "")
                found = [c for c in found if user.id in (c.teacher_ids if teacher else c.student_ids)]
        if states:
            found = [c for c in found if c.state in states]
        return sorted(found, key=lambda c: (c.creation_time, c.id), reverse=True)

    def course(self, course_id: str) -> Course:
        with self._lock:
            found = self._courses.get(course_id)
        if found is None:
            raise not_found()
        return found

    def members(self, course_id: str, role: str) -> list[User]:
        """The course's `teachers` or `students`, in enrollment order."""
        course = self.course(course_id)
        ids = course.teacher_ids if role == "teachers" else course.student_ids
        with self._lock:
            return [self._users[i] for i in ids]

    def course_work_list(
        self,
        course_id: str,
        *,
        states: frozenset[CourseWorkState] | None = None,
        order: tuple[tuple[str, bool], ...] = (("updateTime", True),),
    ) -> list[CourseWork]:
        """courseWork in the given states (PUBLISHED when None), sorted as `orderBy` asks."""
        self.course(course_id)
        wanted = states or frozenset({CourseWorkState.PUBLISHED})
        with self._lock:
            items = sorted(
                (w for w in self._work[course_id].values() if w.state in wanted), key=lambda w: w.id
            )
        for field, desc in reversed(order):  # stable sorts, last key first
            items.sort(key=_order_key(field), reverse=desc)
        return items

    def course_work(self, course_id: str, work_id: str) -> CourseWork:
        self.course(course_id)
        with self._lock:
            found = self._work[course_id].get(work_id)
        if found is None:
            raise not_found()
        return found

    def submissions(
        self,
        course_id: str,
        work_id: str,
        *,
        states: frozenset[SubmissionState] | None = None,
        user: str | None = None,
        late: bool | None = None,
    ) -> list[Submission]:
        """Submissions of one courseWork, or of every non-deleted one for `-`, in a stable order."""
        with self._lock:
            if work_id == WILDCARD:
                self.course(course_id)
                works = [w for w in self._work[course_id].values() if w.state is not CourseWorkState.DELETED]
            else:
                works = [self.course_work(course_id, work_id)]
            found = [s for w in works for s in self._subs[w.id].values()]
            if user is not None:
                who = self._find_user(user)
                found = [s for s in found if who is not None and s.user_id == who.id]
        if states:
            found = [s for s in found if s.state in states]
        if late is not None:
            found = [s for s in found if s.late is late]
        return found

    def submission(self, course_id: str, work_id: str, submission_id: str) -> Submission:
        for s in self.submissions(course_id, work_id):
            if s.id == submission_id:
                return s
        raise not_found()

    # ------------------------------------------------------------------ mutations
    def add_course_work(self, course_id: str, body: Mapping[str, Any]) -> CourseWork:
        """Create courseWork from a partial Google courseWork; PUBLISHED items get NEW submissions."""
        with self._lock:
            course = self.course(course_id)
            fields = parse_course_work(course, body, partial=False)
            work_id = str(fields.pop("id", None) or self._next_id("7"))
            if any(work_id in works for works in self._work.values()):
                raise ApiError(Status.ALREADY_EXISTS)
            now = self._now()
            work = CourseWork(
                id=work_id,
                course_id=course_id,
                creator_user_id=course.owner_id,
                creation_time=now,
                update_time=now,
                **fields,
            )
            self._work[course_id][work_id] = work
            self._subs[work_id] = {}
            if work.state is CourseWorkState.PUBLISHED:
                self._open_submissions(course, work)
            return work

    def update_course_work(self, course_id: str, work_id: str, body: Mapping[str, Any]) -> CourseWork:
        """Patch title, maxPoints, dueDate, state… and bump updateTime."""
        with self._lock:
            course, work = self.course(course_id), self.course_work(course_id, work_id)
            fields = parse_course_work(course, body, partial=True)
            new_state = fields.get("state", work.state)
            if new_state is not work.state and (
                work.state is CourseWorkState.DELETED or new_state is CourseWorkState.DRAFT
            ):
                raise ApiError(
                    Status.FAILED_PRECONDITION,
                    f"courseWork cannot move from {work.state.value} to {new_state.value}.",
                )
            if "due_date" in fields and fields["due_date"] is None:
                fields["due_time"] = None
            work = replace(work, **fields, update_time=self._now())
            self._work[course_id][work_id] = work
            if work.state is CourseWorkState.PUBLISHED:
                self._open_submissions(course, work)
            return work

    def delete_course_work(self, course_id: str, work_id: str) -> None:
        """Remove courseWork and its submissions for good (404 afterwards)."""
        with self._lock:
            self.course_work(course_id, work_id)
            del self._work[course_id][work_id]
            del self._subs[work_id]

    def set_grade(
        self,
        course_id: str,
        work_id: str,
        user: str,
        *,
        draft_grade: float | None | _Unset = UNSET,
        assigned_grade: float | None | _Unset = UNSET,
        state: SubmissionState | None = None,
        late: bool | None = None,
    ) -> Submission:
        """Change one student's submission as a teacher would; None clears a grade.

        A NEW submission that changes becomes CREATED unless `state` says otherwise.
        """
        with self._lock:
            work = self.course_work(course_id, work_id)
            who = self._find_user(user)
            sub = self._subs[work_id].get(who.id) if who else None
            if who is None or sub is None:
                raise not_found()
            now, owner = self._now(), self._courses[course_id].owner_id
            changes: dict[str, Any] = {}
            events: list[StateChange | GradeChange] = []
            for name, value, kind in (
                ("draft_grade", draft_grade, GradeChangeType.DRAFT_GRADE_POINTS_EARNED_CHANGE),
                ("assigned_grade", assigned_grade, GradeChangeType.ASSIGNED_GRADE_POINTS_EARNED_CHANGE),
            ):
                if not isinstance(value, _Unset):
                    changes[name] = points = _grade(work, name, value)
                    events.append(
                        GradeChange(
                            change_type=kind,
                            points=points,
                            max_points=work.max_points,
                            at=now,
                            actor_id=owner,
                        )
                    )
            if late is not None:
                changes["late"] = late
            target = state or (SubmissionState.CREATED if sub.state is SubmissionState.NEW else sub.state)
            if target is not sub.state:
                changes["state"] = target
                events.append(StateChange(state=target, at=now, actor_id=owner))
            if target is not SubmissionState.NEW:
                changes.update(creation_time=sub.creation_time or now, update_time=now)
            sub = replace(sub, **changes, history=sub.history + tuple(events))
            self._subs[work_id][sub.user_id] = sub
            return sub

    def make_course(
        self,
        *,
        teacher_email: str,
        assignments: int = 40,
        students: int = 35,
        name: str | None = None,
        course_id: str | None = None,
        first_student: int = 1,
    ) -> SyntheticCourse:
        """A synthetic bench course: `assignments` × `students` RETURNED, graded submissions."""
        for label, value, top in (
            ("assignments", assignments, 500),
            ("students", students, 2000),
            ("first_student", first_student, 10**6),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise invalid(f"{label} must be an integer between 0 and {top}.")
        if not isinstance(teacher_email, str) or "@" not in teacher_email:
            raise invalid("teacher_email must be an email address.")
        with self._lock:
            course_id = str(course_id or self._next_id("9"))
            if "/" in course_id or course_id == WILDCARD:
                raise invalid(f"Invalid course id {course_id!r}.")
            if course_id in self._courses:
                raise ApiError(Status.ALREADY_EXISTS, f"Course {course_id} already exists.")
            teacher = self._find_user(teacher_email) or seeding.teacher_for_email(teacher_email)
            people = tuple(seeding.bench_student(n) for n in range(first_student, first_student + students))
            for u in (teacher, *people):
                self._users.setdefault(u.id, u)
            course, works, subs = seeding.synthetic_course(
                course_id=course_id,
                name=name or f"Bench course {course_id}",
                teacher=teacher,
                students=people,
                assignments=assignments,
                created=self._now(),
                rng_seed=self.config.seed,
            )
            self._courses[course_id] = course
            self._work[course_id] = {w.id: w for w in works}
            for w in works:
                self._subs[w.id] = {}
            for s in subs:
                self._subs[s.course_work_id][s.user_id] = s
            self._clock = max(self._clock, *(w.update_time for w in works), course.update_time)
            return SyntheticCourse(
                course=course, teacher=teacher, students=people, course_work_ids=tuple(w.id for w in works)
            )

    # ------------------------------------------------------------------ faults
    def inject_fault(
        self, status: Status, *, times: int = 1, path: str = "", message: str | None = None
    ) -> None:
        """Answer the next `times` `/v1` requests whose path contains `path` with `status`."""
        self.faults.add(status, times=times, path=path, message=message)

    # ------------------------------------------------------------------ helpers
    def _find_user(self, key: str) -> User | None:
        if key in self._users:
            return self._users[key]
        folded = key.casefold()
        return next((u for u in self._users.values() if u.email.casefold() == folded), None)

    def _next_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:011d}"

    def _open_submissions(self, course: Course, work: CourseWork) -> None:
        """Give every student without one a NEW submission (published work always has them)."""
        subs = self._subs[work.id]
        for user_id in course.student_ids:
            if user_id not in subs:
                subs[user_id] = Submission(
                    id=seeding.opaque_id(work.id, user_id),
                    course_id=course.id,
                    course_work_id=work.id,
                    user_id=user_id,
                    state=SubmissionState.NEW,
                )


def _grade(work: CourseWork, name: str, value: object) -> float | None:
    """A grade to store: None clears; numbers must be at least 0 on graded work (extra credit allowed)."""
    if value is None:
        return None
    if work.max_points is None:
        raise invalid(f"courseWork {work.id} is ungraded: it has no maxPoints.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise invalid(f"{name} must be a number of at least 0.")
    return float(value)


def _order_key(field: str) -> Callable[[CourseWork], Any]:
    if field == "dueDate":
        far = datetime.max.date()
        return lambda w: (w.due_date or far, w.due_time or datetime.max.time())
    return lambda w: w.update_time
