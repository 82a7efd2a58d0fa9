"""Every server-side store of the core (and the SQLite example) passes the store checks."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from coatcheck import Delta, MemoryStore, SessionMeta
from coatcheck_testing import AsyncStoreWrapper
from coatcheck_testing.pytest import AsyncStoreConformance, StoreConformance
from examples.sqlite_store import SQLiteStore

# Values the JSON serializer cannot read back: what another program (or a bug) left.
UNREADABLE = ("{oops", "", "'single quotes'", "[1,", "\x00")


def _plant_memory_garbage(store: MemoryStore, now: float) -> list[str]:
    # Only the core writes into a MemoryStore: unreadable values are all it can hold.
    keys = [f"garbage-{n}" for n in range(len(UNREADABLE))]
    for key, text in zip(keys, UNREADABLE, strict=True):
        store.save(key, {"a": text}, ttl=60, now=now)
    return keys


class TestMemoryStore(StoreConformance):
    make_store = MemoryStore

    def plant_garbage(self, store: MemoryStore, now: float) -> Iterable[str]:
        return _plant_memory_garbage(store, now)


class TestAsyncMemoryStore(AsyncStoreConformance):
    """The async suite, run through the async protocol without a server."""

    def make_store(self) -> AsyncStoreWrapper:
        return AsyncStoreWrapper(MemoryStore())

    def plant_garbage(self, store: AsyncStoreWrapper, now: float) -> Iterable[str]:
        assert isinstance(store.store, MemoryStore)
        return _plant_memory_garbage(store.store, now)


def _plant_sqlite_garbage(store: SQLiteStore, now: float) -> list[str]:
    keys = [f"garbage-{n}" for n in range(len(UNREADABLE))]
    with store._write() as connection:
        for key, text in zip(keys, UNREADABLE, strict=True):
            connection.execute(
                "INSERT INTO coatcheck_session (key, expires_at) VALUES (?, ?)", (key, now + 60.0)
            )
            connection.execute(
                "INSERT INTO coatcheck_value (session, name, value) VALUES (?, 'a', ?)",
                (key, text),
            )
    return keys


class TestSQLiteStore(StoreConformance):
    """The example store, session index and forwarding records included."""

    def make_store(self) -> SQLiteStore:
        return SQLiteStore(":memory:")

    def close_store(self, store: SQLiteStore) -> None:
        store.close()

    def plant_garbage(self, store: SQLiteStore, now: float) -> Iterable[str]:
        return _plant_sqlite_garbage(store, now)


class TestSQLiteStoreOnDisk(TestSQLiteStore):
    """The same suite on a database file (WAL mode, the demo's setting)."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.path = tmp_path / "sessions.sqlite3"

    def make_store(self) -> SQLiteStore:
        return SQLiteStore(self.path)


# -- what the SQLite example promises beyond the contract ------------------------------


def test_sqlite_cleanup_keeps_the_file_bounded_under_churn() -> None:
    with SQLiteStore(":memory:", cleanup_interval=10) as store:
        now = 1_700_000_000.0
        peak = 0
        for n in range(2000):
            assert store.save(f"key-{n}", {"n": str(n)}, ttl=5, now=now)
            peak = max(peak, len(store))
            now += 1
        # Sessions live 5 s and dead rows go at most 10 s later: never more than 16 rows.
        assert peak <= 16
        assert store.live_keys(now) == {f"key-{n}" for n in range(1996, 2000)}
        held = len(store)
        assert store.purge_expired(now + 5) == held
        assert len(store) == 0


def test_sqlite_sessions_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    with SQLiteStore(path) as store:
        assert store.save("k", {"user": '"ada"'}, ttl=60, now=100.0)
    with SQLiteStore(path) as store:
        loaded = store.load("k", now=101.0)
    assert loaded is not None and dict(loaded.state) == {"user": '"ada"'}


def test_sqlite_refuses_a_file_of_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with SQLiteStore(path):
        pass
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(RuntimeError, match="schema version 99"):
        SQLiteStore(path)


def test_sqlite_two_connections_to_one_file_merge_concurrent_updates(tmp_path: Path) -> None:
    """Two stores on one file, as two worker processes would have: per-key deltas merge."""
    path = tmp_path / "shared.sqlite3"
    with SQLiteStore(path) as first, SQLiteStore(path) as second:
        key = "shared"
        assert first.save(key, {"base": "0"}, ttl=600, now=0.0)
        stores = (first, second)
        barrier = threading.Barrier(len(stores))

        def worker(index: int) -> None:
            barrier.wait(timeout=10)
            for round_ in range(25):
                change = {f"worker-{index}": str(round_)}
                assert stores[index].update(key, change, Delta(change), ttl=600, now=1.0)

        threads = [threading.Thread(target=worker, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        loaded = second.load(key, now=2.0)
    assert loaded is not None
    assert dict(loaded.state) == {"base": "0", "worker-0": "24", "worker-1": "24"}


def test_sqlite_upgrades_a_file_written_before_the_index(tmp_path: Path) -> None:
    """A schema version 1 file (no index, no forwarding) keeps its sessions and gains both."""
    path = tmp_path / "v1.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE coatcheck_session (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)
            WITHOUT ROWID;
        CREATE TABLE coatcheck_value (
            session TEXT NOT NULL REFERENCES coatcheck_session (key) ON DELETE CASCADE,
            name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (session, name)
        ) WITHOUT ROWID;
        INSERT INTO coatcheck_session VALUES ('old', 1000.0);
        INSERT INTO coatcheck_value VALUES ('old', 'user', '"ada"');
        PRAGMA user_version = 1;
        """
    )
    connection.close()
    with SQLiteStore(path) as store:
        loaded = store.load("old", now=10.0)
        assert loaded is not None and dict(loaded.state) == {"user": '"ada"'}
        assert store.renew("old", "new", {}, Delta(), ttl=60, now=10.0, grace=5, forward="pointer")
        forwarded = store.load("old", now=11.0)
        assert forwarded is not None and forwarded.forward == ("pointer",)
        assert dict(forwarded.state) == {"user": '"ada"'}
        meta = SessionMeta("ada", 10.0, "agent")
        assert store.save("indexed", {}, ttl=60, now=10.0, meta=meta)
        assert [info.user_agent for info in store.list_sessions("ada", now=11.0)] == ["agent"]
    with SQLiteStore(path) as store:  # opened again: already version 2
        assert store.count_sessions("ada", now=11.0) == 1
