"""Contract of the `DocumentStore` port, run against SQLite and the Firestore emulator."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.errors import ConcurrencyError, InvalidRequest, NotFound
from sisbridge.ports.store import DocumentStore, Txn

T0 = datetime(2026, 9, 1, 8, 30, 15, 123456, tzinfo=UTC)


def ids(store: DocumentStore, collection: str, **query: object) -> list[str]:
    return [d.id for d in store.list(collection, **query)]  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- CRUD


def test_get_of_a_missing_document_is_none(store: DocumentStore) -> None:
    assert store.get("tenants/nobody") is None


def test_values_round_trip(store: DocumentStore) -> None:
    paris = timezone(timedelta(hours=2))
    doc = {
        "text": "Zoë 数学 ✓",
        "int": 2**62,
        "negative": -7,
        "float": 0.25,
        "whole_float": 3.0,
        "yes": True,
        "nothing": None,
        "list": [1, "two", None, {"three": 3}],
        "empty_list": [],
        "empty_map": {},
        "nested": {"a": {"b": {"c": [T0]}}, "dotted.key": 1},
        "at": T0,
        "local_time": T0.astimezone(paris),
    }
    store.put("tenants/t1", doc)
    got = store.get("tenants/t1")
    assert got == doc
    assert got is not None
    assert type(got["at"]) is datetime and got["at"].tzinfo is not None
    assert got["at"].utcoffset() == timedelta(0)
    assert got["local_time"] == T0 and got["local_time"].utcoffset() == timedelta(0)
    assert type(got["whole_float"]) is float and type(got["int"]) is int and got["yes"] is True


def test_put_replaces_the_whole_document(store: DocumentStore) -> None:
    store.put("tenants/t1", {"a": 1, "b": 2})
    store.put("tenants/t1", {"c": 3})
    assert store.get("tenants/t1") == {"c": 3}


def test_returned_documents_are_copies(store: DocumentStore) -> None:
    doc: dict[str, Any] = {"list": [1], "map": {"k": "v"}}
    store.put("tenants/t1", doc)
    doc["list"].append(2)
    got = store.get("tenants/t1")
    assert got == {"list": [1], "map": {"k": "v"}}
    got["map"]["k"] = "changed"
    assert store.get("tenants/t1") == {"list": [1], "map": {"k": "v"}}


def test_create_is_a_conditional_insert(store: DocumentStore) -> None:
    assert store.create("exports/k1", {"owner": "first"}) is True
    assert store.create("exports/k1", {"owner": "second"}) is False
    assert store.get("exports/k1") == {"owner": "first"}


def test_update_replaces_named_top_level_fields_only(store: DocumentStore) -> None:
    store.put("tenants/t1", {"keep": 1, "map": {"x": 1, "y": 2}, "n": 1})
    store.update("tenants/t1", {"map": {"z": 3}, "n": 2, "new": T0, "a.b": "literal key"})
    assert store.get("tenants/t1") == {"keep": 1, "map": {"z": 3}, "n": 2, "new": T0, "a.b": "literal key"}


def test_update_of_a_missing_document_raises_not_found(store: DocumentStore) -> None:
    with pytest.raises(NotFound):
        store.update("tenants/nobody", {"a": 1})
    assert store.get("tenants/nobody") is None


def test_delete_is_idempotent(store: DocumentStore) -> None:
    store.put("tenants/t1", {"a": 1})
    store.delete("tenants/t1")
    store.delete("tenants/t1")
    store.delete("tenants/never")
    assert store.get("tenants/t1") is None


def test_documents_and_subcollections_are_independent(store: DocumentStore) -> None:
    store.put("tenants/t1", {"name": "one"})
    store.put("tenants/t1/connections/current", {"sis": "aspen"})
    store.put("tenants/t2/connections/current", {"sis": "skyward"})
    assert ids(store, "tenants") == ["t1"]  # t2 only has a subcollection
    assert ids(store, "tenants/t1/connections") == ["current"]
    store.delete("tenants/t1")
    assert store.get("tenants/t1/connections/current") == {"sis": "aspen"}


@pytest.mark.parametrize(
    "bad_path", ["", "tenants", "tenants/t1/connections", "tenants//x", "tenants/__x__", "a/./b/c", "/a/b"]
)
def test_malformed_document_paths_are_refused(store: DocumentStore, bad_path: str) -> None:
    with pytest.raises(InvalidRequest):
        store.put(bad_path, {"a": 1})


def test_a_document_path_is_not_a_collection(store: DocumentStore) -> None:
    with pytest.raises(InvalidRequest):
        store.list("tenants/t1")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (datetime(2026, 1, 1), ValueError),  # naive
        (float("nan"), ValueError),
        (2**63, ValueError),
        ([[1]], ValueError),
        (b"bytes", TypeError),
        ({1, 2}, TypeError),
        ({"__name__": 1}, ValueError),
        ({"": 1}, ValueError),
    ],
)
def test_unsupported_values_are_refused(store: DocumentStore, value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        store.put("tenants/t1", {"v": value})
    assert store.get("tenants/t1") is None


# ---------------------------------------------------------------------------------------- list


@pytest.fixture
def runs(store: DocumentStore) -> DocumentStore:
    rows: dict[str, dict[str, Any]] = {
        "r1": {"status": "done", "n": 3, "at": T0, "meta": {"vendor": "aspen"}},
        "r2": {"status": "failed", "n": 1.5, "at": T0 + timedelta(hours=1), "meta": {"vendor": "skyward"}},
        "r3": {"status": "done", "n": 10, "at": T0 + timedelta(hours=2), "meta": {"vendor": "aspen"}},
        "r4": {"status": "running", "n": "7", "at": T0 - timedelta(days=1)},  # n of another type
        "r5": {"status": None, "at": T0 + timedelta(hours=3)},  # no n, null status
        "r6": {"status": "done", "n": 3.0, "at": T0 + timedelta(hours=4), "flag": True},
    }
    for doc_id, doc in rows.items():
        store.put(f"tenants/t1/runs/{doc_id}", doc)
    store.put("tenants/t2/runs/other", {"status": "done", "n": 3})
    return store


def test_list_without_filters_is_ordered_by_id(runs: DocumentStore) -> None:
    assert ids(runs, "tenants/t1/runs") == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert ids(runs, "tenants/t1/runs", limit=2) == ["r1", "r2"]
    assert runs.list("tenants/t1/runs")[0].data["meta"] == {"vendor": "aspen"}


def test_list_of_an_empty_collection(store: DocumentStore) -> None:
    assert store.list("tenants/none/runs") == []


def test_equality_compares_numbers_numerically_and_never_across_types(runs: DocumentStore) -> None:
    assert ids(runs, "tenants/t1/runs", where=[("status", "==", "done")]) == ["r1", "r3", "r6"]
    assert ids(runs, "tenants/t1/runs", where=[("n", "==", 3)]) == ["r1", "r6"]  # 3 == 3.0
    assert ids(runs, "tenants/t1/runs", where=[("n", "==", "7")]) == ["r4"]
    assert ids(runs, "tenants/t1/runs", where=[("n", "==", 7)]) == []
    assert ids(runs, "tenants/t1/runs", where=[("flag", "==", 1)]) == []  # True is not 1
    assert ids(runs, "tenants/t1/runs", where=[("status", "==", None)]) == ["r5"]


def test_combined_and_nested_filters(runs: DocumentStore) -> None:
    where = [("status", "==", "done"), ("meta.vendor", "==", "aspen")]
    assert ids(runs, "tenants/t1/runs", where=where) == ["r1", "r3"]
    assert ids(runs, "tenants/t1/runs", where=[("status", "in", ["failed", "running"])]) == ["r2", "r4"]


def test_not_equal_leaves_out_missing_and_null_fields(runs: DocumentStore) -> None:
    assert sorted(ids(runs, "tenants/t1/runs", where=[("status", "!=", "done")])) == ["r2", "r4"]
    assert sorted(ids(runs, "tenants/t1/runs", where=[("n", "!=", 3)])) == ["r2", "r3", "r4"]


def test_range_filters_match_one_type_and_order_by_the_filtered_field(runs: DocumentStore) -> None:
    # no order_by: ordered by the inequality field, then id (Firestore's implicit order)
    assert ids(runs, "tenants/t1/runs", where=[("n", ">=", 3)]) == ["r1", "r6", "r3"]
    assert ids(runs, "tenants/t1/runs", where=[("n", "<", 3)]) == ["r2"]
    assert ids(runs, "tenants/t1/runs", where=[("n", ">", "")]) == ["r4"]
    window = [("at", ">=", T0), ("at", "<", T0 + timedelta(hours=3))]
    assert ids(runs, "tenants/t1/runs", where=window) == ["r1", "r2", "r3"]


def test_order_by_limit_and_direction(runs: DocumentStore) -> None:
    assert ids(runs, "tenants/t1/runs", order_by="at") == ["r4", "r1", "r2", "r3", "r5", "r6"]
    assert ids(runs, "tenants/t1/runs", order_by="at", descending=True, limit=2) == ["r6", "r5"]
    # documents without the field are left out; ties are broken by id in the same direction
    assert ids(runs, "tenants/t1/runs", order_by="n") == ["r2", "r1", "r6", "r3", "r4"]
    assert ids(runs, "tenants/t1/runs", order_by="n", descending=True) == ["r4", "r3", "r6", "r1", "r2"]
    where = [("status", "==", "done")]
    assert ids(runs, "tenants/t1/runs", where=where, order_by="at", descending=True) == ["r6", "r3", "r1"]


def test_queries_are_validated(store: DocumentStore) -> None:
    with pytest.raises(ValueError):
        store.list("runs", where=[("n", "like", 1)])
    with pytest.raises(ValueError):
        store.list("runs", where=[("n", ">", None)])
    with pytest.raises(ValueError):
        store.list("runs", where=[("n", "in", [])])
    with pytest.raises(ValueError):
        store.list("runs", limit=0)
    with pytest.raises(ValueError):
        store.list("runs", descending=True)  # needs order_by


# -------------------------------------------------------------------------------- transactions


def test_transaction_commits_and_returns_fn_result(store: DocumentStore) -> None:
    store.put("counters/c", {"n": 1})
    store.put("doomed/d", {"x": 1})

    def fn(txn: Txn) -> str:
        doc = txn.get("counters/c")
        assert doc is not None
        txn.put("counters/c", {"n": doc["n"] + 1})
        assert txn.create("claims/k", {"by": "me"}) is True
        txn.delete("doomed/d")
        return "ok"

    assert store.transaction(fn) == "ok"
    assert store.get("counters/c") == {"n": 2}
    assert store.get("claims/k") == {"by": "me"}
    assert store.get("doomed/d") is None


def test_transaction_reads_its_own_writes(store: DocumentStore) -> None:
    store.put("claims/old", {"v": 1})

    def fn(txn: Txn) -> None:
        txn.put("claims/new", {"v": 2, "at": T0})
        assert txn.get("claims/new") == {"v": 2, "at": T0}
        txn.delete("claims/old")
        assert txn.get("claims/old") is None
        assert txn.create("claims/new", {"v": 3}) is False
        assert txn.create("claims/old", {"v": 4}) is True  # deleted above: free again

    store.transaction(fn)
    assert store.get("claims/new") == {"v": 2, "at": T0}
    assert store.get("claims/old") == {"v": 4}


def test_create_inside_a_transaction_is_conditional(store: DocumentStore) -> None:
    store.put("claims/k", {"owner": "first"})
    assert store.transaction(lambda txn: txn.create("claims/k", {"owner": "second"})) is False
    assert store.get("claims/k") == {"owner": "first"}


class Boom(Exception):
    pass


def test_an_exception_in_fn_writes_nothing(store: DocumentStore) -> None:
    store.put("counters/c", {"n": 1})
    store.put("keep/k", {"x": 1})

    def fn(txn: Txn) -> None:
        txn.put("counters/c", {"n": 99})
        txn.create("claims/k", {"by": "me"})
        txn.delete("keep/k")
        raise Boom("changed my mind")

    with pytest.raises(Boom, match="changed my mind"):
        store.transaction(fn)
    assert store.get("counters/c") == {"n": 1}
    assert store.get("claims/k") is None
    assert store.get("keep/k") == {"x": 1}


def test_the_txn_is_unusable_after_the_transaction(store: DocumentStore) -> None:
    kept: list[Txn] = []
    store.transaction(kept.append)
    with pytest.raises(RuntimeError):
        kept[0].put("a/b", {"x": 1})
    assert store.get("a/b") is None


def increment_concurrently(stores: list[DocumentStore], per_thread: int) -> None:
    start = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def worker(store: DocumentStore) -> None:
        def bump(txn: Txn) -> None:
            doc = txn.get("counters/c")
            assert doc is not None
            txn.put("counters/c", {"n": doc["n"] + 1})

        try:
            start.wait()
            for _ in range(per_thread):
                for attempt in range(5):  # a retryable loss is retried, as the task queue would
                    try:
                        store.transaction(bump)
                        break
                    except ConcurrencyError:
                        if attempt == 4:
                            raise
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures


@pytest.mark.parametrize(
    "store",  # the emulator resolves each conflict by a ~2 s lock timeout: about 25 s here
    ["sqlite", pytest.param("firestore", marks=[pytest.mark.emulator, pytest.mark.slow])],
    indirect=True,
)
def test_transactions_are_isolated_under_contention(store: DocumentStore) -> None:
    store.put("counters/c", {"n": 0})
    increment_concurrently([store, store], per_thread=10)
    assert store.get("counters/c") == {"n": 20}


# ------------------------------------------------------------------------ SQLite-only behaviour


def test_sqlite_isolation_across_connections(tmp_path: Path) -> None:
    """Two stores on one file stand for two processes: BEGIN IMMEDIATE must serialise them."""
    path = tmp_path / "shared.db"
    with SqliteDocumentStore(path) as first, SqliteDocumentStore(path) as second:
        first.put("counters/c", {"n": 0})
        increment_concurrently([first, second], per_thread=25)
        assert second.get("counters/c") == {"n": 50}


def test_sqlite_in_memory_store_is_shared_across_threads() -> None:
    with SqliteDocumentStore(":memory:") as memory:
        memory.put("counters/c", {"n": 0})
        increment_concurrently([memory, memory, memory], per_thread=20)
        assert memory.get("counters/c") == {"n": 60}


def test_sqlite_keeps_data_across_reopen_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "store.db"
    with SqliteDocumentStore(path) as first:
        first.put("tenants/t1", {"at": T0})
        assert first._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with SqliteDocumentStore(path) as again:
        assert again.get("tenants/t1") == {"at": T0}


def test_sqlite_refuses_store_calls_inside_its_own_transaction(tmp_path: Path) -> None:
    with SqliteDocumentStore(tmp_path / "s.db") as store:
        with pytest.raises(RuntimeError, match="use the Txn"):
            store.transaction(lambda txn: store.put("a/b", {"x": 1}))
        assert store.get("a/b") is None


# --------------------------------------------------------------------- Firestore-only behaviour


@pytest.mark.emulator
def test_firestore_contention_beyond_max_attempts_is_a_concurrency_error(
    firestore_client: object, firestore_emulator: object
) -> None:
    from sisbridge.adapters.firestore_store import FirestoreDocumentStore
    from sisbridge.errors import ConcurrencyError

    from tests import emulators

    emulators.reset_firestore(firestore_emulator)  # type: ignore[arg-type]
    store = FirestoreDocumentStore(firestore_client, max_attempts=1)  # type: ignore[arg-type]
    store.put("counters/c", {"n": 0})
    both_read = threading.Barrier(2, timeout=30)
    outcomes: list[object] = []

    def bump(txn: Txn) -> None:
        doc = txn.get("counters/c")
        assert doc is not None
        both_read.wait()  # both hold a read of the same document: one commit must lose
        txn.put("counters/c", {"n": doc["n"] + 1})

    def worker() -> None:
        try:
            store.transaction(bump)
            outcomes.append("committed")
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # The contract: no lost update, and a transaction that cannot win says so, retryably. (The
    # emulator settles lock conflicts by timeout, so occasionally neither of the two commits.)
    committed = outcomes.count("committed")
    assert committed <= 1 and len(outcomes) == 2, outcomes
    assert all(isinstance(o, ConcurrencyError) and o.retryable for o in outcomes if o != "committed"), outcomes
    assert store.get("counters/c") == {"n": committed}
