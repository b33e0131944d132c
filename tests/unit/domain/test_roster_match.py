from __future__ import annotations

import random

from sisbridge.domain import ClassroomStudent, UnmatchedReason, match_roster
from sisbridge.domain.roster_match import normalise_email
from sisbridge.oneroster.models import Status, User


def cr(user_id: str, email: str | None) -> ClassroomStudent:
    return ClassroomStudent(user_id=user_id, email=email)


def sis(sourced_id: str, email: str | None, **kw: object) -> User:
    return User(sourced_id=sourced_id, email=email, **kw)  # type: ignore[arg-type]


def test_emails_match_case_insensitively_and_trimmed() -> None:
    match = match_roster([cr("u1", "  Ada.Lovelace@School.ORG "), cr("u2", "alan@school.org")],
                         [sis("s1", "ada.lovelace@school.org"), sis("s2", "\tALAN@school.org\n")])
    assert match.sourced_ids_by_user_id() == {"u1": "s1", "u2": "s2"}
    assert match.classroom_only == () and match.sis_only == ()
    assert normalise_email("  A@B.c ") == "a@b.c" and normalise_email("   ") is None


def test_students_on_one_side_only_are_reported_with_the_side() -> None:
    match = match_roster([cr("u1", "a@x.org"), cr("u2", "new@x.org")],
                         [sis("s1", "a@x.org"), sis("s9", "left@x.org")])
    assert [(m.user_id, m.sourced_id) for m in match.matched] == [("u1", "s1")]
    assert [(u.id, u.reason) for u in match.classroom_only] == [("u2", UnmatchedReason.NOT_IN_SIS_CLASS)]
    assert [(u.id, u.reason) for u in match.sis_only] == [("s9", UnmatchedReason.NOT_IN_COURSE)]


def test_two_sis_users_with_one_email_match_nobody() -> None:
    match = match_roster([cr("u1", "twin@x.org"), cr("u2", "b@x.org")],
                         [sis("s1", "twin@x.org"), sis("s2", "TWIN@x.org "), sis("s3", "b@x.org")])
    assert match.sourced_ids_by_user_id() == {"u2": "s3"}
    (unmatched,) = match.classroom_only
    assert unmatched.id == "u1" and unmatched.reason is UnmatchedReason.AMBIGUOUS_EMAIL
    assert "s1" in unmatched.detail and "s2" in unmatched.detail
    assert {(u.id, u.reason) for u in match.sis_only} == {("s1", UnmatchedReason.AMBIGUOUS_EMAIL),
                                                          ("s2", UnmatchedReason.AMBIGUOUS_EMAIL)}


def test_two_classroom_students_with_one_email_match_nobody() -> None:
    match = match_roster([cr("u1", "dup@x.org"), cr("u2", "Dup@x.org")], [sis("s1", "dup@x.org")])
    assert match.matched == ()
    assert {u.reason for u in match.classroom_only} == {UnmatchedReason.AMBIGUOUS_EMAIL}
    assert [(u.id, u.reason) for u in match.sis_only] == [("s1", UnmatchedReason.AMBIGUOUS_EMAIL)]


def test_missing_emails_are_reported_not_matched_to_each_other() -> None:
    match = match_roster([cr("u1", None), cr("u2", " ")], [sis("s1", None)])
    assert match.matched == ()
    assert {(u.id, u.reason) for u in match.classroom_only} == {("u1", UnmatchedReason.NO_EMAIL),
                                                                ("u2", UnmatchedReason.NO_EMAIL)}
    assert [(u.id, u.reason) for u in match.sis_only] == [("s1", UnmatchedReason.NO_EMAIL)]


def test_a_repeated_record_counts_once() -> None:
    # A paging overlap repeats a user: that is the same person, not an ambiguity.
    match = match_roster([cr("u1", "a@x.org"), cr("u1", "a@x.org")],
                         [sis("s1", "a@x.org"), sis("s1", "A@x.org")])
    assert match.sourced_ids_by_user_id() == {"u1": "s1"}


def test_sis_users_marked_tobedeleted_are_ignored() -> None:
    match = match_roster([cr("u1", "a@x.org")], [sis("s-old", "a@x.org", status=Status.TOBEDELETED),
                                                 sis("s-new", "a@x.org")])
    assert match.sourced_ids_by_user_id() == {"u1": "s-new"}


def test_matching_does_not_depend_on_input_order() -> None:
    rng = random.Random(7)
    people = [(f"u{i}", f"s{i}", f"p{i % 40}@x.org") for i in range(60)]  # some emails shared
    crs = [cr(u, e.upper() if i % 3 else e) for i, (u, _, e) in enumerate(people)]
    siss = [sis(s, f" {e} ") for _, s, e in people[::2]] + [sis("extra", "nobody@x.org")]
    expected = match_roster(crs, siss)
    for _ in range(20):
        rng.shuffle(crs)
        rng.shuffle(siss)
        assert match_roster(crs, siss) == expected
    mapping = expected.sourced_ids_by_user_id()
    assert len(set(mapping.values())) == len(mapping), "a SIS student matched twice"


def test_the_report_is_json_able() -> None:
    data = match_roster([cr("u1", "a@x.org"), cr("u2", "b@x.org")], [sis("s1", "a@x.org")]).to_dict()
    assert data["matched"] == [{"userId": "u1", "sourcedId": "s1", "email": "a@x.org"}]
    assert data["classroomOnly"][0]["reason"] == "not_in_sis_class"
