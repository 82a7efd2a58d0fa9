"""`AsyncStoreWrapper`: a sync store behind the async protocol, for exercising async paths."""

from __future__ import annotations

from collections.abc import Mapping

from .. import Delta, SessionStore, StoredState

__all__ = ["AsyncStoreWrapper"]


class AsyncStoreWrapper:
    """Presents a `SessionStore` as an `AsyncSessionStore` (each call runs inline).

    Handy for running `AsyncStoreConformance`, the lifecycle machine's async path or an
    ASGI adapter's I/O-store path against `MemoryStore` without a server. ``store`` is the
    wrapped store; it reports ``performs_io`` as True, like a real async store.
    """

    performs_io = True

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    async def load(self, key: str, *, now: float) -> StoredState | None:
        """`SessionStore.load` of the wrapped store."""
        return self.store.load(key, now=now)

    async def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """`SessionStore.save` of the wrapped store."""
        return self.store.save(key, state, ttl=ttl, now=now)

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """`SessionStore.update` of the wrapped store."""
        return self.store.update(key, state, delta, ttl=ttl, now=now)

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """`SessionStore.update_ttl` of the wrapped store."""
        return self.store.update_ttl(key, ttl=ttl, now=now)

    async def delete(self, key: str) -> None:
        """`SessionStore.delete` of the wrapped store."""
        self.store.delete(key)

    def __repr__(self) -> str:
        return f"AsyncStoreWrapper({self.store!r})"
