"""A store for adapter tests: a `MemoryStore` that counts its calls and fails on demand."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping

from coatcheck import Delta, MemoryStore, StoredState


class StoreFailure(ConnectionError):
    """What `CountingStore` raises for the methods in ``fail_on`` (a lost connection)."""


class CountingStore:
    """A sync store that does I/O as far as adapters know: it counts and may fail.

    Backed by a `MemoryStore`. ``fail_on`` names methods that raise `StoreFailure` (it may
    be changed between requests); ``delay`` makes every call block that long, like a
    network round trip.
    """

    performs_io = True

    def __init__(self, *, fail_on: set[str] | None = None, delay: float = 0.0) -> None:
        self.inner = MemoryStore()
        self.calls: Counter[str] = Counter()
        self.fail_on: set[str] = fail_on or set()
        self.delay = delay

    @property
    def total(self) -> int:
        """Calls of any method so far."""
        return sum(self.calls.values())

    def _call(self, method: str) -> None:
        self.calls[method] += 1
        if self.delay:
            time.sleep(self.delay)
        if method in self.fail_on:
            raise StoreFailure(f"store down during {method} (on purpose)")

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
