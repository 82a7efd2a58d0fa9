"""Calling a store's session index from async code, whatever kind of store it is.

`coatcheck.SessionIndex` methods are plain calls on a sync store and coroutines on an
async one (`coatcheck.AsyncSessionIndex`); a sync store that does I/O (SQLite, the sync
Redis store) must not block the event loop, so it runs in a worker thread.
"""

from __future__ import annotations

import functools
from typing import Any

import anyio.to_thread

from coatcheck.sansio import is_async_store, performs_io

__all__ = ["index_call"]


async def index_call(store: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call the store's index method ``method``: awaited (async stores), in a worker
    thread (sync stores that do I/O) or inline (`coatcheck.MemoryStore`)."""
    function = getattr(store, method)
    if is_async_store(store):
        return await function(*args, **kwargs)
    if performs_io(store):
        return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))
    return function(*args, **kwargs)
