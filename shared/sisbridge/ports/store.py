"""The document store port: hierarchical JSON-ish documents, conditional inserts, transactions.

Paths alternate collection and document ids, Firestore style: `tenants/t1` is a document,
`tenants/t1/audit` a collection, `tenants/t1/connections/current` a document. Deleting a
document leaves its subcollections alone (as Firestore does).

Values are JSON-ish: str, int (64-bit), float (finite), bool, None, list (not directly nested in
a list), dict with str keys, and timezone-aware `datetime` (stored and returned in UTC, to the
microsecond). Keys and path segments shaped like `__x__` are reserved. Anything else is a bug
in the caller and raises `TypeError`/`ValueError`; a malformed path raises `InvalidRequest`.

Queries follow Firestore's semantics, which the embedded adapter reproduces:
  * a filter or `order_by` only matches documents that have the field;
  * `==`/`in` compare numbers numerically (1 == 1.0) and never match across types (True != 1);
  * `<`, `<=`, `>`, `>=` only match values of the same type as the operand;
  * `!=` also leaves out documents where the field is null;
  * results are ordered by `order_by`, then by the fields of inequality filters, then by id,
    all in the same direction; field names in `where`/`order_by` are dotted paths (`a.b`).

Transactions: `transaction(fn)` runs `fn(txn)` atomically and isolated (serialisable). `fn` may
run more than once when it loses to a concurrent writer, so it must not have side effects
outside `txn`; after a bounded number of attempts the store raises `ConcurrencyError`. An
exception raised by `fn` aborts the transaction (nothing is written) and propagates as is.
Inside `fn`, reads see the transaction's own writes; don't call the store itself from `fn`.
"""

from __future__ import annotations

import builtins
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sisbridge.errors import InvalidRequest

T = TypeVar("T")

Filter = tuple[str, str, Any]
"""One `where` clause: (dotted field path, operator, value)."""

OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})
INEQUALITIES = frozenset({"!=", "<", "<=", ">", ">="})
MAX_IN_VALUES = 30  # Firestore's limit on an `in` list
_INT64 = (-(2**63), 2**63 - 1)
_RESERVED = re.compile(r"^__.*__$")


@dataclass(frozen=True, slots=True)
class Document:
    """One query result: the document id (last path segment) and its fields."""

    id: str
    data: dict[str, Any]


# ---------------------------------------------------------------------------------------- checks


def _check_segment(segment: str, path: str) -> None:
    if not segment or segment in (".", "..") or _RESERVED.match(segment):
        raise InvalidRequest(f"invalid path segment {segment!r} in {path!r}")
    if len(segment.encode()) > 1500:
        raise InvalidRequest(f"path segment too long in {path[:80]!r}")


def _segments(path: str) -> list[str]:
    if not isinstance(path, str):
        raise TypeError(f"a path is a str, not {type(path).__name__}")
    parts = path.split("/")
    for part in parts:
        _check_segment(part, path)
    return parts


def split_document_path(path: str) -> tuple[str, str]:
    """`a/b/c/d` → (`a/b/c`, `d`). A document path has an even number of segments."""
    parts = _segments(path)
    if len(parts) % 2:
        raise InvalidRequest(f"{path!r} is a collection path, not a document path")
    return "/".join(parts[:-1]), parts[-1]


def check_collection_path(path: str) -> str:
    if len(_segments(path)) % 2 == 0:
        raise InvalidRequest(f"{path!r} is a document path, not a collection path")
    return path


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: store timezone-aware datetimes (UTC)")
    utc = value.astimezone(UTC)
    # plain datetime (not a subclass such as DatetimeWithNanoseconds), so adapters agree
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=UTC
    )


def normalise_value(value: Any, *, in_list: bool = False) -> Any:
    """Validated deep copy of one value; datetimes converted to UTC."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinities cannot be stored")
        return value
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, (builtins.list, tuple)):
        if in_list:
            raise ValueError("a list cannot directly contain another list")
        return [normalise_value(item, in_list=True) for item in value]
    if isinstance(value, Mapping):
        return normalise_fields(value)
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def normalise_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Validated deep copy of a document or map value."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"a document is a dict, not {type(doc).__name__}")
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if not isinstance(key, str) or not key or _RESERVED.match(key):
            raise ValueError(f"invalid field name {key!r}")
        out[key] = normalise_value(value)
    return out


def check_filters(where: Sequence[Filter]) -> builtins.list[Filter]:
    checked: builtins.list[Filter] = []
    for clause in where:
        field, op, value = clause
        if not isinstance(field, str) or not field or any(not part for part in field.split(".")):
            raise ValueError(f"invalid field path {field!r}")
        if op not in OPERATORS:
            raise ValueError(f"unsupported operator {op!r}; use one of {sorted(OPERATORS)}")
        if op == "in":
            if not isinstance(value, (builtins.list, tuple)) or not 0 < len(value) <= MAX_IN_VALUES:
                raise ValueError(f"'in' takes a list of 1 to {MAX_IN_VALUES} values")
            value = [normalise_value(v, in_list=True) for v in value]
        else:
            if value is None and op not in ("==", "!="):
                raise ValueError(f"only == and != compare with None, not {op}")
            value = normalise_value(value)
        checked.append((field, op, value))
    return checked


# ------------------------------------------------------------------------------------------ port


class Txn(ABC):
    """The handle `fn` receives inside `DocumentStore.transaction`. Reads see its own writes."""

    def get(self, path: str) -> dict[str, Any] | None:
        split_document_path(path)
        return self._get(path)

    def put(self, path: str, doc: Mapping[str, Any]) -> None:
        split_document_path(path)
        self._put(path, normalise_fields(doc))

    def create(self, path: str, doc: Mapping[str, Any]) -> bool:
        """Write `doc` only if nothing is at `path`; False (and no write) if something is."""
        split_document_path(path)
        return self._create(path, normalise_fields(doc))

    def delete(self, path: str) -> None:
        split_document_path(path)
        self._delete(path)

    @abstractmethod
    def _get(self, path: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def _put(self, path: str, doc: dict[str, Any]) -> None: ...

    @abstractmethod
    def _create(self, path: str, doc: dict[str, Any]) -> bool: ...

    @abstractmethod
    def _delete(self, path: str) -> None: ...


class DocumentStore(ABC):
    """Hierarchical documents with conditional insert, queries and transactions.

    Public methods validate paths and values, then call the adapter's `_`-methods. Adapters
    translate their SDK's errors into `StoreError` / `ConcurrencyError`.
    """

    def get(self, path: str) -> dict[str, Any] | None:
        """The document's fields, or None if there is no document at `path`."""
        split_document_path(path)
        return self._get(path)

    def create(self, path: str, doc: Mapping[str, Any]) -> bool:
        """Conditional insert: write `doc` and return True, or return False if `path` exists."""
        split_document_path(path)
        return self._create(path, normalise_fields(doc))

    def put(self, path: str, doc: Mapping[str, Any]) -> None:
        """Create or replace the whole document."""
        split_document_path(path)
        self._put(path, normalise_fields(doc))

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        """Replace the named top-level fields (keys are literal names, not dotted paths) of an
        existing document; other fields are kept. Raises `NotFound` if there is no document."""
        split_document_path(path)
        checked = normalise_fields(fields)
        if not checked:
            raise ValueError("update() needs at least one field")
        self._update(path, checked)

    def delete(self, path: str) -> None:
        """Delete the document if it exists (idempotent)."""
        split_document_path(path)
        self._delete(path)

    def transaction(self, fn: Callable[[Txn], T]) -> T:
        """Run `fn(txn)` atomically; see the module docstring for the retry contract."""
        return self._transaction(fn)

    def list(
        self,
        collection: str,
        *,
        where: Sequence[Filter] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> builtins.list[Document]:
        """Documents of one collection (not its subcollections) matching every `where` clause."""
        check_collection_path(collection)
        filters = check_filters(where)
        if order_by is not None:
            check_filters([(order_by, "==", None)])
        elif descending:
            raise ValueError("descending needs order_by (Firestore cannot sort by id descending)")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValueError("limit must be a positive int")
        return self._list(collection, filters, order_by, descending, limit)

    @abstractmethod
    def _get(self, path: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def _create(self, path: str, doc: dict[str, Any]) -> bool: ...

    @abstractmethod
    def _put(self, path: str, doc: dict[str, Any]) -> None: ...

    @abstractmethod
    def _update(self, path: str, fields: dict[str, Any]) -> None: ...

    @abstractmethod
    def _delete(self, path: str) -> None: ...

    @abstractmethod
    def _transaction(self, fn: Callable[[Txn], T]) -> T: ...

    @abstractmethod
    def _list(
        self,
        collection: str,
        where: builtins.list[Filter],
        order_by: str | None,
        descending: bool,
        limit: int | None,
    ) -> builtins.list[Document]: ...
