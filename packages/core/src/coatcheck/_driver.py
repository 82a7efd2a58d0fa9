"""The drivers: the loop "next command, run it on the store, feed the result back".

They are the only place the core calls a store, and the sync and async versions are
mirror images. Adapters call them at two moments: to load (before the application runs,
or on the session's first use) and to commit (after `Exchange.finish`).
"""

from __future__ import annotations

from typing import Any, Protocol

from ._commands import Command
from ._cookie_store import CookieStore
from ._errors import SessionStoreError
from ._store import AsyncSessionStore, SessionStore

__all__ = ["CommandSource", "run_commands", "run_commands_async", "run_one"]


class CommandSource(Protocol):
    """What a driver needs of an exchange."""

    def next_command(self) -> Command | None:
        """The next store command, or ``None`` when there is nothing to do now."""
        ...

    def receive(self, result: Any) -> None:
        """Feed the result of the command handed out last."""
        ...

    def fail(self, command: Command, error: BaseException) -> SessionStoreError:
        """Report that the store raised ``error``; returns the error to raise."""
        ...


def run_one(exchange: CommandSource, store: SessionStore, command: Command) -> None:
    """Run one command the exchange handed out on a sync store and feed its result back.

    Raises `SessionStoreError` (logged once) if the store fails.
    """
    try:
        result = command.run(store)
    except Exception as exc:
        raise exchange.fail(command, exc) from exc
    exchange.receive(result)


def run_commands(exchange: CommandSource, store: SessionStore | CookieStore) -> None:
    """Run every command the exchange has for now against a sync store.

    With `CookieStore` there is never a command (the state travels in the cookie): the
    loop then only unseals the state, when that is due. Raises `SessionStoreError`
    (logged once) if the store fails.
    """
    while (command := exchange.next_command()) is not None:
        assert not isinstance(store, CookieStore)
        run_one(exchange, store, command)


async def run_commands_async(exchange: CommandSource, store: AsyncSessionStore) -> None:
    """Run every command the exchange has for now against an async store.

    Raises `SessionStoreError` (logged once) if the store fails.
    """
    while (command := exchange.next_command()) is not None:
        try:
            result = await command.run_async(store)
        except Exception as exc:
            raise exchange.fail(command, exc) from exc
        exchange.receive(result)
