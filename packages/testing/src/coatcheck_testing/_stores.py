"""Store doubles: a recording, failing, slow wrapper and an async view of a sync store.

They wrap a real store (by default a fresh `coatcheck.MemoryStore`) instead of faking one,
so what they answer is what a store answers; they only add what a test needs to see or
to break.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from coatcheck import Delta, Forwarded, MemoryStore, SessionMeta, SessionStore, StoredState

__all__ = ["AsyncStoreWrapper", "RecordingStore", "StoreFailure"]

# The optional methods of the account layer (see coatcheck._accounts): a wrapper has one
# exactly when the store it wraps does, so the core detects the same capabilities.
_ACCOUNT_METHODS = frozenset(
    {"renew", "cap", "list_sessions", "revoke", "revoke_all", "count_sessions"}
)


def _saved(
    store: Any,
    key: str,
    state: Mapping[str, str],
    ttl: int,
    now: float,
    meta: SessionMeta | None,
) -> Any:
    if meta is None:
        return store.save(key, state, ttl=ttl, now=now)
    return store.save(key, state, ttl=ttl, now=now, meta=meta)


class StoreFailure(ConnectionError):
    """What `RecordingStore` raises for the methods named in ``fail_on`` (a lost link)."""


class RecordingStore:
    """A sync store that records every call, and fails or blocks on demand.

    ``inner`` is the wrapped store (default: a new `MemoryStore`). ``calls`` lists
    ``(method, key)`` in order, ``counts`` tallies them and ``deltas`` keeps each
    `update`'s delta; ``threads`` holds the id of the thread of every call. The account
    methods (``renew``, ``cap``, the index) are recorded and passed on when the wrapped
    store has them (the key recorded is then the first argument: a key or a subject). ``fail_on``
    names methods that raise `StoreFailure` (change it between requests), ``delay``
    makes every call block that long, like a network round trip. ``performs_io`` is what
    adapters see: True makes them treat it as an I/O store (loaded up front, or off the
    event loop), False as an inline one.
    """

    def __init__(
        self,
        inner: SessionStore | None = None,
        *,
        performs_io: bool = True,
        fail_on: set[str] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.inner: SessionStore = MemoryStore() if inner is None else inner
        self.performs_io = performs_io
        self.fail_on: set[str] = set() if fail_on is None else fail_on
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self.deltas: list[Delta] = []
        self.threads: list[int] = []

    @property
    def counts(self) -> Counter[str]:
        """How often each method was called."""
        return Counter(method for method, _ in self.calls)

    @property
    def methods(self) -> list[str]:
        """The methods called, in order."""
        return [method for method, _ in self.calls]

    def clear(self) -> None:
        """Forget the calls recorded so far (the stored sessions stay)."""
        self.calls.clear()
        self.deltas.clear()
        self.threads.clear()

    def _call(self, method: str, key: str) -> None:
        self.calls.append((method, key))
        self.threads.append(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        if method in self.fail_on:
            raise StoreFailure(f"store down during {method} (on purpose)")

    def load(self, key: str, *, now: float) -> StoredState | None:
        """Record, then load from the wrapped store."""
        self._call("load", key)
        return self.inner.load(key, now=now)

    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        """Record, then save into the wrapped store."""
        self._call("save", key)
        return bool(_saved(self.inner, key, state, ttl, now, meta))

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Record (the delta too), then update the wrapped store."""
        self._call("update", key)
        self.deltas.append(delta)
        return self.inner.update(key, state, delta, ttl=ttl, now=now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Record, then move the expiry in the wrapped store."""
        self._call("update_ttl", key)
        return self.inner.update_ttl(key, ttl=ttl, now=now)

    def delete(self, key: str) -> None:
        """Record, then delete from the wrapped store."""
        self._call("delete", key)
        self.inner.delete(key)

    def __getattr__(self, name: str) -> Any:
        if name not in _ACCOUNT_METHODS:
            raise AttributeError(name)
        method = getattr(self.inner, name)

        def recorded(first: object, *args: Any, **kwargs: Any) -> Any:
            self._call(name, str(first))
            return method(first, *args, **kwargs)

        return recorded

    def __repr__(self) -> str:
        return f"RecordingStore({self.inner!r}, <{len(self.calls)} calls>)"


class AsyncStoreWrapper:
    """Presents a `SessionStore` as an `AsyncSessionStore`.

    Handy for running the async store checks, the lifecycle machine's async path or an
    ASGI adapter's async-store path against `MemoryStore` without a server. ``store`` is
    the wrapped store (wrap a `RecordingStore` to count or break calls). Each call runs
    inline; with ``checkpoint`` (an awaitable factory such as ``anyio.lowlevel.checkpoint``)
    it first yields to the event loop, as a real network store does. It reports
    ``performs_io`` as True, like a real async store.
    """

    performs_io = True

    def __init__(
        self,
        store: SessionStore | None = None,
        *,
        checkpoint: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.store: SessionStore = MemoryStore() if store is None else store
        self._checkpoint = checkpoint

    async def _yield(self) -> None:
        if self._checkpoint is not None:
            await self._checkpoint()

    async def load(self, key: str, *, now: float) -> StoredState | None:
        """`SessionStore.load` of the wrapped store."""
        await self._yield()
        return self.store.load(key, now=now)

    async def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        """`SessionStore.save` of the wrapped store."""
        await self._yield()
        return bool(_saved(self.store, key, state, ttl, now, meta))

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """`SessionStore.update` of the wrapped store."""
        await self._yield()
        return self.store.update(key, state, delta, ttl=ttl, now=now)

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """`SessionStore.update_ttl` of the wrapped store."""
        await self._yield()
        return self.store.update_ttl(key, ttl=ttl, now=now)

    async def delete(self, key: str) -> None:
        """`SessionStore.delete` of the wrapped store."""
        await self._yield()
        self.store.delete(key)

    def __getattr__(self, name: str) -> Any:
        # The account methods of the wrapped store, as coroutines, when it has them.
        if name not in _ACCOUNT_METHODS:
            raise AttributeError(name)
        method = getattr(self.store, name)

        async def awaited(*args: Any, **kwargs: Any) -> Any:
            await self._yield()
            return method(*args, **kwargs)

        return awaited

    def __repr__(self) -> str:
        return f"AsyncStoreWrapper({self.store!r})"
