from __future__ import annotations

import json
import random
import time

import pytest

from sisbridge.domain import Action, ItemKind, ItemState, Ledger, LedgerEntry, LedgerError, Operation
from sisbridge.domain.ids import line_item_sourced_id, result_sourced_id
from sisbridge.domain.ledger import DEFAULT_CHUNK_BYTES


def compact_size(data: object) -> int:
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def big_ledger(n_line_items: int, n_students: int) -> Ledger:
    entries: dict[str, LedgerEntry] = {}
    for i in range(n_line_items):
        li = line_item_sourced_id("tenant", "course", f"cw-{i}")
        entries[li] = LedgerEntry(sourced_id=li, kind=ItemKind.LINE_ITEM, content_hash=f"{i:064x}",
                                  created=i % 7 != 0,
                                  summary={"title": f"Assignment {i} – «long» title", "max": 10, "due": None})
        for s in range(n_students):
            r = result_sourced_id(li, f"stu-{s}")
            entries[r] = LedgerEntry(sourced_id=r, kind=ItemKind.RESULT, content_hash=f"{i * 1000 + s:064x}",
                                     line_item=li, student=f"stu-{s}", summary={"score": (i + s) % 11 + 0.5})
    return Ledger(class_sourced_id="class-1", entries=entries)


def test_a_ledger_round_trips_through_a_plain_dict_and_json() -> None:
    ledger = big_ledger(3, 4)
    data = ledger.to_dict()
    assert Ledger.from_dict(data) == ledger
    assert Ledger.from_dict(json.loads(json.dumps(data))) == ledger
    assert Ledger.from_dict(Ledger.empty("c").to_dict()) == Ledger.empty("c")


def test_ten_thousand_results_split_under_the_budget_and_merge_back() -> None:
    ledger = big_ledger(50, 200)  # 10,000 results + 50 lineItems
    assert len(ledger) == 10_050
    started = time.perf_counter()
    chunks = ledger.to_chunks()
    assert len(chunks) > 5
    assert all(compact_size(c) <= DEFAULT_CHUNK_BYTES for c in chunks)
    assert all(compact_size(c) > DEFAULT_CHUNK_BYTES * 0.9 for c in chunks[:-1])  # packed, not sprinkled
    stored = [json.loads(json.dumps(c)) for c in chunks]  # what a document store gives back
    random.Random(5).shuffle(stored)
    assert Ledger.from_chunks(stored) == ledger
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("budget", [2_000, 20_000, 1_000_000])
def test_any_budget_is_respected(budget: int) -> None:
    ledger = big_ledger(4, 25)
    chunks = ledger.to_chunks(budget)
    assert all(compact_size(c) <= budget for c in chunks)
    assert Ledger.from_chunks(list(chunks)) == ledger
    assert (len(chunks) == 1) is (budget == 1_000_000)


def test_an_empty_ledger_is_one_chunk() -> None:
    (chunk,) = Ledger.empty("class-1").to_chunks()
    assert Ledger.from_chunks([chunk]) == Ledger.empty("class-1")


def test_an_entry_larger_than_the_budget_is_refused() -> None:
    with pytest.raises(LedgerError, match="exceeds"):
        big_ledger(1, 1).to_chunks(300)


def test_chunks_from_different_saves_are_never_merged() -> None:
    old = big_ledger(4, 25).to_chunks(5_000)
    new_ledger = big_ledger(4, 25)
    entry = next(iter(new_ledger))
    changed = Ledger(class_sourced_id="class-1", entries={**new_ledger.entries, entry.sourced_id: LedgerEntry(
        sourced_id=entry.sourced_id, kind=entry.kind, content_hash="f" * 64, created=entry.created)})
    new = changed.to_chunks(5_000)
    assert len(old) == len(new) > 2
    with pytest.raises(LedgerError):
        Ledger.from_chunks([new[0], *old[1:]])


def test_missing_repeated_or_tampered_chunks_are_refused() -> None:
    chunks = list(big_ledger(4, 25).to_chunks(5_000))
    with pytest.raises(LedgerError):
        Ledger.from_chunks(chunks[:-1])
    with pytest.raises(LedgerError):
        Ledger.from_chunks([chunks[0], chunks[0], *chunks[2:]])
    tampered = json.loads(json.dumps(chunks))
    sid = next(iter(tampered[1]["entries"]))
    tampered[1]["entries"][sid]["h"] = "0" * 64
    with pytest.raises(LedgerError, match="digest"):
        Ledger.from_chunks(tampered)
    with pytest.raises(LedgerError):
        Ledger.from_chunks([])


@pytest.mark.parametrize("data", [
    {}, {"format": 99, "class": "c", "entries": {}}, {"format": 1, "entries": {}},
    {"format": 1, "class": "c", "entries": []}, {"format": 1, "class": "c", "entries": {"x": {"k": "?"}}},
    {"format": 1, "class": "c", "entries": {"x": {"k": "l", "h": 5, "c": True}}},
])
def test_malformed_ledgers_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(LedgerError):
        Ledger.from_dict(data)


def op(action: Action, sid: str, kind: ItemKind = ItemKind.LINE_ITEM, h: str = "h1", **kw: object,
       ) -> Operation:
    new = None if action is Action.DELETE else ItemState(content_hash=h, summary={"title": sid})
    return Operation(action=action, kind=kind, sourced_id=sid, new=new, **kw)  # type: ignore[arg-type]


def test_acknowledged_operations_update_the_ledger() -> None:
    ledger = Ledger.empty("c").acknowledge([
        op(Action.CREATE, "li-1"), op(Action.CREATE, "li-2"),
        op(Action.CREATE, "r-1", ItemKind.RESULT, line_item_sourced_id="li-1", student_sourced_id="stu-1"),
    ], preexisting={"li-2"})
    assert ledger.get("li-1") == LedgerEntry(sourced_id="li-1", kind=ItemKind.LINE_ITEM, content_hash="h1",
                                             created=True, summary={"title": "li-1"})
    assert ledger.get("li-2").created is False  # type: ignore[union-attr]  # it was there before us
    assert ledger.results_by_line_item() == {"li-1": [ledger.get("r-1")]}
    later = ledger.acknowledge([op(Action.UPDATE, "li-2", h="h2"), op(Action.DELETE, "r-1")])
    assert later.get("li-2").content_hash == "h2" and later.get("li-2").created is False  # type: ignore[union-attr]
    assert "r-1" not in later and "r-1" in ledger  # the ledger is a value: the old one is untouched
