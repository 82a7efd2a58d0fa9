"""`SharedStores`: the store each app talks to, both holding the same sessions.

Flask runs in worker threads and needs a synchronous store; FastAPI runs on the event loop
and awaits an asynchronous one. With Redis they are `RedisStore` and `AsyncRedisStore` on
the same server and key prefix (two clients, one set of sessions). Without Redis, for a
demo on one machine, both sides get the same `MemoryStore` object: it is safe to share
between threads, and it only works because both apps run in one process.
"""

from __future__ import annotations

from dataclasses import dataclass

from coatcheck import AsyncSessionStore, MemoryStore, SessionStore
from coatcheck_redis import AsyncRedisStore, RedisStore

__all__ = ["SharedStores", "memory_stores", "redis_stores"]


@dataclass(frozen=True)
class SharedStores:
    """The Flask side's synchronous store and the FastAPI side's store."""

    pages: SessionStore
    """The store the Flask pages use (synchronous)."""
    api: SessionStore | AsyncSessionStore
    """The store the FastAPI API uses (asynchronous, or the very same in-process store)."""

    async def aclose(self) -> None:
        """Close the Redis clients (nothing to do for an in-process store)."""
        if isinstance(self.api, AsyncRedisStore):
            await self.api.aclose()
        if isinstance(self.pages, RedisStore):
            self.pages.close()


def redis_stores(url: str, *, key_prefix: str = "session:") -> SharedStores:
    """A `RedisStore` and an `AsyncRedisStore` on ``url``, with the same ``key_prefix``."""
    return SharedStores(
        pages=RedisStore.from_url(url, key_prefix=key_prefix),
        api=AsyncRedisStore.from_url(url, key_prefix=key_prefix),
    )


def memory_stores() -> SharedStores:
    """One `MemoryStore` for both apps: a single process only, for a demo."""
    store = MemoryStore()
    return SharedStores(pages=store, api=store)
