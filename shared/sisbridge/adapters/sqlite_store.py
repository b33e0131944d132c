"""`DocumentStore` on SQLite: the embedded adapter for `make run` and unit tests.

One table holds every document as JSON, keyed by (collection path, id). Every write runs in
`BEGIN IMMEDIATE`, which takes SQLite's single write lock up front, so writers are serialised
across threads and processes and a transaction's reads cannot go stale before it commits: the
same guarantee Firestore gives. One connection per store, guarded by a re-entrant lock, makes it
thread-safe; other processes wait up to `busy_timeout` seconds for the lock, then the whole
transaction is retried, up to `max_attempts` times, before `ConcurrencyError`.

Queries load one collection and filter and sort in Python with Firestore's semantics (see
`ports/store.py`); an `==` on a string is pushed into SQL to narrow the scan. Fine for the local
stack's volumes, not meant for large collections.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sisbridge.errors import ConcurrencyError, NotFound, StoreError
from sisbridge.ports.store import INEQUALITIES, Document, DocumentStore, Filter, Txn, split_document_path

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID
"""
_DATETIME_TAG = "__dt__"  # reserved key shape, so it cannot collide with a stored field
_SIMPLE_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MISSING = object()


# ------------------------------------------------------------------------------------- encoding


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_DATETIME_TAG: value.isoformat()}
    raise TypeError(f"cannot encode {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DATETIME_TAG in obj:
        return datetime.fromisoformat(obj[_DATETIME_TAG])
    return obj


def _encode(doc: dict[str, Any]) -> str:
    return json.dumps(doc, default=_default, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _decode(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text, object_hook=_hook)
    return doc


# ------------------------------------------------------------------ Firestore's query semantics


def _rank(value: Any) -> int:
    """Firestore's order of types: null < bool < number < timestamp < string < array < map."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 2
    if isinstance(value, datetime):
        return 3
    if isinstance(value, str):
        return 4
    if isinstance(value, builtins.list):
        return 5
    return 6


def _key(value: Any) -> tuple[Any, ...]:
    rank = _rank(value)
    if rank == 0:
        return (0,)
    if rank == 5:
        return (5, tuple(_key(v) for v in value))
    if rank == 6:
        return (6, tuple((k, _key(v)) for k, v in sorted(value.items())))
    return (rank, value)


def _field(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _matches(data: dict[str, Any], where: builtins.list[Filter]) -> bool:
    for field, op, operand in where:
        value = _field(data, field)
        if value is _MISSING:
            return False
        if op == "==":
            ok = _key(value) == _key(operand)
        elif op == "in":
            ok = any(_key(value) == _key(candidate) for candidate in operand)
        elif op == "!=":
            ok = value is not None and _key(value) != _key(operand)
        elif _rank(value) != _rank(operand):
            ok = False
        else:
            left, right = _key(value), _key(operand)
            ok = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
        if not ok:
            return False
    return True


def _sort(
    docs: builtins.list[Document], where: builtins.list[Filter], order_by: str | None, descending: bool
) -> builtins.list[Document]:
    fields = [order_by] if order_by else []
    fields += sorted({f for f, op, _ in where if op in INEQUALITIES} - set(fields))
    docs = [d for d in docs if all(_field(d.data, f) is not _MISSING for f in fields)]
    return sorted(
        docs, key=lambda d: (tuple(_key(_field(d.data, f)) for f in fields), d.id), reverse=descending
    )


# ---------------------------------------------------------------------------------------- store


class _SqliteTxn(Txn):
    def __init__(self, store: SqliteDocumentStore) -> None:
        self._store = store
        self._open = True

    def _db(self) -> SqliteDocumentStore:
        if not self._open:
            raise RuntimeError("this transaction has ended; use the txn only inside fn")
        return self._store

    def _get(self, path: str) -> dict[str, Any] | None:
        return self._db()._read(path)

    def _put(self, path: str, doc: dict[str, Any]) -> None:
        self._db()._write(path, doc)

    def _create(self, path: str, doc: dict[str, Any]) -> bool:
        return self._db()._insert(path, doc)

    def _delete(self, path: str) -> None:
        self._db()._remove(path)


class SqliteDocumentStore(DocumentStore):
    """`path` is a database file (created with its directory) or `":memory:"`."""

    def __init__(
        self, path: str | os.PathLike[str] = ":memory:", *, busy_timeout: float = 5.0, max_attempts: int = 5
    ) -> None:
        self._max_attempts = max_attempts
        self._lock = threading.RLock()
        self._in_txn = threading.local()
        location = os.fspath(path)
        try:
            if location != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(location)), exist_ok=True)
            self._conn = sqlite3.connect(
                location, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            if location != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the SQLite store at {location}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteDocumentStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --------------------------------------------------------------- statements (lock held)

    def _read(self, path: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT data FROM documents WHERE collection = ? AND id = ?", split_document_path(path)
        ).fetchone()
        return None if row is None else _decode(row[0])

    def _write(self, path: str, doc: dict[str, Any]) -> None:
        collection, doc_id = split_document_path(path)
        self._conn.execute(
            "INSERT INTO documents (collection, id, data) VALUES (?, ?, ?)"
            " ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data",
            (collection, doc_id, _encode(doc)),
        )

    def _insert(self, path: str, doc: dict[str, Any]) -> bool:
        collection, doc_id = split_document_path(path)
        cursor = self._conn.execute(
            "INSERT INTO documents (collection, id, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (collection, doc_id, _encode(doc)),
        )
        return cursor.rowcount == 1

    def _remove(self, path: str) -> None:
        self._conn.execute("DELETE FROM documents WHERE collection = ? AND id = ?", split_document_path(path))

    # ------------------------------------------------------------------------------ plumbing

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if getattr(self._in_txn, "active", False):
            raise RuntimeError("use the Txn passed to fn, not the store, inside a transaction")
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise _translate(exc) from exc

    def _atomic(self, fn: Callable[[], T]) -> T:
        """Run `fn` under BEGIN IMMEDIATE, retrying when another process holds the lock."""
        for attempt in range(1, self._max_attempts + 1):
            with self._locked():
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or attempt == self._max_attempts:
                        raise
                    busy = True
                else:
                    busy = False
                    try:
                        result = fn()
                        self._conn.execute("COMMIT")
                        return result
                    except BaseException:
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                        raise
            if busy:
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------------------- the port

    def _get(self, path: str) -> dict[str, Any] | None:
        with self._locked():
            return self._read(path)

    def _create(self, path: str, doc: dict[str, Any]) -> bool:
        return self._atomic(lambda: self._insert(path, doc))

    def _put(self, path: str, doc: dict[str, Any]) -> None:
        self._atomic(lambda: self._write(path, doc))

    def _update(self, path: str, fields: dict[str, Any]) -> None:
        def merge() -> None:
            current = self._read(path)
            if current is None:
                raise NotFound(f"no document at {path}")
            self._write(path, {**current, **fields})

        self._atomic(merge)

    def _delete(self, path: str) -> None:
        self._atomic(lambda: self._remove(path))

    def _transaction(self, fn: Callable[[Txn], T]) -> T:
        def run() -> T:
            txn = _SqliteTxn(self)
            self._in_txn.active = True
            try:
                return fn(txn)
            finally:
                self._in_txn.active = False
                txn._open = False

        return self._atomic(run)

    def _list(
        self,
        collection: str,
        where: builtins.list[Filter],
        order_by: str | None,
        descending: bool,
        limit: int | None,
    ) -> builtins.list[Document]:
        sql = "SELECT id, data FROM documents WHERE collection = ?"
        params: builtins.list[Any] = [collection]
        for field, op, value in where:  # narrow the scan; _matches below decides
            parts = field.split(".")
            if op == "==" and isinstance(value, str) and all(_SIMPLE_FIELD.fullmatch(p) for p in parts):
                sql += " AND json_extract(data, ?) = ?"
                params += ["$." + ".".join(parts), value]
        with self._locked():
            rows = self._conn.execute(sql, params).fetchall()
        docs = [Document(id=row[0], data=_decode(row[1])) for row in rows]
        docs = _sort([d for d in docs if _matches(d.data, where)], where, order_by, descending)
        return docs[:limit] if limit is not None else docs


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _translate(exc: sqlite3.Error) -> StoreError:
    if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
        return ConcurrencyError(f"the SQLite store stayed locked by another writer: {exc}")
    return StoreError(f"SQLite failed: {exc}")
