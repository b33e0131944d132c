"""One vendor's gradebook state: categories, lineItems and results, indexed, behind one lock.

Stored objects are wire dicts that are never mutated after they are stored (a PUT stores a new
dict), so a reader may keep the list it copied under the lock and serialise it after releasing
it. Deleted objects move to a tombstone map: they vanish from every read and index but stay
visible to `/_sandbox/{vendor}/gradebook`. Every lookup a write needs is a dict hit, so a PUT
costs the same with 50 results stored or 50,000.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sisbridge.sandbox import seed

from .roster import SEED_TIME, Bases, Roster

Obj = dict[str, Any]
SEED, CLIENT = "seed", "client"


@dataclass(slots=True)
class Record:
    obj: Obj
    origin: str  # SEED or CLIENT: who created it
    class_id: str | None  # the class it belongs to (a result's comes from its lineItem)
    writes: int = 0  # client PUTs and DELETEs that touched it

    def raw(self, deleted: bool) -> Obj:
        return self.obj | {"_origin": self.origin, "_clientWrites": self.writes, "_deleted": deleted}


KeyFn = Callable[[Record], Hashable | None]


class Table:
    """Live records in insertion order, tombstones, and secondary indexes (ordered id sets)."""

    def __init__(self, indexes: dict[str, KeyFn]) -> None:
        self.records: dict[str, Record] = {}
        self.tombstones: dict[str, Record] = {}
        self._key_fns = indexes
        self._index: dict[str, dict[Hashable, dict[str, None]]] = {name: {} for name in indexes}

    def get(self, sourced_id: str) -> Obj | None:
        rec = self.records.get(sourced_id)
        return rec.obj if rec else None

    def record(self, sourced_id: str) -> Record | None:
        return self.records.get(sourced_id)

    def all(self) -> list[Obj]:
        return [r.obj for r in self.records.values()]

    def where(self, index: str, key: Hashable) -> list[Obj]:
        return [self.records[i].obj for i in self._index[index].get(key, ())]

    def ids_where(self, index: str, key: Hashable) -> list[str]:
        return list(self._index[index].get(key, ()))

    def put(self, obj: Obj, *, origin: str, class_id: str | None) -> bool:
        """Store `obj` under its sourcedId; True when it was created (new, or re-created after a delete)."""
        sid = obj["sourcedId"]
        old = self.records.get(sid)
        if old is not None:
            self._unindex(sid, old)
            rec = Record(obj, old.origin, class_id, old.writes + (origin == CLIENT))
        else:
            gone = self.tombstones.pop(sid, None)
            rec = Record(obj, origin, class_id, (gone.writes if gone else 0) + (origin == CLIENT))
        self.records[sid] = rec
        for name, fn in self._key_fns.items():
            key = fn(rec)
            if key is not None:
                self._index[name].setdefault(key, {})[sid] = None
        return old is None

    def delete(self, sourced_id: str) -> Record | None:
        rec = self.records.pop(sourced_id, None)
        if rec is not None:
            self._unindex(sourced_id, rec)
            rec.writes += 1
            self.tombstones[sourced_id] = rec
        return rec

    def raw(self) -> list[Obj]:
        return [r.raw(False) for r in self.records.values()] + [r.raw(True) for r in self.tombstones.values()]

    def _unindex(self, sid: str, rec: Record) -> None:
        for name, fn in self._key_fns.items():
            key = fn(rec)
            bucket = self._index[name].get(key) if key is not None else None
            if bucket is not None:
                bucket.pop(sid, None)
                if not bucket:
                    del self._index[name][key]


def _ref_id(field: str) -> KeyFn:
    return lambda rec: (rec.obj.get(field) or {}).get("sourcedId")


_line_item_of, _student_of = _ref_id("lineItem"), _ref_id("student")


class Gradebook:
    """A vendor's gradebook. Hold `lock` around any read-validate-write sequence."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.categories = Table({"class": lambda rec: rec.class_id})
        self.line_items = Table({"class": lambda rec: rec.class_id})
        self.results = Table({
            "class": lambda rec: rec.class_id,
            "lineItem": _line_item_of,
            "class_student": lambda rec: (rec.class_id, _student_of(rec)),
            "lineItem_student": lambda rec: (_line_item_of(rec), _student_of(rec)),
        })

    def load(self, other: Gradebook) -> None:
        """Take over `other`'s tables in place, so holders of this object see the new state."""
        with self.lock:
            self.categories, self.line_items, self.results = other.categories, other.line_items, other.results

    def table(self, kind: str) -> Table:
        return {"category": self.categories, "lineItem": self.line_items, "result": self.results}[kind]

    def delete_line_item(self, sourced_id: str) -> Record | None:
        """Delete a lineItem and, as an SIS would, the results recorded against it."""
        rec = self.line_items.delete(sourced_id)
        if rec is not None:
            for rid in self.results.ids_where("lineItem", sourced_id):
                self.results.delete(rid)
        return rec

    def raw(self) -> dict[str, list[Obj]]:
        with self.lock:
            return {"categories": self.categories.raw(), "lineItems": self.line_items.raw(),
                    "results": self.results.raw()}


def seeded_gradebook(roster: Roster, bases: Bases) -> Gradebook:
    """Per class: its categories, plus one SIS-entered "Participation" lineItem with two scores.

    The lineItem (`li-sis-<class>`) and its results were made by the school, not by any client,
    so tests can prove a client leaves them alone (`_clientWrites` stays 0).
    """
    gb = Gradebook()
    for sec in seed.SECTIONS:
        cls = sec.class_sourced_id
        for n, title in enumerate(sec.categories, 1):
            cat = {"sourcedId": f"cat-{cls}-{n}", "status": "active", "dateLastModified": SEED_TIME,
                   "title": title, "metadata": {"classId": cls}}
            gb.categories.put(cat, origin=SEED, class_id=cls)
        gp = min(roster.grading_periods_under(sec.term), key=lambda s: s["startDate"])
        li_id = f"li-sis-{cls}"
        gb.line_items.put({
            "sourcedId": li_id, "status": "active", "dateLastModified": SEED_TIME, "title": "Participation",
            "description": "Entered by the teacher in the SIS gradebook",
            "assignDate": f"{gp['startDate']}T08:00:00.000Z", "dueDate": f"{gp['endDate']}T23:59:00.000Z",
            "class": bases.ref("class", cls), "school": bases.ref("org", seed.SCHOOL_ID),
            "category": bases.ref("category", f"cat-{cls}-1"),
            "gradingPeriod": bases.ref("academicSession", gp["sourcedId"]),
            "resultValueMin": 0, "resultValueMax": 10,
        }, origin=SEED, class_id=cls)
        for score, student in zip((9, 10), sec.students[:2], strict=True):
            gb.results.put({
                "sourcedId": f"res-sis-{cls}-{student}", "status": "active", "dateLastModified": SEED_TIME,
                "lineItem": bases.ref("lineItem", li_id), "student": bases.ref("user", student),
                "scoreStatus": "fully graded", "score": score, "scoreDate": gp["startDate"], "comment": "",
            }, origin=SEED, class_id=cls)
    return gb
