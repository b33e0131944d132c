"""Per linked class, what the SIS last acknowledged: one content hash per sourcedId.

The ledger is what makes re-runs cheap and deletes safe:
* an item whose hash is unchanged is not sent again;
* a lineItem is deleted only if the ledger says sisbridge created it (its first PUT was answered
  "created"); anything that already existed is never deleted by us;
* each entry keeps a tiny summary (title, score) so a dry run can show old → new without asking
  the SIS.

The ledger changes only through `acknowledge`, with the operations the SIS confirmed, so a partly
failed run leaves exactly what happened. It serialises to a plain dict and splits into chunks under
a byte budget (a Firestore document holds at most 1 MiB); chunks carry a digest of the whole, so
chunks from two different saves are never merged into one ledger.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .content import Scalar
from .operations import Action, ItemState, Operation
from .outcomes import ItemKind

__all__ = ["DEFAULT_CHUNK_BYTES", "LEDGER_FORMAT", "Ledger", "LedgerEntry", "LedgerError"]

LEDGER_FORMAT = 1
DEFAULT_CHUNK_BYTES = 200_000
_KIND_CODE = {ItemKind.LINE_ITEM: "l", ItemKind.RESULT: "r"}
_CODE_KIND = {v: k for k, v in _KIND_CODE.items()}


class LedgerError(ValueError):
    """A stored ledger is malformed, or its chunks do not belong together."""


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    sourced_id: str
    kind: ItemKind
    content_hash: str
    created: bool = True  # sisbridge created it, so sisbridge may delete it
    line_item: str | None = None  # results: their lineItem's sourcedId
    student: str | None = None  # results: the SIS student's sourcedId
    summary: Mapping[str, Scalar] = field(default_factory=dict)

    @property
    def state(self) -> ItemState:
        return ItemState(content_hash=self.content_hash, summary=self.summary)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"k": _KIND_CODE[self.kind], "h": self.content_hash, "c": self.created}
        if self.line_item is not None:
            doc["p"] = self.line_item
        if self.student is not None:
            doc["u"] = self.student
        if self.summary:
            doc["s"] = dict(self.summary)
        return doc

    @classmethod
    def from_doc(cls, sourced_id: str, doc: Any) -> LedgerEntry:
        try:
            summary, digest, created = doc.get("s", {}), doc["h"], doc["c"]
            if not (isinstance(summary, dict) and isinstance(digest, str) and isinstance(created, bool)):
                raise TypeError
            return cls(sourced_id=sourced_id, kind=_CODE_KIND[doc["k"]], content_hash=digest, created=created,
                       line_item=doc.get("p"), student=doc.get("u"), summary=summary)
        except (AttributeError, KeyError, TypeError) as exc:
            raise LedgerError(f"ledger entry {sourced_id!r} is malformed: {doc!r}") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class Ledger:
    class_sourced_id: str
    entries: Mapping[str, LedgerEntry] = field(default_factory=dict)

    @classmethod
    def empty(cls, class_sourced_id: str) -> Ledger:
        return cls(class_sourced_id=class_sourced_id, entries={})

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, sourced_id: object) -> bool:
        return sourced_id in self.entries

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(self.entries.values())

    def get(self, sourced_id: str) -> LedgerEntry | None:
        return self.entries.get(sourced_id)

    def results_by_line_item(self) -> dict[str | None, list[LedgerEntry]]:
        grouped: defaultdict[str | None, list[LedgerEntry]] = defaultdict(list)
        for entry in self.entries.values():
            if entry.kind is ItemKind.RESULT:
                grouped[entry.line_item].append(entry)
        return dict(grouped)

    def acknowledge(self, operations: Iterable[Operation], *, preexisting: Collection[str] = ()) -> Ledger:
        """The ledger after the SIS confirmed `operations`.

        `preexisting` holds the sourcedIds whose create PUT the SIS answered "updated" (200): the
        item was there before us, so it is recorded as not created by sisbridge and never deleted.
        """
        entries = dict(self.entries)
        for op in operations:
            if op.action is Action.DELETE:
                entries.pop(op.sourced_id, None)
                continue
            if op.new is None:
                raise ValueError(f"{op.action.value} of {op.sourced_id} has no new state")
            before = entries.get(op.sourced_id)
            created = before.created if before is not None else op.sourced_id not in preexisting
            entries[op.sourced_id] = LedgerEntry(
                sourced_id=op.sourced_id, kind=op.kind, content_hash=op.new.content_hash, created=created,
                line_item=op.line_item_sourced_id, student=op.student_sourced_id,
                summary=dict(op.new.summary))
        return Ledger(class_sourced_id=self.class_sourced_id, entries=entries)

    # --- journal: cheap checkpoints between full saves -----------------------------------------

    def delta(self, sourced_ids: Iterable[str]) -> dict[str, Any]:
        """What changed for `sourced_ids` in this ledger, as a small journal record."""
        ids = list(dict.fromkeys(sourced_ids))
        return {"format": LEDGER_FORMAT, "class": self.class_sourced_id,
                "upserts": {sid: self.entries[sid].to_doc() for sid in ids if sid in self.entries},
                "deletes": [sid for sid in ids if sid not in self.entries]}

    def replay(self, records: Iterable[Mapping[str, Any]]) -> Ledger:
        """This ledger with journal records applied in order (a crashed run's acknowledgements)."""
        entries = dict(self.entries)
        for record in records:
            _check_header(record)
            if record["class"] != self.class_sourced_id:
                raise LedgerError("a journal record belongs to another class")
            for sid in record.get("deletes", ()):
                entries.pop(sid, None)
            for sid, doc in record.get("upserts", {}).items():
                entries[sid] = LedgerEntry.from_doc(sid, doc)
        return Ledger(class_sourced_id=self.class_sourced_id, entries=entries)

    # --- storage -------------------------------------------------------------------------------

    def _entry_docs(self) -> dict[str, dict[str, Any]]:
        return {sid: self.entries[sid].to_doc() for sid in sorted(self.entries)}

    def digest(self) -> str:
        return hashlib.sha256(_dumps(self._entry_docs()).encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"format": LEDGER_FORMAT, "class": self.class_sourced_id, "entries": self._entry_docs()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ledger:
        _check_header(data)
        entries = data.get("entries")
        if not isinstance(entries, dict):
            raise LedgerError("ledger entries must be an object")
        return cls(class_sourced_id=data["class"],
                   entries={sid: LedgerEntry.from_doc(sid, doc) for sid, doc in entries.items()})

    def to_chunks(self, max_bytes: int = DEFAULT_CHUNK_BYTES) -> tuple[dict[str, Any], ...]:
        """Split into dicts whose compact JSON is at most `max_bytes` each; always at least one."""
        digest = self.digest()
        envelope = {"format": LEDGER_FORMAT, "class": self.class_sourced_id, "digest": digest,
                    "part": 10**9, "parts": 10**9, "entries": {}}
        overhead = len(_dumps(envelope).encode("utf-8"))
        groups: list[dict[str, Any]] = [{}]
        size = overhead
        for sid, doc in self._entry_docs().items():
            cost = len(_dumps({sid: doc}).encode("utf-8")) - 2 + 1  # drop the braces, add a comma
            if overhead + cost > max_bytes:
                raise LedgerError(f"ledger entry {sid!r} alone exceeds the {max_bytes}-byte chunk budget")
            if size + cost > max_bytes and groups[-1]:
                groups.append({})
                size = overhead
            groups[-1][sid] = doc
            size += cost
        return tuple({"format": LEDGER_FORMAT, "class": self.class_sourced_id, "digest": digest,
                      "part": i, "parts": len(groups), "entries": group} for i, group in enumerate(groups))

    @classmethod
    def from_chunks(cls, chunks: Sequence[Mapping[str, Any]]) -> Ledger:
        """Merge chunks back (in any order); refuse a missing, repeated or foreign chunk."""
        if not chunks:
            raise LedgerError("no ledger chunks")
        first = chunks[0]
        _check_header(first)
        parts = first.get("parts")
        if not isinstance(parts, int) or parts != len(chunks):
            raise LedgerError(f"expected {parts!r} ledger chunks, got {len(chunks)}")
        seen_parts: set[int] = set()
        merged: dict[str, Any] = {}
        for chunk in chunks:
            _check_header(chunk)
            if (chunk["class"], chunk.get("digest"), chunk.get("parts")) != (
                    first["class"], first.get("digest"), parts):
                raise LedgerError("ledger chunks come from different saves")
            part = chunk.get("part")
            if not isinstance(part, int) or part in seen_parts or not 0 <= part < parts:
                raise LedgerError(f"ledger chunk part {part!r} is repeated or out of range")
            seen_parts.add(part)
            entries = chunk.get("entries")
            if not isinstance(entries, dict) or merged.keys() & entries.keys():
                raise LedgerError("ledger chunk entries are malformed or overlap")
            merged.update(entries)
        ledger = cls.from_dict({"format": LEDGER_FORMAT, "class": first["class"], "entries": merged})
        if ledger.digest() != first.get("digest"):
            raise LedgerError("ledger chunks do not add up to the saved ledger (digest mismatch)")
        return ledger


def _check_header(data: Mapping[str, Any]) -> None:
    if not isinstance(data, Mapping):
        raise LedgerError("a ledger must be an object")
    if data.get("format") != LEDGER_FORMAT:
        raise LedgerError(f"unknown ledger format {data.get('format')!r}")
    if not isinstance(data.get("class"), str) or not data["class"]:
        raise LedgerError("a ledger must name its class")
