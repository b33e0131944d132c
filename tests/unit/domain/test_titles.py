from __future__ import annotations

import random

import pytest

from sisbridge.domain import ClassroomAssignment, map_export
from sisbridge.domain.titles import ELLIPSIS, UNTITLED, normalise_title, truncate, unique_titles
from sisbridge.vendors import VendorProfile

from .builders import assignment, inputs, vendor

LONG = "Unit 4 review: quadratic equations, factoring and the quadratic formula (part A)"


def test_short_titles_are_kept_as_typed() -> None:
    assert unique_titles([("a", "Quiz 1"), ("b", "Quiz 2")], max_length=50) == {"a": "Quiz 1", "b": "Quiz 2"}


def test_long_titles_are_cut_visibly_to_the_limit() -> None:
    cut = truncate(LONG, 50)
    assert len(cut) == 50 and cut.endswith(ELLIPSIS) and LONG.startswith(cut[:-1])
    assert truncate("exactly ten", 11) == "exactly ten"
    assert truncate(LONG, None) == LONG


def test_whitespace_is_tidied_and_blank_titles_get_a_name() -> None:
    assert normalise_title("  Lab\n report\t 3 ") == "Lab report 3"
    assert normalise_title("   ") == UNTITLED


def test_collisions_get_a_numbered_suffix_inside_the_limit() -> None:
    titles = unique_titles([("a", "Quiz"), ("b", "quiz"), ("c", "QUIZ ")], max_length=50)
    assert titles == {"a": "Quiz", "b": "quiz (2)", "c": "QUIZ (3)"}


def test_a_typed_suffix_does_not_collide_with_a_generated_one() -> None:
    titles = unique_titles([("a", "Quiz"), ("b", "Quiz (2)"), ("c", "Quiz")], max_length=None)
    assert len({t.casefold() for t in titles.values()}) == 3
    assert titles["b"] == "Quiz (2)"


def test_many_long_titles_that_agree_on_50_characters_stay_unique_and_fit() -> None:
    items = [(f"k{i}", f"{LONG} – variant {i}") for i in range(120)]
    titles = unique_titles(items, max_length=50)
    assert all(len(t) <= 50 for t in titles.values())
    assert len({t.casefold() for t in titles.values()}) == 120
    assert titles["k0"] == truncate(LONG, 50)
    assert titles["k1"].endswith(f"{ELLIPSIS} (2)") and titles["k119"].endswith(" (120)")


def test_the_limit_must_leave_room_for_a_suffix() -> None:
    with pytest.raises(ValueError):
        unique_titles([("a", "x")], max_length=3)


def titles_of(works: list[ClassroomAssignment], profile: VendorProfile) -> dict[str, str]:
    mapped = map_export(inputs(tuple(works), vendor=profile))
    return {m.course_work_id: m.line_item.title for m in mapped.line_items}


def test_titles_are_assigned_by_creation_then_id_whatever_the_input_order() -> None:
    works = [assignment(i, title=f"{LONG} #{i % 3}") for i in range(40)]
    works += [assignment(100, title=LONG, created=None), assignment(99, title=LONG, created=None)]
    profile = vendor(title_max_length=50)
    expected = titles_of(works, profile)
    assert len(set(expected.values())) == len(expected) and all(len(t) <= 50 for t in expected.values())
    assert expected["cw-0"] == truncate(LONG, 50)  # the oldest keeps the plain cut title
    assert expected["cw-99"].endswith(")") and expected["cw-100"].endswith(")")
    rng = random.Random(3)
    for _ in range(10):
        rng.shuffle(works)
        assert titles_of(works, profile) == expected


def test_a_new_assignment_with_a_taken_title_does_not_rename_the_old_one() -> None:
    profile = vendor(title_max_length=50)
    before = map_export(inputs((assignment(1, title="Essay"),), vendor=profile))
    after = map_export(inputs((assignment(1, title="Essay"), assignment(2, title="Essay")), vendor=profile))
    assert before.line_items[0].line_item.title == after.line_items[0].line_item.title == "Essay"
    assert after.line_items[1].line_item.title == "Essay (2)"
    assert after.line_items[1].decision.title_note == "renamed"
