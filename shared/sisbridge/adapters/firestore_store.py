"""`DocumentStore` on Cloud Firestore (native mode), through google-cloud-firestore.

The client is built by `bootstrap` (the library itself honours `FIRESTORE_EMULATOR_HOST`).
Transactions use `@firestore.transactional`: Firestore requires every read before the first
write, so `Txn` writes are buffered and handed to the Firestore transaction after `fn` returns;
reads therefore work anywhere in `fn` and see the buffered writes. A commit aborted by
contention is retried by the library (keeping the transaction's place in line) up to
`max_attempts` times; a read aborted by contention restarts the whole transaction, also at most
`max_attempts` times; after that `ConcurrencyError`.

Production note: a query with `where` on one field and `order_by` on another needs a composite
index in Firestore (the emulator does not check); declare it with the deployment.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from sisbridge.errors import ConcurrencyError, NotFound, StoreError
from sisbridge.ports.store import Document, DocumentStore, Filter, Txn, to_utc

T = TypeVar("T")

_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,  # includes DeadlineExceeded
    gexc.InternalServerError,
    gexc.TooManyRequests,  # includes ResourceExhausted
    gexc.RetryError,
    auth_exc.TransportError,
)
_DELETED = object()


def _from_firestore(value: Any) -> Any:
    """Firestore's types back to the port's: DatetimeWithNanoseconds → plain UTC datetime."""
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, dict):
        return {k: _from_firestore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_firestore(v) for v in value]
    return value


def _translate(exc: Exception, what: str) -> StoreError:
    if isinstance(exc, gexc.Aborted):
        return ConcurrencyError(f"Firestore aborted {what} because of contention: {exc}")
    if isinstance(exc, _TRANSIENT):
        return StoreError(f"Firestore is unavailable for {what}: {exc}", retryable=True)
    if isinstance(exc, (gexc.PermissionDenied, gexc.Unauthenticated, auth_exc.GoogleAuthError)):
        return StoreError(
            f"Firestore refused {what}: {exc}",
            hint="Check the service account's Firestore role (roles/datastore.user) and the project id.",
        )
    return StoreError(f"Firestore failed {what}: {exc}")


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except (gexc.GoogleAPIError, auth_exc.GoogleAuthError) as exc:
        raise _translate(exc, what) from exc


class _ReadAborted(Exception):
    """A read inside a transaction lost to contention; the whole transaction is run again."""


class _FirestoreTxn(Txn):
    def __init__(self, client: firestore.Client, transaction: firestore.Transaction) -> None:
        self._client = client
        self._tx = transaction
        self._writes: dict[str, tuple[str, Any]] = {}  # path -> (op, doc); last op per path wins
        self._open = True

    def _check(self) -> None:
        if not self._open:
            raise RuntimeError("this transaction has ended; use the txn only inside fn")

    def _get(self, path: str) -> dict[str, Any] | None:
        self._check()
        if path in self._writes:
            op, doc = self._writes[path]
            return None if op == "delete" else _from_firestore(doc)
        try:
            snapshot = self._client.document(path).get(transaction=self._tx)
        except gexc.Aborted as exc:
            raise _ReadAborted() from exc
        except (gexc.GoogleAPIError, auth_exc.GoogleAuthError) as exc:
            raise _translate(exc, f"reading {path} in a transaction") from exc
        return _from_firestore(snapshot.to_dict()) if snapshot.exists else None

    def _put(self, path: str, doc: dict[str, Any]) -> None:
        self._check()
        self._writes[path] = ("set", doc)

    def _create(self, path: str, doc: dict[str, Any]) -> bool:
        if self._get(path) is not None:
            return False
        # untouched so far: let the commit itself insist it is new; after our own delete: a set
        self._writes[path] = ("set" if path in self._writes else "create", doc)
        return True

    def _delete(self, path: str) -> None:
        self._check()
        self._writes[path] = ("delete", None)

    def _flush(self) -> None:
        self._open = False
        for path, (op, doc) in self._writes.items():
            ref = self._client.document(path)
            if op == "set":
                self._tx.set(ref, doc)
            elif op == "create":
                self._tx.create(ref, doc)
            else:
                self._tx.delete(ref)


class FirestoreDocumentStore(DocumentStore):
    def __init__(self, client: firestore.Client, *, max_attempts: int = 10) -> None:
        self._client = client
        self._max_attempts = max_attempts

    def _get(self, path: str) -> dict[str, Any] | None:
        with _translated(f"reading {path}"):
            snapshot = self._client.document(path).get()
        return _from_firestore(snapshot.to_dict()) if snapshot.exists else None

    def _create(self, path: str, doc: dict[str, Any]) -> bool:
        with _translated(f"creating {path}"):
            try:
                self._client.document(path).create(doc)
            except gexc.AlreadyExists:
                return False
        return True

    def _put(self, path: str, doc: dict[str, Any]) -> None:
        with _translated(f"writing {path}"):
            self._client.document(path).set(doc)

    def _update(self, path: str, fields: dict[str, Any]) -> None:
        # quote each key so it names one top-level field, never a dotted path
        quoted = {self._client.field_path(key): value for key, value in fields.items()}
        with _translated(f"updating {path}"):
            try:
                self._client.document(path).update(quoted)
            except gexc.NotFound as exc:
                raise NotFound(f"no document at {path}") from exc

    def _delete(self, path: str) -> None:
        with _translated(f"deleting {path}"):
            self._client.document(path).delete()

    def _transaction(self, fn: Callable[[Txn], T]) -> T:
        raised: list[BaseException] = []

        @firestore.transactional
        def attempt(transaction: firestore.Transaction) -> T:
            txn = _FirestoreTxn(self._client, transaction)
            try:
                result = fn(txn)
            except BaseException as exc:
                raised.append(exc)
                raise
            txn._flush()
            return result

        last: BaseException | None = None
        for _ in range(self._max_attempts):
            raised.clear()
            try:
                result: T = attempt(self._client.transaction(max_attempts=self._max_attempts))
                return result
            except _ReadAborted as exc:
                last = exc
            except BaseException as exc:
                if raised and exc is raised[0]:
                    raise  # fn's own exception, or a translated error from a txn read
                if isinstance(exc, ValueError) and isinstance(exc.__cause__, gexc.Aborted):
                    raise ConcurrencyError(
                        f"transaction gave up after {self._max_attempts} contended commits"
                    ) from exc
                if isinstance(exc, (gexc.GoogleAPIError, auth_exc.GoogleAuthError)):
                    raise _translate(exc, "committing a transaction") from exc
                raise
        raise ConcurrencyError(f"transaction reads kept aborting ({self._max_attempts} attempts)") from last

    def _list(
        self,
        collection: str,
        where: builtins.list[Filter],
        order_by: str | None,
        descending: bool,
        limit: int | None,
    ) -> builtins.list[Document]:
        query: Any = self._client.collection(collection)
        for field, op, value in where:
            query = query.where(filter=FieldFilter(field, op, value))
        if order_by is not None:
            direction = firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING
            query = query.order_by(order_by, direction=direction)
        if limit is not None:
            query = query.limit(limit)
        with _translated(f"querying {collection}"):
            return [Document(id=snap.id, data=_from_firestore(snap.to_dict())) for snap in query.stream()]
