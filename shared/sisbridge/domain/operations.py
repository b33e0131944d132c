"""One planned SIS write or delete, with the old and new state a dry run shows."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sisbridge.oneroster.models import LineItem, Result

from .content import Scalar
from .outcomes import ItemKind

__all__ = ["Action", "ItemState", "Operation"]


class Action(enum.Enum):
    CREATE = "create"  # not in the ledger: PUT
    UPDATE = "update"  # in the ledger with another hash (or a full resync): PUT
    DELETE = "delete"


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemState:
    content_hash: str
    summary: Mapping[str, Scalar] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"hash": self.content_hash, "summary": dict(self.summary)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """`payload` is what to PUT (None for a delete). For results, `line_item_sourced_id` and
    `student_sourced_id` say whose grade it is; the ledger keeps them to find a lineItem's results."""

    action: Action
    kind: ItemKind
    sourced_id: str
    old: ItemState | None = None
    new: ItemState | None = None
    payload: LineItem | Result | None = None
    line_item_sourced_id: str | None = None
    student_sourced_id: str | None = None
    course_work_id: str | None = None
    user_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind.value,
            "sourcedId": self.sourced_id,
            "lineItemSourcedId": self.line_item_sourced_id,
            "studentSourcedId": self.student_sourced_id,
            "courseWorkId": self.course_work_id,
            "userId": self.user_id,
            "old": self.old.to_dict() if self.old else None,
            "new": self.new.to_dict() if self.new else None,
        }
