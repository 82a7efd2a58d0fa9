"""The store commands an `Exchange` hands out, one at a time.

Each command is a small immutable value that knows which store method executes it, for
a sync store (`run`) and for an async one (`run_async`); the drivers need no dispatch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ._store import AsyncSessionStore, Delta, SessionStore, StoredState

__all__ = ["Command", "Delete", "Load", "Save", "Update", "UpdateTtl"]


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


class Save(NamedTuple):
    """Create a session under the fresh ``key``; the result is its session key or ``None``."""

    key: str
    state: Mapping[str, str]
    ttl: int
    now: float

    def run(self, store: SessionStore) -> str | None:
        """Execute on a sync store."""
        return store.save(self.key, self.state, ttl=self.ttl, now=self.now)

    async def run_async(self, store: AsyncSessionStore) -> str | None:
        """Execute on an async store."""
        return await store.save(self.key, self.state, ttl=self.ttl, now=self.now)


class Update(NamedTuple):
    """Apply ``delta`` to the live session ``key``; the result is its key or ``None``."""

    key: str
    state: Mapping[str, str]
    delta: Delta
    ttl: int
    now: float

    def run(self, store: SessionStore) -> str | None:
        """Execute on a sync store."""
        return store.update(self.key, self.state, self.delta, ttl=self.ttl, now=self.now)

    async def run_async(self, store: AsyncSessionStore) -> str | None:
        """Execute on an async store."""
        return await store.update(self.key, self.state, self.delta, ttl=self.ttl, now=self.now)


class UpdateTtl(NamedTuple):
    """Move the expiry of session ``key``; the result is its key or ``None``."""

    key: str
    ttl: int
    now: float

    def run(self, store: SessionStore) -> str | None:
        """Execute on a sync store."""
        return store.update_ttl(self.key, ttl=self.ttl, now=self.now)

    async def run_async(self, store: AsyncSessionStore) -> str | None:
        """Execute on an async store."""
        return await store.update_ttl(self.key, ttl=self.ttl, now=self.now)


class Delete(NamedTuple):
    """Remove session ``key``; the result is ``None``."""

    key: str

    def run(self, store: SessionStore) -> None:
        """Execute on a sync store."""
        store.delete(self.key)

    async def run_async(self, store: AsyncSessionStore) -> None:
        """Execute on an async store."""
        await store.delete(self.key)


Command = Load | Save | Update | UpdateTtl | Delete
"""Any of the five store commands."""
