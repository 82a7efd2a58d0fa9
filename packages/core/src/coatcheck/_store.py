"""The store protocols: what a server-side session store is asked to do, and answers.

A store only does I/O. It never decides when a session is created, extended, renewed or
deleted: the core's exchange hands it one command at a time. Every method gets the
serialized state (``Mapping[str, str]``, one text per session key, produced by the
configured serializer) and the request's clock reading ``now`` (seconds since the epoch),
so a store without a clock of its own (memory) expires sessions deterministically. Stores
with a clock of their own (Redis) may ignore ``now`` and use ``ttl`` alone.

Contract, for every store (`coatcheck_testing.check_store` checks it):

- ``load(key, now=)`` returns the session's `StoredState`, or ``None`` when the store has
  nothing usable under ``key``: missing, expired (``now >= expires_at``) or unreadable
  data. Garbage is "no session", never an exception.
- ``save(key, state, ttl=, now=)`` creates a session under the fresh ``key`` the core drew,
  only if that key is free: true when saved, false when "taken" (the core retries with
  another key).
- ``update(key, state, delta, ttl=, now=)`` applies ``delta`` (keys set and removed;
  ``state`` is the full result, for stores that cannot apply a delta) and moves the
  expiry to ``now + ttl``, only if the session still exists: true when applied, false
  when the session vanished. It never recreates a missing session: the core then drops
  the request's changes and removes the cookie (a deleted session stays deleted).
- ``update_ttl(key, ttl=, now=)`` moves the expiry without touching the state; false when
  the session vanished.
- ``delete(key)`` removes the session; deleting a missing session is not an error.

Any exception a store raises is reported as `SessionStoreError`. (Stores written for
coatcheck 0.1, whose ``save``/``update``/``update_ttl`` return the key or ``None``, keep
working: any true value means success.)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Protocol, runtime_checkable

from ._cookie_store import CookieStore

__all__ = [
    "AnyStore",
    "AsyncSessionStore",
    "Delta",
    "Forwarded",
    "SessionStore",
    "StoredState",
    "is_async_store",
    "performs_io",
    "state_in_cookie",
]


class StoredState(NamedTuple):
    """What `load` returns: the serialized state and when it expires (if the store knows).

    ``forward`` is empty, unless the key loaded was renewed moments ago and the store
    followed its forwarding record (see `coatcheck.sansio` ``Renew``): then the state is
    the successor's and ``forward`` holds the sealed pointers followed, in order.
    """

    state: Mapping[str, str]
    expires_at: float | None = None
    forward: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # The texts are session data: a repr reaches logs and tracebacks.
        hops = f", <forwarded {len(self.forward)}>" if self.forward else ""
        return f"StoredState(<{len(self.state)} keys>, expires_at={self.expires_at!r}{hops})"


class Forwarded(NamedTuple):
    """What `update` and `update_ttl` return when ``key`` was renewed moments ago: the
    change went to the successor, whose sealed pointers (followed in order) are
    ``chain``. Always true, so a caller that only checks success sees success."""

    chain: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Forwarded(<{len(self.chain)} hops>)"


_NO_CHANGES: Mapping[str, str] = MappingProxyType({})


class Delta(NamedTuple):
    """The change an `update` applies: keys set to new serialized values, keys removed."""

    changed: Mapping[str, str] = _NO_CHANGES
    removed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.changed) or bool(self.removed)

    def __repr__(self) -> str:
        return f"Delta(changed={sorted(self.changed)!r}, removed={sorted(self.removed)!r})"


@runtime_checkable
class SessionStore(Protocol):
    """A synchronous session store. See the module documentation for the contract."""

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key``, or ``None`` if missing, expired or unreadable."""
        ...

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> bool:
        """Create a session under the fresh ``key``; false if the key is taken."""
        ...

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Apply ``delta`` and move the expiry; false if the session vanished."""
        ...

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Move the expiry; false if the session vanished."""
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

    async def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> bool:
        """Create a session under the fresh ``key``; false if the key is taken."""
        ...

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Apply ``delta`` and move the expiry; false if the session vanished."""
        ...

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Move the expiry; false if the session vanished."""
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


def state_in_cookie(store: object) -> bool:
    """True for `CookieStore`: the state travels in the cookie and no command is sent."""
    return bool(getattr(store, "state_in_cookie", False))


AnyStore = SessionStore | AsyncSessionStore | CookieStore
"""Where sessions live: a sync or async server-side store, or the cookie itself."""
