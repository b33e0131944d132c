"""A lineItem's assignDate and dueDate, which OneRoster requires and Classroom may not have.

Rules (no wall clock: the same inputs must give the same dates, or every re-run would rewrite):

assignDate
  1. the courseWork's creation time;
  2. its due time, when there is no creation time or the due time is earlier (a back-dated
     assignment), so assignDate <= dueDate always holds;
  3. noon, school time, on the first day of its Classroom grading period;
  4. otherwise none: the caller skips the assignment (`no_assign_date`).

dueDate
  1. the courseWork's due time;
  2. noon, school time, on the last day of the grading period the lineItem is filed in (the SIS
     period chosen for it, else its Classroom period), if that day is not before the assign day.
     Without a due date the SIS period is the one holding the assign date, so this is "the end of
     the grading period that holds the assign date";
  3. otherwise assignDate + 7 days.

Noon is used for whole days because it is the same calendar day from UTC-11 to UTC+11, so an SIS
that reads only the date files it on the intended day wherever it is. "School time" is the
exporter's `timezone` input (UTC unless the service knows the school's zone).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sisbridge.oneroster.models import AcademicSession

from .classroom import ClassroomAssignment

__all__ = ["DEFAULT_DUE_AFTER", "AssignDateRule", "DueDateRule", "choose_assign_date", "choose_due_date",
           "local_day", "school_noon"]

DEFAULT_DUE_AFTER = timedelta(days=7)


class AssignDateRule(enum.Enum):
    CREATED = "created"
    DUE = "due"  # no creation time, or due before creation
    PERIOD_START = "grading_period_start"


class DueDateRule(enum.Enum):
    CLASSROOM = "classroom"
    PERIOD_END = "grading_period_end"
    ASSIGN_PLUS_7_DAYS = "assign_plus_7_days"


def local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def school_noon(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(12), tzinfo=tz).astimezone(UTC)


def choose_assign_date(work: ClassroomAssignment, tz: tzinfo) -> tuple[datetime, AssignDateRule] | None:
    if work.created is not None and (work.due is None or work.created <= work.due):
        return work.created.astimezone(UTC), AssignDateRule.CREATED
    if work.due is not None:
        return work.due.astimezone(UTC), AssignDateRule.DUE
    if work.grading_period is not None:
        return school_noon(work.grading_period.start, tz), AssignDateRule.PERIOD_START
    return None


def choose_due_date(
    work: ClassroomAssignment, assign: datetime, sis_period: AcademicSession | None, tz: tzinfo
) -> tuple[datetime, DueDateRule]:
    if work.due is not None:
        return work.due.astimezone(UTC), DueDateRule.CLASSROOM
    ends = [sis_period.end_date if sis_period is not None else None,
            work.grading_period.end if work.grading_period is not None else None]
    end = next((e for e in ends if e is not None), None)
    if end is not None and end >= local_day(assign, tz):
        return max(school_noon(end, tz), assign), DueDateRule.PERIOD_END
    return assign + DEFAULT_DUE_AFTER, DueDateRule.ASSIGN_PLUS_7_DAYS
