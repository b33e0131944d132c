from __future__ import annotations

import random
import re

import pytest

from sisbridge.domain import line_item_sourced_id, result_sourced_id
from sisbridge.domain.ids import NAMESPACE
from sisbridge.oneroster.models import SOURCED_ID_RE


def test_the_namespace_and_derivation_are_pinned() -> None:
    # Every id already written to an SIS depends on these: changing them duplicates whole gradebooks.
    assert str(NAMESPACE) == "9caa897a-b6bd-4b16-b230-a6fb31af557a"
    line_item = line_item_sourced_id("district.example.org", "123456", "7890")
    assert line_item == "70adc9ed-c6d5-59e5-9536-b5e42b122ab8"
    assert result_sourced_id(line_item, "stu-1") == "84177b1e-a5af-56c4-857a-67391e12dc66"


def test_the_same_thing_always_gets_the_same_id() -> None:
    assert line_item_sourced_id("t", "c", "w") == line_item_sourced_id("t", "c", "w")
    assert result_sourced_id("li", "s") == result_sourced_id("li", "s")


def test_ids_are_uuid_v5_and_url_safe() -> None:
    rng = random.Random(1)
    for _ in range(200):
        parts = ["".join(rng.choice("ab|\\.-_ é9") for _ in range(rng.randint(1, 12))) for _ in range(3)]
        sid = line_item_sourced_id(*parts)
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", sid)
        assert SOURCED_ID_RE.fullmatch(sid) and len(sid) <= 255
        assert SOURCED_ID_RE.fullmatch(result_sourced_id(sid, parts[0]))


def test_different_things_get_different_ids() -> None:
    rng = random.Random(2)
    seen: dict[str, tuple[str, ...]] = {}
    for _ in range(2000):
        parts = tuple("".join(rng.choice("ab|\\") for _ in range(rng.randint(1, 4))) for _ in range(3))
        sid = line_item_sourced_id(*parts)
        assert seen.setdefault(sid, parts) == parts, "two different tuples share an id"


def test_a_separator_inside_a_part_cannot_forge_another_tuple() -> None:
    assert line_item_sourced_id("a|b", "c", "d") != line_item_sourced_id("a", "b|c", "d")
    assert line_item_sourced_id("a\\", "b", "c") != line_item_sourced_id("a", "\\b", "c")
    assert result_sourced_id("x|y", "z") != result_sourced_id("x", "y|z")


def test_line_items_and_results_do_not_collide() -> None:
    results = {result_sourced_id("t|c", "w"), result_sourced_id("t", "c|w")}
    assert line_item_sourced_id("t", "c", "w") not in results


def test_ids_depend_on_every_part() -> None:
    base = line_item_sourced_id("t", "c", "w")
    assert len({base, line_item_sourced_id("t2", "c", "w"), line_item_sourced_id("t", "c2", "w"),
                line_item_sourced_id("t", "c", "w2")}) == 4
    assert result_sourced_id("li", "s1") != result_sourced_id("li", "s2")
    assert result_sourced_id("li1", "s") != result_sourced_id("li2", "s")


@pytest.mark.parametrize("parts", [("", "c", "w"), ("t", "", "w"), ("t", "c", "")])
def test_empty_parts_are_refused(parts: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        line_item_sourced_id(*parts)
