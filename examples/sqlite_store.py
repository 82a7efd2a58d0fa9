"""`SQLiteStore`: a persistent session store on the standard library's `sqlite3`.

The worked example of docs/testing.md ("Writing your own store"), and the demo's store
for people without Redis (``nox -s demo -- --store sqlite``). It passes
`coatcheck_testing.StoreConformance`, its account checks (the session index and
forwarding records) and the lifecycle machine (tests/core).

Design, one decision per line:

- One row per session (its key, expiry and, for a session of a subject, its index
  entry: subject, public id, start, last activity, user agent) and one row per session
  *value* (the text the core's serializer produced), so an `Update` writes only the
  delta, key by key: two requests that change different keys of one session both
  survive.
- The index *is* the session row (an SQL index on subject), so no index entry can
  outlive or miss its session: deleting the row ends both, in one statement.
- A renewal moves the row to the new key and leaves a row in ``coatcheck_forward``
  under the old key (its successor and the core's sealed pointer), living ``grace``
  seconds; `load`, `update`, `update_ttl`, `renew` and `delete` follow it.
- Expiry follows the ``now`` each command carries (the core's clock), never the
  database's, so tests move time freely; ``now >= expires_at`` is dead.
- Dead rows are deleted by `purge_expired`, which `save` runs at most once per
  ``cleanup_interval`` seconds, so the file stays bounded under churn.
- Writes run in ``BEGIN IMMEDIATE`` transactions (one writer at a time, also across
  processes sharing the file, which runs in WAL mode); reads that follow forwarding
  records run in one read transaction (a consistent snapshot).
- One connection, guarded by a lock, shared by every thread: safe for WSGI worker
  threads and for the ASGI adapter, which calls I/O stores in a worker thread.
- CHECK constraints keep the types right; a schema version in ``PRAGMA user_version``
  refuses a file written by an incompatible version (a version 1 file, from before
  the index, is upgraded in place).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

from coatcheck import Delta, Forwarded, SessionInfo, SessionMeta, StoredState, session_id
from coatcheck.sansio import MAX_FORWARDS, subject_text

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = 2
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
# Version 2: the index entry in the session row, and forwarding records.
_SCHEMA_2 = """
ALTER TABLE coatcheck_session ADD COLUMN subject TEXT CHECK (typeof(subject) IN ('text', 'null'));
ALTER TABLE coatcheck_session ADD COLUMN public_id TEXT;
ALTER TABLE coatcheck_session ADD COLUMN created_at REAL;
ALTER TABLE coatcheck_session ADD COLUMN last_active REAL;
ALTER TABLE coatcheck_session ADD COLUMN user_agent TEXT;
CREATE INDEX IF NOT EXISTS coatcheck_session_subject
    ON coatcheck_session (subject, public_id) WHERE subject IS NOT NULL;
CREATE TABLE IF NOT EXISTS coatcheck_forward (
    key TEXT PRIMARY KEY CHECK (typeof(key) = 'text'),
    successor TEXT NOT NULL,
    forward TEXT NOT NULL,
    expires_at REAL NOT NULL CHECK (typeof(expires_at) = 'real')
) WITHOUT ROWID;
"""
_VALUES = "SELECT name, value FROM coatcheck_value WHERE session = ?"
_SET_VALUE = """
INSERT INTO coatcheck_value (session, name, value) VALUES (?, ?, ?)
ON CONFLICT (session, name) DO UPDATE SET value = excluded.value
"""
_INSERT = """
INSERT INTO coatcheck_session
    (key, expires_at, subject, public_id, created_at, last_active, user_agent)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_LIVE_OF_SUBJECT = """
SELECT key, public_id, created_at, last_active, expires_at, user_agent
FROM coatcheck_session WHERE subject = ? AND expires_at > ?
ORDER BY last_active DESC, key
"""

_Found = tuple[str, float, tuple[str, ...]]
"""A live session a key leads to: its key, its expiry, the pointers followed."""


class SQLiteStore:
    """Sessions in an SQLite database file (or ``":memory:"``), with expiry and cleanup,
    the session index (`coatcheck.SessionIndex`) and forwarding records for renewals.

    ``cleanup_interval`` is how often (in seconds of the commands' clock) a `save` also
    deletes dead rows; ``timeout`` is how long a write waits for another process's.
    The index methods' ``now`` defaults to the wall clock.
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
            try:
                self._open()
            except BaseException:
                # Python 3.13 warns about a connection left for the garbage collector.
                self._connection.close()
                raise

    def _open(self) -> None:
        execute = self._connection.execute
        execute("PRAGMA foreign_keys = ON")
        execute("PRAGMA journal_mode = WAL")
        version = execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, SCHEMA_VERSION):
            raise RuntimeError(
                f"this SQLite file holds coatcheck sessions in schema version {version}; "
                f"this SQLiteStore reads version {SCHEMA_VERSION}"
            )
        self._connection.executescript(_SCHEMA)
        execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have upgraded it.
            if execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                for statement in _SCHEMA_2.split(";"):
                    if statement.strip():
                        execute(statement)
                execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            execute("ROLLBACK")
            raise
        execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, holding the database's write lock from the start."""
        with self._transaction("BEGIN IMMEDIATE") as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one snapshot for several statements."""
        with self._transaction("BEGIN") as connection:
            yield connection

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._connection
            connection.execute(begin)
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @staticmethod
    def _taken(connection: sqlite3.Connection, key: str, now: float) -> bool:
        """Whether a live session or forwarding record holds ``key``."""
        row = connection.execute(
            "SELECT 1 FROM coatcheck_session WHERE key = ? AND expires_at > ? "
            "UNION ALL SELECT 1 FROM coatcheck_forward WHERE key = ? AND expires_at > ?",
            (key, now, key, now),
        ).fetchone()
        return row is not None

    @staticmethod
    def _resolve(connection: sqlite3.Connection, key: str, now: float) -> _Found | None:
        """The live session ``key`` leads to, following forwarding records."""
        chain: list[str] = []
        for _ in range(MAX_FORWARDS + 1):
            row = connection.execute(
                "SELECT expires_at FROM coatcheck_session WHERE key = ?", (key,)
            ).fetchone()
            if row is not None:
                return (key, row[0], tuple(chain)) if now < row[0] else None
            hop = connection.execute(
                "SELECT successor, forward FROM coatcheck_forward WHERE key = ? AND expires_at > ?",
                (key, now),
            ).fetchone()
            if hop is None:
                return None
            key = hop[0]
            chain.append(hop[1])
        return None

    @staticmethod
    def _apply(connection: sqlite3.Connection, key: str, delta: Delta) -> None:
        connection.executemany(
            _SET_VALUE, [(key, name, value) for name, value in delta.changed.items()]
        )
        connection.executemany(
            "DELETE FROM coatcheck_value WHERE session = ? AND name = ?",
            [(key, name) for name in delta.removed],
        )

    @staticmethod
    def _touch(connection: sqlite3.Connection, key: str, ttl: int, now: float) -> None:
        connection.execute(
            "UPDATE coatcheck_session SET expires_at = ?, last_active = ? WHERE key = ?",
            (float(now + ttl), float(now), key),
        )

    # -- the SessionStore protocol -------------------------------------------------------------

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The live session under ``key`` (or the one it was renewed into), or ``None``."""
        with self._read() as connection:
            found = self._resolve(connection, key, now)
            if found is None:
                return None
            record_key, expires_at, chain = found
            rows = connection.execute(_VALUES, (record_key,)).fetchall()
        return StoredState(dict(rows), expires_at, chain)

    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        """Create the session under the fresh ``key``; false if a live one has it. With
        ``meta``, the session belongs to ``meta.subject`` and is indexed."""
        if now >= self._next_cleanup:
            self.purge_expired(now)
        with self._write() as connection:
            if self._taken(connection, key, now):
                return False
            # A dead session may still sit under the key until the next cleanup.
            connection.execute("DELETE FROM coatcheck_session WHERE key = ?", (key,))
            connection.execute("DELETE FROM coatcheck_forward WHERE key = ?", (key,))
            row: tuple[object, ...]
            if meta is None:
                row = (key, float(now + ttl), None, None, None, float(now), None)
            else:
                row = (
                    key,
                    float(now + ttl),
                    meta.subject,
                    session_id(key),
                    float(meta.created_at),
                    float(now),
                    meta.user_agent,
                )
            connection.execute(_INSERT, row)
            connection.executemany(
                "INSERT INTO coatcheck_value (session, name, value) VALUES (?, ?, ?)",
                [(key, name, value) for name, value in state.items()],
            )
        return True

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Apply ``delta`` key by key and move the expiry; false if the session is gone."""
        with self._write() as connection:
            found = self._resolve(connection, key, now)
            if found is None:
                return False
            record_key, _, chain = found
            self._apply(connection, record_key, delta)
            self._touch(connection, record_key, ttl, now)
        return Forwarded(chain) if chain else True

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Move the expiry of a live session; false if it is gone."""
        with self._write() as connection:
            found = self._resolve(connection, key, now)
            if found is None:
                return False
            record_key, _, chain = found
            self._touch(connection, record_key, ttl, now)
        return Forwarded(chain) if chain else True

    def renew(
        self,
        key: str,
        new_key: str,
        state: Mapping[str, str],
        delta: Delta,
        *,
        ttl: int,
        now: float,
        grace: int,
        forward: str,
    ) -> bool | Forwarded:
        """Move the session to ``new_key`` (with ``delta`` on top); ``key`` forwards to
        it for ``grace`` seconds. False, writing nothing, if the session vanished."""
        with self._write() as connection:
            found = self._resolve(connection, key, now)
            if found is None:
                return False
            record_key, _, chain = found
            if chain:  # renewed meanwhile: that renewal stands, this one writes into it
                self._apply(connection, record_key, delta)
                self._touch(connection, record_key, ttl, now)
                return Forwarded(chain)
            connection.execute("DELETE FROM coatcheck_session WHERE key = ?", (new_key,))
            connection.execute("DELETE FROM coatcheck_forward WHERE key = ?", (new_key,))
            # The row moves to the new key, its index entry (and values) with it.
            connection.execute(
                "INSERT INTO coatcheck_session (key, expires_at, subject, public_id, "
                "created_at, last_active, user_agent) SELECT ?, expires_at, subject, "
                "CASE WHEN subject IS NULL THEN NULL ELSE ? END, created_at, last_active, "
                "user_agent FROM coatcheck_session WHERE key = ?",
                (new_key, session_id(new_key), key),
            )
            connection.execute(
                "UPDATE coatcheck_value SET session = ? WHERE session = ?", (new_key, key)
            )
            connection.execute("DELETE FROM coatcheck_session WHERE key = ?", (key,))
            self._apply(connection, new_key, delta)
            self._touch(connection, new_key, ttl, now)
            if grace > 0:
                connection.execute(
                    "INSERT INTO coatcheck_forward (key, successor, forward, expires_at) "
                    "VALUES (?, ?, ?, ?)",
                    (key, new_key, forward, float(now + grace)),
                )
        return True

    def delete(self, key: str) -> None:
        """Remove the session and its values (missing is fine); through an old key,
        the session it was renewed into."""
        with self._write() as connection:
            for _ in range(MAX_FORWARDS + 1):
                if connection.execute(
                    "DELETE FROM coatcheck_session WHERE key = ?", (key,)
                ).rowcount:
                    return
                hop = connection.execute(
                    "DELETE FROM coatcheck_forward WHERE key = ? RETURNING successor", (key,)
                ).fetchone()
                if hop is None:
                    return
                key = hop[0]

    # -- the session index ---------------------------------------------------------------------

    def list_sessions(self, subject: str | int, *, now: float | None = None) -> list[SessionInfo]:
        """The subject's live sessions, most recently active first."""
        subject = subject_text(subject)
        with self._lock:
            rows = self._connection.execute(_LIVE_OF_SUBJECT, (subject, _clock(now))).fetchall()
        return [
            SessionInfo(
                id=public_id,
                subject=subject,
                created_at=created_at,
                last_active=last_active,
                expires_at=expires_at,
                user_agent=user_agent,
            )
            for _key, public_id, created_at, last_active, expires_at, user_agent in rows
        ]

    def revoke(self, subject: str | int, session_id: str, *, now: float | None = None) -> bool:
        """End that session of the subject; false (and nothing ends) if it is not one."""
        subject = subject_text(subject)
        with self._write() as connection:
            cursor = connection.execute(
                "DELETE FROM coatcheck_session "
                "WHERE subject = ? AND public_id = ? AND expires_at > ?",
                (subject, session_id, _clock(now)),
            )
        return cursor.rowcount > 0

    def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> int:
        """End every session of the subject but ``keep`` (a session id); how many ended."""
        subject = subject_text(subject)
        with self._write() as connection:
            cursor = connection.execute(
                "DELETE FROM coatcheck_session "
                "WHERE subject = ? AND expires_at > ? AND public_id IS NOT ?",
                (subject, _clock(now), keep),
            )
        return cursor.rowcount

    def count_sessions(self, subject: str | int, *, now: float | None = None) -> int:
        """How many live sessions the subject has."""
        subject = subject_text(subject)
        with self._lock:
            count: int = self._connection.execute(
                "SELECT count(*) FROM coatcheck_session WHERE subject = ? AND expires_at > ?",
                (subject, _clock(now)),
            ).fetchone()[0]
        return count

    def cap(self, subject: str, keep: str, limit: int, *, now: float) -> int:
        """End the least recently active sessions of ``subject`` but ``keep`` (an id)
        until at most ``limit`` remain; how many ended."""
        with self._write() as connection:
            live = connection.execute(_LIVE_OF_SUBJECT, (subject, now)).fetchall()
            others = [row[0] for row in live if row[1] != keep]
            room = max(limit - (len(live) - len(others)), 0)
            ended = others[room:]
            connection.executemany(
                "DELETE FROM coatcheck_session WHERE key = ?", [(key,) for key in ended]
            )
        return len(ended)

    # -- housekeeping --------------------------------------------------------------------------

    def purge_expired(self, now: float) -> int:
        """Delete every session (and forwarding record) dead at ``now``; return how many
        sessions."""
        with self._write() as connection:
            cursor = connection.execute(
                "DELETE FROM coatcheck_session WHERE expires_at <= ?", (now,)
            )
            connection.execute("DELETE FROM coatcheck_forward WHERE expires_at <= ?", (now,))
            self._next_cleanup = now + self._cleanup_interval
        return cursor.rowcount

    def live_keys(self, now: float) -> set[str]:
        """The keys of every session alive at ``now`` (for tests and administration;
        forwarding records excluded)."""
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


def _clock(now: float | None) -> float:
    return time.time() if now is None else now
