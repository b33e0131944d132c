"""Pair Classroom students with the SIS class's students by email.

Email is the only identity both sides share (Google matches SIS rosters the same way). Emails are
compared trimmed and case-insensitively. A match must be one-to-one: an email held by two SIS users
(or two Classroom students) matches nobody, because picking one would put a grade on the wrong
report card. Everyone left over is reported with the reason, never dropped silently.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sisbridge.oneroster.models import Status, User

from .classroom import ClassroomStudent

__all__ = ["RosterMatch", "StudentMatch", "UnmatchedReason", "UnmatchedStudent", "match_roster",
           "normalise_email"]


class UnmatchedReason(enum.Enum):
    NOT_IN_SIS_CLASS = "not_in_sis_class"  # a Classroom student no SIS class student shares an email with
    NOT_IN_COURSE = "not_in_course"  # an SIS class student no Classroom student shares an email with
    AMBIGUOUS_EMAIL = "ambiguous_email"  # the email belongs to several users on one side
    NO_EMAIL = "no_email"


@dataclass(frozen=True, slots=True, kw_only=True)
class StudentMatch:
    user_id: str  # Classroom
    sourced_id: str  # SIS
    email: str  # normalised


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmatchedStudent:
    """`id` is the Classroom user id in `classroom_only`, the SIS sourcedId in `sis_only`."""

    id: str
    email: str | None
    reason: UnmatchedReason
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterMatch:
    matched: tuple[StudentMatch, ...] = ()
    classroom_only: tuple[UnmatchedStudent, ...] = ()
    sis_only: tuple[UnmatchedStudent, ...] = ()

    def sourced_ids_by_user_id(self) -> dict[str, str]:
        return {m.user_id: m.sourced_id for m in self.matched}

    def unmatched_by_user_id(self) -> dict[str, UnmatchedStudent]:
        return {u.id: u for u in self.classroom_only}

    def to_dict(self) -> dict[str, Any]:
        def unmatched(u: UnmatchedStudent) -> dict[str, Any]:
            return {"id": u.id, "email": u.email, "reason": u.reason.value, "detail": u.detail}

        return {
            "matched": [{"userId": m.user_id, "sourcedId": m.sourced_id, "email": m.email}
                        for m in self.matched],
            "classroomOnly": [unmatched(u) for u in self.classroom_only],
            "sisOnly": [unmatched(u) for u in self.sis_only],
        }


def normalise_email(email: str | None) -> str | None:
    """Trimmed and lower-cased; None for a missing or blank email."""
    if email is None:
        return None
    cleaned = email.strip().lower()
    return cleaned or None


def match_roster(classroom: Iterable[ClassroomStudent], sis: Iterable[User]) -> RosterMatch:
    """Match by email. Repeated ids (a paging overlap) count once; SIS users marked
    `tobedeleted` are ignored. Output tuples are sorted by id, so the result is order-independent."""
    cr_email = _first_by_id((s.user_id, s.email) for s in classroom)
    sis_email = _first_by_id((u.sourced_id, u.email) for u in sis if u.status is not Status.TOBEDELETED)
    cr_by_email = _group(cr_email)
    sis_by_email = _group(sis_email)

    matched: list[StudentMatch] = []
    classroom_only: list[UnmatchedStudent] = []
    for user_id in sorted(cr_email):
        email = cr_email[user_id]
        same_cr, same_sis = cr_by_email.get(email or "", []), sis_by_email.get(email or "", [])
        if email is None:
            classroom_only.append(UnmatchedStudent(id=user_id, email=None, reason=UnmatchedReason.NO_EMAIL,
                                                   detail="the Classroom profile has no email"))
        elif len(same_cr) > 1:
            classroom_only.append(_ambiguous(user_id, email, f"{len(same_cr)} Classroom students share it"))
        elif not same_sis:
            classroom_only.append(UnmatchedStudent(
                id=user_id, email=email, reason=UnmatchedReason.NOT_IN_SIS_CLASS,
                detail="no student of the SIS class has this email"))
        elif len(same_sis) > 1:
            shared = ", ".join(sorted(same_sis))
            classroom_only.append(_ambiguous(user_id, email, f"SIS users {shared} share it"))
        else:
            matched.append(StudentMatch(user_id=user_id, sourced_id=same_sis[0], email=email))

    matched_sis = {m.sourced_id for m in matched}
    sis_only: list[UnmatchedStudent] = []
    for sourced_id in sorted(sis_email):
        if sourced_id in matched_sis:
            continue
        email = sis_email[sourced_id]
        same_cr, same_sis = cr_by_email.get(email or "", []), sis_by_email.get(email or "", [])
        if email is None:
            sis_only.append(UnmatchedStudent(id=sourced_id, email=None, reason=UnmatchedReason.NO_EMAIL,
                                             detail="the SIS user has no email"))
        elif len(same_sis) > 1:
            sis_only.append(_ambiguous(sourced_id, email, f"{len(same_sis)} SIS users share it"))
        elif len(same_cr) > 1:
            sis_only.append(_ambiguous(sourced_id, email, f"{len(same_cr)} Classroom students share it"))
        else:
            sis_only.append(UnmatchedStudent(id=sourced_id, email=email, reason=UnmatchedReason.NOT_IN_COURSE,
                                             detail="no student of the Classroom course has this email"))
    return RosterMatch(matched=tuple(matched), classroom_only=tuple(classroom_only), sis_only=tuple(sis_only))


def _ambiguous(id_: str, email: str, detail: str) -> UnmatchedStudent:
    return UnmatchedStudent(id=id_, email=email, reason=UnmatchedReason.AMBIGUOUS_EMAIL, detail=detail)


def _first_by_id(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for id_, email in pairs:
        out.setdefault(id_, normalise_email(email))
    return out


def _group(emails: dict[str, str | None]) -> dict[str, list[str]]:
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for id_, email in emails.items():
        if email is not None:
            groups[email].append(id_)
    return dict(groups)
