"""`MemoryStore`: sessions in a dict in this process, for development and tests."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Mapping
from types import MappingProxyType

from ._store import Delta, StoredState

__all__ = ["MemoryStore"]

_COMPACT_SLACK = 1024


class MemoryStore:
    """An in-process store with expiry, safe to share between threads.

    State lives only as long as the process and is not shared between processes, so use
    it for development, tests and single-process deployments. Expiry follows the ``now``
    each command carries; expired sessions are reclaimed as time moves on (a heap of
    expiry times is swept on every write), so memory stays bounded under churn.
    """

    performs_io = False
    """Called inline: a dict lookup under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[Mapping[str, str], float]] = {}
        self._expiries: list[tuple[float, str]] = []

    def __len__(self) -> int:
        """Sessions held, including expired ones not reclaimed yet."""
        return len(self._sessions)

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The live session under ``key``, or ``None``."""
        with self._lock:
            entry = self._live(key, now)
        if entry is None:
            return None
        # tuple.__new__ skips the NamedTuple's Python-level constructor (hot path).
        return tuple.__new__(StoredState, entry)

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """Store ``state`` under ``key`` unless a live session has it."""
        with self._lock:
            self._reclaim(now)
            if self._live(key, now) is not None:
                return None
            self._put(key, MappingProxyType(dict(state)), now + ttl)
        return key

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """Apply ``delta`` to the stored state, so concurrent changes to other keys stay."""
        with self._lock:
            self._reclaim(now)
            entry = self._live(key, now)
            if entry is None:
                return None
            merged = dict(entry[0])
            merged.update(delta.changed)
            for removed in delta.removed:
                merged.pop(removed, None)
            self._put(key, MappingProxyType(merged), now + ttl)
        return key

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """Move the expiry of a live session."""
        with self._lock:
            self._reclaim(now)
            entry = self._live(key, now)
            if entry is None:
                return None
            self._put(key, entry[0], now + ttl)
        return key

    def delete(self, key: str) -> None:
        """Forget the session."""
        with self._lock:
            self._sessions.pop(key, None)

    def _live(self, key: str, now: float) -> tuple[Mapping[str, str], float] | None:
        entry = self._sessions.get(key)
        if entry is None:
            return None
        if now >= entry[1]:
            del self._sessions[key]
            return None
        return entry

    def _put(self, key: str, state: Mapping[str, str], expires_at: float) -> None:
        self._sessions[key] = (state, expires_at)
        heapq.heappush(self._expiries, (expires_at, key))
        if len(self._expiries) > 2 * len(self._sessions) + _COMPACT_SLACK:
            # Every TTL move leaves an outdated heap entry behind; rebuild from the truth.
            self._expiries = [(entry[1], key) for key, entry in self._sessions.items()]
            heapq.heapify(self._expiries)

    def _reclaim(self, now: float) -> None:
        expiries = self._expiries
        sessions = self._sessions
        while expiries and expiries[0][0] <= now:
            expires_at, key = heapq.heappop(expiries)
            entry = sessions.get(key)
            if entry is not None and entry[1] == expires_at:
                del sessions[key]

    def __repr__(self) -> str:
        return f"MemoryStore(<{len(self._sessions)} sessions>)"
