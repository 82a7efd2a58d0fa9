"""How the middleware runs a store's commands, decided once per store.

- `coatcheck.CookieStore`: the state travels in the cookie; there are no commands, and
  the session unseals itself on first access.
- An async store (`coatcheck.AsyncSessionStore`) is awaited on the event loop.
- A sync store that does no I/O (``performs_io = False``: `MemoryStore`) is called
  inline; the session loads on first access.
- Any other sync store (SQLite, a sync Redis client, ...) would block the event loop, so
  its commands run in a worker thread through anyio. The first command is asked for on the
  loop (deciding it is pure computation, and usually there is none: no cookie, nothing
  to load), so only requests that really need the store pay for the thread hop.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import cast

import anyio.to_thread

from coatcheck import AsyncSessionStore, SessionStore
from coatcheck.sansio import (
    AnyStore,
    Command,
    Exchange,
    is_async_store,
    performs_io,
    run_commands,
    run_commands_async,
    run_one,
    state_in_cookie,
)

__all__ = ["AnyStore", "CommandRunner", "StoreMode", "command_runner", "store_mode"]

CommandRunner = Callable[[Exchange], Awaitable[None]]
"""Runs every command an exchange has for now against the store (see `command_runner`)."""


class StoreMode(enum.Enum):
    """Where a store's commands run."""

    COOKIE = "cookie"
    """Nowhere: the state travels in the cookie."""
    ASYNC = "async"
    """Awaited on the event loop."""
    INLINE = "inline"
    """Called on the event loop: the store does no I/O."""
    THREAD = "thread"
    """Called in a worker thread: a sync store that does I/O."""

    @property
    def loads_on_first_access(self) -> bool:
        """Whether the session loads itself when first used (no store wait to schedule)."""
        return self is StoreMode.COOKIE or self is StoreMode.INLINE


def store_mode(store: object) -> StoreMode:
    """Classify ``store``; a `TypeError` if it is not a session store at all."""
    if state_in_cookie(store):
        return StoreMode.COOKIE
    if is_async_store(store):
        return StoreMode.ASYNC
    if not isinstance(store, SessionStore):
        raise TypeError(
            f"store must be a coatcheck CookieStore, SessionStore or AsyncSessionStore (with "
            f"load, save, update, update_ttl and delete methods), got {store!r}"
        )
    return StoreMode.THREAD if performs_io(store) else StoreMode.INLINE


def _run_from(exchange: Exchange, store: SessionStore, command: Command) -> None:
    """Run ``command`` and then the rest of the exchange's commands (in a worker thread)."""
    run_one(exchange, store, command)
    run_commands(exchange, store)


def command_runner(store: AnyStore, mode: StoreMode) -> CommandRunner:
    """The coroutine function that runs an exchange's pending commands on ``store``.

    It raises `coatcheck.SessionStoreError` (already logged by the core) if the store
    fails, and lets the application's own mistakes (`coatcheck.SessionTooLarge`,
    `coatcheck.SessionSerializationError`) through.
    """
    if mode is StoreMode.ASYNC:
        async_store = cast(AsyncSessionStore, store)

        async def drive_async(exchange: Exchange) -> None:
            await run_commands_async(exchange, async_store)

        return drive_async

    if mode is StoreMode.COOKIE:

        async def drive_nothing(exchange: Exchange) -> None:
            exchange.next_command()  # unseals the state: there is never a command

        return drive_nothing

    sync_store = cast(SessionStore, store)
    if mode is StoreMode.INLINE:

        async def drive_inline(exchange: Exchange) -> None:
            run_commands(exchange, sync_store)

        return drive_inline

    async def drive_in_thread(exchange: Exchange) -> None:
        command = exchange.next_command()
        if command is not None:
            await anyio.to_thread.run_sync(_run_from, exchange, sync_store, command)

    return drive_in_thread
