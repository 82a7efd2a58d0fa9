"""The store protocols: what a session store is asked to do, and what it answers.

A store only does I/O. It never decides when a session is created, extended, renewed or
deleted: the core's exchange hands it one command at a time. Every method gets the
serialized state (``Mapping[str, str]``, one text per session key, produced by the
configured serializer) and the request's clock reading ``now`` (seconds since the epoch),
so a store without a clock of its own (memory, cookie) expires sessions deterministically.
Stores with a clock of their own (Redis) may ignore ``now`` and use ``ttl`` alone.

Contract, for every store:

- ``load(key, now=)`` returns the session's `StoredState`, or ``None`` when the store has
  nothing usable under ``key``: missing, expired (``now >= expires_at``) or unreadable
  data. Garbage is "no session", never an exception.
- ``save(key, state, ttl=, now=)`` creates a session under the fresh ``key`` the core
  drew, only if that key is free, and returns the session key to put in the cookie;
  ``None`` means "taken", and the core retries with another key.
- ``update(key, state, delta, ttl=, now=)`` applies ``delta`` (keys set and removed; ``state``
  is the full result, for stores that cannot apply a delta) and moves the expiry to
  ``now + ttl``, only if the session still exists; it returns the session key (the same
  one, or a new one if the store's key encodes the state), or ``None`` when the session
  vanished, and the core then saves the full state under a new key.
- ``update_ttl(key, ttl=, now=)`` moves the expiry without touching the state; ``None``
  when the session vanished.
- ``delete(key)`` removes the session; deleting a missing session is not an error.

Any exception a store raises is reported as `SessionStoreError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "AsyncSessionStore",
    "Delta",
    "SessionStore",
    "StoredState",
    "is_async_store",
    "performs_io",
]


class StoredState(NamedTuple):
    """What `load` returns: the serialized state and when it expires (if the store knows)."""

    state: Mapping[str, str]
    expires_at: float | None = None


_NO_CHANGES: Mapping[str, str] = MappingProxyType({})


class Delta(NamedTuple):
    """The change an `update` applies: keys set to new serialized values, keys removed."""

    changed: Mapping[str, str] = _NO_CHANGES
    removed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.changed) or bool(self.removed)


@runtime_checkable
class SessionStore(Protocol):
    """A synchronous session store. See the module documentation for the contract."""

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key``, or ``None`` if missing, expired or unreadable."""
        ...

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """Create a session under the fresh ``key``; ``None`` if the key is taken."""
        ...

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """Apply ``delta`` and move the expiry; ``None`` if the session vanished."""
        ...

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """Move the expiry; ``None`` if the session vanished."""
        ...

    def delete(self, key: str) -> None:
        """Remove the session (missing is fine)."""
        ...


@runtime_checkable
class AsyncSessionStore(Protocol):
    """The asynchronous twin of `SessionStore`, with the same contract."""

    async def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key``, or ``None`` if missing, expired or unreadable."""
        ...

    async def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """Create a session under the fresh ``key``; ``None`` if the key is taken."""
        ...

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """Apply ``delta`` and move the expiry; ``None`` if the session vanished."""
        ...

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """Move the expiry; ``None`` if the session vanished."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the session (missing is fine)."""
        ...


def is_async_store(store: object) -> bool:
    """True if ``store`` implements `AsyncSessionStore` (its ``load`` is a coroutine)."""
    return inspect.iscoroutinefunction(getattr(store, "load", None))


def performs_io(store: object) -> bool:
    """True unless the store declares ``performs_io = False`` (cookie and memory stores).

    Adapters call stores that do no I/O inline, on first access to the session; stores
    that do I/O are run off the event loop or loaded up front.
    """
    return bool(getattr(store, "performs_io", True))
