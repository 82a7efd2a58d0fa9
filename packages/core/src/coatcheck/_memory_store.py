"""`MemoryStore`: sessions in a dict in this process, for development and tests."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._accounts import MAX_FORWARDS, SessionInfo, SessionMeta, subject_text
from ._identity import session_id as id_of
from ._store import Delta, Forwarded, StoredState

__all__ = ["MemoryStore"]

_COMPACT_SLACK = 1024


@dataclass(slots=True)
class _Record:
    state: Mapping[str, str]
    expires_at: float
    last_active: float
    meta: SessionMeta | None


@dataclass(slots=True, frozen=True)
class _Forward:
    successor: str
    forward: str
    expires_at: float


class MemoryStore:
    """An in-process store with expiry, safe to share between threads.

    State lives only as long as the process and is not shared between processes, so use
    it for development, tests and single-process deployments. Expiry follows the ``now``
    each command carries; expired sessions are reclaimed as time moves on (a heap of
    expiry times is swept on every write), so memory stays bounded under churn.

    It keeps the session index (`coatcheck.SessionIndex`: ``list_sessions``,
    ``revoke``, ``revoke_all``, ``count_sessions``) and forwarding records for renewals
    with a grace window; their ``now`` defaults to the wall clock.
    """

    performs_io = False
    """Called inline: a dict lookup under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, _Record | _Forward] = {}
        self._expiries: list[tuple[float, str]] = []
        self._index: dict[str, dict[str, str]] = {}
        """subject -> {session id: key}"""

    def __len__(self) -> int:
        """Sessions and forwarding records held, including expired ones not reclaimed yet."""
        return len(self._sessions)

    # -- the store protocol --------------------------------------------------------------

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The live session under ``key`` (or its successor), or ``None``."""
        with self._lock:
            found = self._resolve(key, now)
        if found is None:
            return None
        _, record, chain = found
        return StoredState(record.state, record.expires_at, chain)

    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        """Store ``state`` under ``key`` unless a live session has it; index it by
        ``meta.subject`` when given."""
        with self._lock:
            self._reclaim(now)
            if self._entry(key, now) is not None:
                return False
            self._put(key, _Record(MappingProxyType(dict(state)), now + ttl, now, meta))
            if meta is not None:
                self._index.setdefault(meta.subject, {})[id_of(key)] = key
        return True

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Apply ``delta`` to the stored state, so concurrent changes to other keys stay."""
        with self._lock:
            self._reclaim(now)
            found = self._resolve(key, now)
            if found is None:
                return False
            record_key, record, chain = found
            self._put(
                record_key, _Record(_merged(record.state, delta), now + ttl, now, record.meta)
            )
        return Forwarded(chain) if chain else True

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Move the expiry of a live session."""
        with self._lock:
            self._reclaim(now)
            found = self._resolve(key, now)
            if found is None:
                return False
            record_key, record, chain = found
            self._put(record_key, _Record(record.state, now + ttl, now, record.meta))
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
        """Move the session to ``new_key``; ``key`` forwards to it for ``grace`` seconds."""
        with self._lock:
            self._reclaim(now)
            found = self._resolve(key, now)
            if found is None:
                return False
            record_key, record, chain = found
            merged = _merged(record.state, delta)
            if chain:  # renewed meanwhile: that renewal stands, this one writes into it
                self._put(record_key, _Record(merged, now + ttl, now, record.meta))
                return Forwarded(chain)
            self._put(new_key, _Record(merged, now + ttl, now, record.meta))
            meta = record.meta
            if meta is not None:
                entries = self._index.setdefault(meta.subject, {})
                entries.pop(id_of(key), None)
                entries[id_of(new_key)] = new_key
            if grace > 0:
                self._put(key, _Forward(new_key, forward, now + grace))
            else:
                del self._sessions[key]
        return True

    def delete(self, key: str) -> None:
        """Forget the session (and, for an old key, the session it forwards to)."""
        with self._lock:
            for _ in range(MAX_FORWARDS + 1):
                entry = self._sessions.pop(key, None)
                if isinstance(entry, _Record):
                    self._unindex(key, entry)
                if not isinstance(entry, _Forward):
                    return
                key = entry.successor

    # -- the session index ---------------------------------------------------------------

    def list_sessions(self, subject: str | int, *, now: float | None = None) -> list[SessionInfo]:
        """The subject's live sessions, most recently active first."""
        subject = subject_text(subject)
        with self._lock:
            live = self._subject_sessions(subject, _clock(now))
        infos = [
            SessionInfo(
                id=id_of(key),
                subject=subject,
                created_at=record.meta.created_at if record.meta else record.last_active,
                last_active=record.last_active,
                expires_at=record.expires_at,
                user_agent=record.meta.user_agent if record.meta else None,
            )
            for key, record in live
        ]
        infos.sort(key=lambda info: info.last_active, reverse=True)
        return infos

    def revoke(self, subject: str | int, session_id: str, *, now: float | None = None) -> bool:
        """End that session of the subject; false if it is not a live one of theirs."""
        subject = subject_text(subject)
        with self._lock:
            key = self._index.get(subject, {}).get(session_id)
            if key is None or self._live(key, _clock(now)) is None:
                return False
            self._end(key)
        return True

    def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> int:
        """End every session of the subject but ``keep``; how many ended."""
        subject = subject_text(subject)
        with self._lock:
            ended = [
                key for key, _ in self._subject_sessions(subject, _clock(now)) if id_of(key) != keep
            ]
            for key in ended:
                self._end(key)
        return len(ended)

    def count_sessions(self, subject: str | int, *, now: float | None = None) -> int:
        """How many live sessions the subject has."""
        subject = subject_text(subject)
        with self._lock:
            return len(self._subject_sessions(subject, _clock(now)))

    def cap(self, subject: str, keep: str, limit: int, *, now: float) -> int:
        """End the least recently active sessions of ``subject`` but ``keep`` (an id)
        until at most ``limit`` remain; how many ended."""
        with self._lock:
            live = self._subject_sessions(subject, now)
            others = [(key, record) for key, record in live if id_of(key) != keep]
            room = limit - (len(live) - len(others))
            others.sort(key=lambda item: item[1].last_active, reverse=True)
            ended = others[max(room, 0) :]
            for key, _ in ended:
                self._end(key)
        return len(ended)

    # -- for tests and tooling -----------------------------------------------------------

    def live_keys(self, now: float) -> list[str]:
        """The keys of every session alive at ``now`` (forwarding records excluded)."""
        with self._lock:
            return [
                key
                for key, entry in self._sessions.items()
                if isinstance(entry, _Record) and now < entry.expires_at
            ]

    # -- internals -----------------------------------------------------------------------

    def _entry(self, key: str, now: float) -> _Record | _Forward | None:
        entry = self._sessions.get(key)
        if entry is not None and now >= entry.expires_at:
            del self._sessions[key]
            if isinstance(entry, _Record):
                self._unindex(key, entry)
            return None
        return entry

    def _live(self, key: str, now: float) -> _Record | None:
        entry = self._entry(key, now)
        return entry if isinstance(entry, _Record) else None

    def _resolve(self, key: str, now: float) -> tuple[str, _Record, tuple[str, ...]] | None:
        """The live record ``key`` names, following forwarding records."""
        chain: list[str] = []
        for _ in range(MAX_FORWARDS + 1):
            entry = self._entry(key, now)
            if entry is None:
                return None
            if isinstance(entry, _Record):
                return key, entry, tuple(chain)
            chain.append(entry.forward)
            key = entry.successor
        return None

    def _subject_sessions(self, subject: str, now: float) -> list[tuple[str, _Record]]:
        entries = self._index.get(subject)
        if not entries:
            return []
        live = []
        for key in list(entries.values()):
            record = self._live(key, now)
            if record is not None:
                live.append((key, record))
        return live

    def _end(self, key: str) -> None:
        entry = self._sessions.pop(key, None)
        if isinstance(entry, _Record):
            self._unindex(key, entry)

    def _unindex(self, key: str, record: _Record) -> None:
        meta = record.meta
        if meta is None:
            return
        entries = self._index.get(meta.subject)
        if entries is not None:
            entries.pop(id_of(key), None)
            if not entries:
                del self._index[meta.subject]

    def _put(self, key: str, entry: _Record | _Forward) -> None:
        self._sessions[key] = entry
        heapq.heappush(self._expiries, (entry.expires_at, key))
        if len(self._expiries) > 2 * len(self._sessions) + _COMPACT_SLACK:
            # Every TTL move leaves an outdated heap entry behind; rebuild from the truth.
            self._expiries = [(entry.expires_at, key) for key, entry in self._sessions.items()]
            heapq.heapify(self._expiries)

    def _reclaim(self, now: float) -> None:
        expiries = self._expiries
        sessions = self._sessions
        while expiries and expiries[0][0] <= now:
            expires_at, key = heapq.heappop(expiries)
            entry = sessions.get(key)
            if entry is not None and entry.expires_at == expires_at:
                del sessions[key]
                if isinstance(entry, _Record):
                    self._unindex(key, entry)

    def __repr__(self) -> str:
        return f"MemoryStore(<{len(self._sessions)} sessions>)"


def _merged(state: Mapping[str, str], delta: Delta) -> Mapping[str, str]:
    merged = dict(state)
    merged.update(delta.changed)
    for removed in delta.removed:
        merged.pop(removed, None)
    return MappingProxyType(merged)


def _clock(now: float | None) -> float:
    return time.time() if now is None else now
