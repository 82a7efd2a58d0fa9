"""The two drivers: the loop "next command, run it on the store, feed the result back".

They are the only place the core calls a store, and the sync and async versions are
mirror images. Adapters call them at two moments: to load (before the application runs,
or on the session's first use) and to commit (after `Exchange.finish`).
"""

from __future__ import annotations

from ._exchange import Exchange
from ._store import AsyncSessionStore, SessionStore

__all__ = ["load_on_first_access", "run_commands", "run_commands_async"]


def run_commands(exchange: Exchange, store: SessionStore) -> None:
    """Run every command the exchange has for now against a sync store.

    Raises `SessionStoreError` (logged once) if the store fails.
    """
    while (command := exchange.next_command()) is not None:
        try:
            result = command.run(store)
        except Exception as exc:
            raise exchange.fail(command, exc) from exc
        exchange.receive(result)


async def run_commands_async(exchange: Exchange, store: AsyncSessionStore) -> None:
    """Run every command the exchange has for now against an async store.

    Raises `SessionStoreError` (logged once) if the store fails.
    """
    while (command := exchange.next_command()) is not None:
        try:
            result = await command.run_async(store)
        except Exception as exc:
            raise exchange.fail(command, exc) from exc
        exchange.receive(result)


def load_on_first_access(exchange: Exchange, store: SessionStore) -> None:
    """Load the session from a sync store, inline, when it is first used.

    For stores that do no I/O (`CookieStore`, `MemoryStore`) in any adapter, and for
    every sync store under WSGI, where the request's thread may block. The same as
    `Exchange.load_inline`.
    """
    exchange.load_inline(store)
