"""Stores for the WSGI tests: a memory store that counts its calls, and can fail on demand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from coatcheck import Delta, MemoryStore, StoredState


class StoreDown(ConnectionError):
    """What a failing store raises (stands in for a lost connection)."""


class CountingStore:
    """A `MemoryStore` that counts every call by method and fails the methods in ``fail_on``.

    It declares ``performs_io`` like a network store would, so nothing treats it as a
    free in-process store.
    """

    performs_io = True

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.calls: Counter[str] = Counter()
        self.fail_on: set[str] = set()

    @property
    def total(self) -> int:
        """Calls of any method so far."""
        return sum(self.calls.values())

    def _call(self, method: str) -> None:
        self.calls[method] += 1
        if method in self.fail_on:
            raise StoreDown(f"store down during {method}")

    def load(self, key: str, *, now: float) -> StoredState | None:
        self._call("load")
        return self.inner.load(key, now=now)

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        self._call("save")
        return self.inner.save(key, state, ttl=ttl, now=now)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        self._call("update")
        return self.inner.update(key, state, delta, ttl=ttl, now=now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        self._call("update_ttl")
        return self.inner.update_ttl(key, ttl=ttl, now=now)

    def delete(self, key: str) -> None:
        self._call("delete")
        self.inner.delete(key)


class AsyncMemoryStore:
    """An asynchronous store (never awaited here: the adapters must refuse it)."""

    async def load(self, key: str, *, now: float) -> StoredState | None:
        return None

    async def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        return key

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        return key

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        return key

    async def delete(self, key: str) -> None:
        return None
