"""Calling a sync and an async store through one code path, so tests cover both."""

from __future__ import annotations

import inspect
from typing import Any

from coatcheck_redis import AsyncRedisStore, RedisStore


async def call(result: Any) -> Any:
    """The result of a sync store call, or the awaited result of an async one."""
    if inspect.isawaitable(result):
        return await result
    return result


def store_from_url(flavour: str, url: str, **kwargs: Any) -> RedisStore | AsyncRedisStore:
    """``RedisStore.from_url`` for ``"sync"``, ``AsyncRedisStore.from_url`` for ``"async"``."""
    if flavour == "sync":
        return RedisStore.from_url(url, **kwargs)
    return AsyncRedisStore.from_url(url, **kwargs)


async def close(store: RedisStore | AsyncRedisStore) -> None:
    """Close either kind of store."""
    if isinstance(store, AsyncRedisStore):
        await store.aclose()
    else:
        store.close()
