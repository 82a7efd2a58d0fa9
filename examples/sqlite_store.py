"""`SQLiteStore`: a persistent session store on the standard library's `sqlite3`.

The worked example of docs/testing.md ("Writing your own store"), and the demo's store
for people without Redis (``nox -s demo -- --store sqlite``). It passes
`coatcheck.testing.StoreConformance` and the lifecycle machine (tests/core).

Design, one decision per line:

- One row per session (its key and expiry) and one row per session *value* (the text
  the core's serializer produced), so an `Update` writes only the delta, key by key:
  two requests that change different keys of one session both survive.
- Expiry follows the ``now`` each command carries (the core's clock), never the
  database's, so tests move time freely; ``now >= expires_at`` is dead.
- Dead rows are deleted by `purge_expired`, which `save` runs at most once per
  ``cleanup_interval`` seconds, so the file stays bounded under churn.
- Writes run in ``BEGIN IMMEDIATE`` transactions (one writer at a time, also across
  processes sharing the file, which runs in WAL mode); reads are single statements.
- One connection, guarded by a lock, shared by every thread: safe for WSGI worker
  threads and for the ASGI adapter, which calls I/O stores in a worker thread.
- CHECK constraints keep the types right; a schema version in ``PRAGMA user_version``
  refuses a file written by an incompatible version.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

from coatcheck import Delta, StoredState

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS coatcheck_session (
    key TEXT PRIMARY KEY CHECK (typeof(key) = 'text'),
    expires_at REAL NOT NULL CHECK (typeof(expires_at) = 'real')
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS coatcheck_session_expiry ON coatcheck_session (expires_at);
CREATE TABLE IF NOT EXISTS coatcheck_value (
    session TEXT NOT NULL REFERENCES coatcheck_session (key) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (typeof(name) = 'text'),
    value TEXT NOT NULL CHECK (typeof(value) = 'text'),
    PRIMARY KEY (session, name)
) WITHOUT ROWID;
"""
_LOAD = """
SELECT s.expires_at, v.name, v.value
FROM coatcheck_session AS s LEFT JOIN coatcheck_value AS v ON v.session = s.key
WHERE s.key = ?
"""
_SET_VALUE = """
INSERT INTO coatcheck_value (session, name, value) VALUES (?, ?, ?)
ON CONFLICT (session, name) DO UPDATE SET value = excluded.value
"""


class SQLiteStore:
    """Sessions in an SQLite database file (or ``":memory:"``), with expiry and cleanup.

    ``cleanup_interval`` is how often (in seconds of the commands' clock) a `save` also
    deletes dead rows; ``timeout`` is how long a write waits for another process's.
    """

    performs_io = True
    """A disk read or write per command: adapters call it off the event loop."""

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        cleanup_interval: float = 60.0,
        timeout: float = 5.0,
    ) -> None:
        self._connection = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        self._cleanup_interval = cleanup_interval
        self._next_cleanup = -math.inf
        with self._lock:
            self._open()

    def _open(self) -> None:
        execute = self._connection.execute
        execute("PRAGMA foreign_keys = ON")
        execute("PRAGMA journal_mode = WAL")
        version = execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise RuntimeError(
                f"this SQLite file holds coatcheck sessions in schema version {version}; "
                f"this SQLiteStore reads version {SCHEMA_VERSION}"
            )
        self._connection.executescript(_SCHEMA)
        execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, holding the database's write lock from the start."""
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @staticmethod
    def _live_expiry(connection: sqlite3.Connection, key: str, now: float) -> float | None:
        row = connection.execute(
            "SELECT expires_at FROM coatcheck_session WHERE key = ?", (key,)
        ).fetchone()
        if row is None or not now < row[0]:
            return None
        expires_at: float = row[0]
        return expires_at

    # -- the SessionStore protocol -------------------------------------------------------------

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The live session under ``key``, or ``None``."""
        with self._lock:
            rows = self._connection.execute(_LOAD, (key,)).fetchall()
        if not rows or not now < rows[0][0]:
            return None
        state = {name: value for _expires_at, name, value in rows if name is not None}
        return StoredState(state, rows[0][0])

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """Create the session under the fresh ``key``; ``None`` if a live one has it."""
        if now >= self._next_cleanup:
            self.purge_expired(now)
        with self._write() as connection:
            if self._live_expiry(connection, key, now) is not None:
                return None
            # A dead session may still sit under the key until the next cleanup.
            connection.execute("DELETE FROM coatcheck_session WHERE key = ?", (key,))
            connection.execute(
                "INSERT INTO coatcheck_session (key, expires_at) VALUES (?, ?)",
                (key, float(now + ttl)),
            )
            connection.executemany(
                "INSERT INTO coatcheck_value (session, name, value) VALUES (?, ?, ?)",
                [(key, name, value) for name, value in state.items()],
            )
        return key

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """Apply ``delta`` key by key and move the expiry; ``None`` if the session is gone."""
        with self._write() as connection:
            if self._live_expiry(connection, key, now) is None:
                return None
            connection.executemany(
                _SET_VALUE, [(key, name, value) for name, value in delta.changed.items()]
            )
            connection.executemany(
                "DELETE FROM coatcheck_value WHERE session = ? AND name = ?",
                [(key, name) for name in delta.removed],
            )
            connection.execute(
                "UPDATE coatcheck_session SET expires_at = ? WHERE key = ?",
                (float(now + ttl), key),
            )
        return key

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """Move the expiry of a live session; ``None`` if it is gone."""
        with self._lock:
            cursor = self._connection.execute(
                "UPDATE coatcheck_session SET expires_at = ? WHERE key = ? AND expires_at > ?",
                (float(now + ttl), key, now),
            )
        return key if cursor.rowcount else None

    def delete(self, key: str) -> None:
        """Remove the session and its values (missing is fine)."""
        with self._lock:
            self._connection.execute("DELETE FROM coatcheck_session WHERE key = ?", (key,))

    # -- housekeeping --------------------------------------------------------------------------

    def purge_expired(self, now: float) -> int:
        """Delete every session dead at ``now``; return how many."""
        with self._write() as connection:
            cursor = connection.execute(
                "DELETE FROM coatcheck_session WHERE expires_at <= ?", (now,)
            )
            self._next_cleanup = now + self._cleanup_interval
        return cursor.rowcount

    def live_keys(self, now: float) -> set[str]:
        """The keys of every session alive at ``now`` (for tests and administration)."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT key FROM coatcheck_session WHERE expires_at > ?", (now,)
            ).fetchall()
        return {key for (key,) in rows}

    def __len__(self) -> int:
        """Session rows held, including dead ones not cleaned up yet."""
        with self._lock:
            count: int = self._connection.execute(
                "SELECT count(*) FROM coatcheck_session"
            ).fetchone()[0]
        return count

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore(<{len(self)} sessions>)"
