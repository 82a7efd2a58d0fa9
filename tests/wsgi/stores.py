"""Stores for the WSGI tests: the shared counting store, and an async store to refuse."""

from __future__ import annotations

from collections.abc import Mapping

from coatcheck import Delta, StoredState
from tests.support.stores import CountingStore, StoreFailure

__all__ = ["AsyncMemoryStore", "CountingStore", "StoreFailure"]


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
