"""The store commands an `Exchange` hands out, one at a time.

Each command is a small immutable value that knows which store method executes it, for
a sync store (`run`) and for an async one (`run_async`); the drivers need no dispatch.
A command's ``repr`` names its session by a short digest, never by its key: the key is
the secret the cookie carries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._accounts import SessionMeta
from ._store import AsyncSessionStore, Delta, Forwarded, SessionStore, StoredState

__all__ = [
    "Cap",
    "Command",
    "Delete",
    "Load",
    "Renew",
    "Save",
    "Update",
    "UpdateTtl",
    "key_digest",
]


def key_digest(key: str) -> str:
    """A short, one-way name for a session key, safe to show in logs and reprs."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class Load(NamedTuple):
    """Read the session under ``key``; the result is a `StoredState` or ``None``."""

    key: str
    now: float

    def run(self, store: SessionStore) -> StoredState | None:
        """Execute on a sync store."""
        return store.load(self.key, now=self.now)

    async def run_async(self, store: AsyncSessionStore) -> StoredState | None:
        """Execute on an async store."""
        return await store.load(self.key, now=self.now)

    def __repr__(self) -> str:
        return f"Load(<session {key_digest(self.key)}>, now={self.now!r})"


class Save(NamedTuple):
    """Create a session under the fresh ``key``; the result is true unless it was taken.

    With ``meta`` (a session that belongs to a subject, on a store with the index) the
    store indexes it under ``meta.subject``.
    """

    key: str
    state: Mapping[str, str]
    ttl: int
    now: float
    meta: SessionMeta | None = None

    def run(self, store: SessionStore) -> bool:
        """Execute on a sync store."""
        meta = self.meta
        if meta is None:
            return bool(store.save(self.key, self.state, ttl=self.ttl, now=self.now))
        saver: Any = store
        return bool(saver.save(self.key, self.state, ttl=self.ttl, now=self.now, meta=meta))

    async def run_async(self, store: AsyncSessionStore) -> bool:
        """Execute on an async store."""
        meta = self.meta
        if meta is None:
            return bool(await store.save(self.key, self.state, ttl=self.ttl, now=self.now))
        saver: Any = store
        return bool(await saver.save(self.key, self.state, ttl=self.ttl, now=self.now, meta=meta))

    def __repr__(self) -> str:
        subject = "" if self.meta is None else ", <with subject>"
        return (
            f"Save(<session {key_digest(self.key)}>, <{len(self.state)} keys>, "
            f"ttl={self.ttl}, now={self.now!r}{subject})"
        )


class Update(NamedTuple):
    """Apply ``delta`` to the live session ``key``; the result is true unless it vanished."""

    key: str
    state: Mapping[str, str]
    delta: Delta
    ttl: int
    now: float

    def run(self, store: SessionStore) -> bool | Forwarded:
        """Execute on a sync store."""
        return _applied(store.update(self.key, self.state, self.delta, ttl=self.ttl, now=self.now))

    async def run_async(self, store: AsyncSessionStore) -> bool | Forwarded:
        """Execute on an async store."""
        return _applied(
            await store.update(self.key, self.state, self.delta, ttl=self.ttl, now=self.now)
        )

    def __repr__(self) -> str:
        return (
            f"Update(<session {key_digest(self.key)}>, <{len(self.delta.changed)} changed, "
            f"{len(self.delta.removed)} removed>, ttl={self.ttl}, now={self.now!r})"
        )


class UpdateTtl(NamedTuple):
    """Move the expiry of session ``key``; the result is true unless it vanished."""

    key: str
    ttl: int
    now: float

    def run(self, store: SessionStore) -> bool | Forwarded:
        """Execute on a sync store."""
        return _applied(store.update_ttl(self.key, ttl=self.ttl, now=self.now))

    async def run_async(self, store: AsyncSessionStore) -> bool | Forwarded:
        """Execute on an async store."""
        return _applied(await store.update_ttl(self.key, ttl=self.ttl, now=self.now))

    def __repr__(self) -> str:
        return f"UpdateTtl(<session {key_digest(self.key)}>, ttl={self.ttl}, now={self.now!r})"


class Delete(NamedTuple):
    """Remove session ``key``; the result is ``None``."""

    key: str

    def run(self, store: SessionStore) -> None:
        """Execute on a sync store."""
        store.delete(self.key)

    async def run_async(self, store: AsyncSessionStore) -> None:
        """Execute on an async store."""
        await store.delete(self.key)

    def __repr__(self) -> str:
        return f"Delete(<session {key_digest(self.key)}>)"


class Renew(NamedTuple):
    """Move session ``key`` to the fresh ``new_key``, leaving ``key`` forwarding to it for
    ``grace`` seconds (see `coatcheck.sansio` and the store contract); the result is
    true unless the session vanished, or `Forwarded` if it was renewed meanwhile."""

    key: str
    new_key: str
    state: Mapping[str, str]
    delta: Delta
    ttl: int
    now: float
    grace: int
    forward: str

    def run(self, store: SessionStore) -> bool | Forwarded:
        """Execute on a sync store (one with ``renew``)."""
        renewer: Any = store
        return _applied(
            renewer.renew(
                self.key,
                self.new_key,
                self.state,
                self.delta,
                ttl=self.ttl,
                now=self.now,
                grace=self.grace,
                forward=self.forward,
            )
        )

    async def run_async(self, store: AsyncSessionStore) -> bool | Forwarded:
        """Execute on an async store (one with ``renew``)."""
        renewer: Any = store
        return _applied(
            await renewer.renew(
                self.key,
                self.new_key,
                self.state,
                self.delta,
                ttl=self.ttl,
                now=self.now,
                grace=self.grace,
                forward=self.forward,
            )
        )

    def __repr__(self) -> str:
        return (
            f"Renew(<session {key_digest(self.key)}> -> <session {key_digest(self.new_key)}>, "
            f"ttl={self.ttl}, now={self.now!r}, grace={self.grace})"
        )


class Cap(NamedTuple):
    """End the least recently active sessions of ``subject`` but the one whose id is
    ``keep`` until at most ``limit`` remain; the result is how many ended."""

    subject: str
    keep: str
    limit: int
    now: float

    def run(self, store: SessionStore) -> int:
        """Execute on a sync store (one with the index)."""
        indexed: Any = store
        return int(indexed.cap(self.subject, self.keep, self.limit, now=self.now))

    async def run_async(self, store: AsyncSessionStore) -> int:
        """Execute on an async store (one with the index)."""
        indexed: Any = store
        return int(await indexed.cap(self.subject, self.keep, self.limit, now=self.now))

    def __repr__(self) -> str:
        return f"Cap(<a subject>, keep={self.keep!r}, limit={self.limit}, now={self.now!r})"


def _applied(result: object) -> bool | Forwarded:
    """A store's answer to an update: `Forwarded` as it is, anything else as a bool."""
    if type(result) is Forwarded:
        return result
    return bool(result)


Command = Load | Save | Update | UpdateTtl | Delete | Renew | Cap
"""Any of the store commands."""
