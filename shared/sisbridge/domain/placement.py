"""Where a lineItem lands in the SIS gradebook: its category and its grading period.

Every choice carries the rule that made it and a sentence for the teacher, so a dry run can say
why an assignment went under "Assignments" instead of "Homework". Ties are broken by sourcedId,
never by the order the SIS listed things in, so re-runs choose the same thing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sisbridge.oneroster.models import AcademicSession, Category, Status

from .classroom import ClassroomGradingPeriod

__all__ = ["CategoryChoice", "CategoryRule", "PeriodChoice", "PeriodRule", "choose_category",
           "choose_grading_period"]


def _key(title: str | None) -> str:
    return " ".join((title or "").split()).casefold()


class CategoryRule(enum.Enum):
    CLASSROOM = "classroom_category"  # the SIS category titled like the Classroom grade category
    VENDOR_DEFAULT = "vendor_default"  # the vendor's default category title, present in the SIS
    FIRST_SIS = "first_sis_category"  # a category is required: the first SIS category by title
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryChoice:
    category: Category | None
    rule: CategoryRule
    detail: str


def choose_category(
    classroom_name: str | None,
    sis_categories: Iterable[Category],
    *,
    default_title: str | None,
    required: bool,
) -> CategoryChoice:
    """Classroom's category by title (case-insensitive, trimmed); else the vendor default if the SIS
    has it; else, only when a category is required, the first SIS category by (title, sourcedId);
    else none. A required category with no SIS categories at all yields NONE: the caller skips."""
    live = sorted((c for c in sis_categories if c.status is not Status.TOBEDELETED),
                  key=lambda c: (_key(c.title), c.sourced_id))
    by_title: dict[str, Category] = {}
    for c in live:
        by_title.setdefault(_key(c.title), c)
    wanted = _key(classroom_name)
    if wanted and wanted in by_title:
        found = by_title[wanted]
        return CategoryChoice(category=found, rule=CategoryRule.CLASSROOM,
                              detail=f"Classroom category {classroom_name!r} is SIS category {found.title!r}")
    why = (f"no SIS category is titled {classroom_name!r}" if wanted
           else "the assignment has no Classroom grade category")
    default = by_title.get(_key(default_title)) if default_title else None
    if default is not None:
        return CategoryChoice(category=default, rule=CategoryRule.VENDOR_DEFAULT,
                              detail=f"{why}; used the vendor default {default.title!r}")
    if required and live:
        return CategoryChoice(category=live[0], rule=CategoryRule.FIRST_SIS,
                              detail=f"{why}; the SIS requires a category, used {live[0].title!r}")
    if required:
        return CategoryChoice(category=None, rule=CategoryRule.NONE,
                              detail=f"{why}, the SIS requires a category and the class has none")
    return CategoryChoice(category=None, rule=CategoryRule.NONE, detail=f"{why}; sent without a category")


class PeriodRule(enum.Enum):
    CLASSROOM_TITLE = "classroom_title"  # the Classroom grading period's title
    CLASSROOM_DATES = "classroom_dates"  # the Classroom grading period's exact start and end
    HOLDS_DUE_DATE = "holds_due_date"
    HOLDS_ASSIGN_DATE = "holds_assign_date"  # no due date: the period holding the assign date
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodChoice:
    period: AcademicSession | None
    rule: PeriodRule
    detail: str


def _holds(p: AcademicSession, day: date) -> bool:
    return p.start_date is not None and p.end_date is not None and p.start_date <= day <= p.end_date


def _narrowest(periods: Iterable[AcademicSession]) -> AcademicSession | None:
    """Overlapping periods (a quarter inside a semester): the shortest, then the latest start."""
    def key(p: AcademicSession) -> tuple[int, int, str]:
        assert p.start_date is not None and p.end_date is not None
        return ((p.end_date - p.start_date).days, -p.start_date.toordinal(), p.sourced_id)
    return min(periods, key=key, default=None)


def choose_grading_period(
    classroom_period: ClassroomGradingPeriod | None,
    sis_periods: Iterable[AcademicSession],
    *,
    due_day: date | None,
    assign_day: date | None,
) -> PeriodChoice:
    """The teacher's Classroom period matched by title (ties: identical dates, then the one holding
    the due/assign day, then sourcedId) or by identical dates; else the SIS period holding the due
    day (the assign day when there is no due date); else none. Days are school-local dates."""
    live = sorted((p for p in sis_periods if p.status is not Status.TOBEDELETED), key=lambda p: p.sourced_id)
    anchor = due_day or assign_day
    if classroom_period is not None:
        cr = classroom_period
        titled = [p for p in live if _key(p.title) and _key(p.title) == _key(cr.title)]
        if titled:
            best = min(titled, key=lambda p: (not (p.start_date == cr.start and p.end_date == cr.end),
                                              not (anchor is not None and _holds(p, anchor)), p.sourced_id))
            return PeriodChoice(period=best, rule=PeriodRule.CLASSROOM_TITLE,
                                detail=f"Classroom grading period {cr.title!r} is SIS period {best.title!r}")
        dated = [p for p in live if p.start_date == cr.start and p.end_date == cr.end]
        if dated:
            return PeriodChoice(period=dated[0], rule=PeriodRule.CLASSROOM_DATES,
                                detail=f"Classroom grading period {cr.title!r} has the dates of SIS period "
                                       f"{dated[0].title!r}")
    if anchor is not None:
        found = _narrowest(p for p in live if _holds(p, anchor))
        if found is not None:
            rule = PeriodRule.HOLDS_DUE_DATE if due_day is not None else PeriodRule.HOLDS_ASSIGN_DATE
            what = "due date" if due_day is not None else "assign date"
            return PeriodChoice(period=found, rule=rule,
                                detail=f"SIS period {found.title!r} holds the {what} {anchor}")
    what = "due date" if due_day is not None else "assign date"
    tagged = f"Classroom period {classroom_period.title!r} has no SIS match and " if classroom_period else ""
    return PeriodChoice(period=None, rule=PeriodRule.NONE,
                        detail=f"{tagged}no SIS grading period holds the {what} {anchor}")
