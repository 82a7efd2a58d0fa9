"""Small fixtures for the core's unit tests: keys, a manager on the kit's clock, one browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coatcheck import (
    AsyncSessionStore,
    CookieStore,
    Key,
    Session,
    SessionConfig,
    SessionManager,
    SessionStore,
)
from coatcheck.sansio import Exchange, run_commands
from coatcheck_testing import START, Clock, DeterministicTokens, RecordingStore, cookie_value

__all__ = [
    "INSECURE",
    "KEY",
    "OLD_KEY",
    "START",
    "Client",
    "Clock",
    "RecordingStore",
    "manager",
]

KEY = Key.from_bytes(bytes(range(64)))
OLD_KEY = Key.from_bytes(bytes(range(64, 128)))
INSECURE = SessionConfig(cookie_secure=False)

AnyStore = SessionStore | CookieStore


class Client:
    """A browser with one cookie, driving requests through a manager and a store."""

    def __init__(self, manager: SessionManager, store: AnyStore) -> None:
        assert isinstance(store, CookieStore) is manager.settings.state_in_cookie, (
            "the manager was built for another kind of store"
        )
        self.manager = manager
        self.store = store
        self.cookie: str | None = None
        self.last: Exchange | None = None

    @property
    def header(self) -> str | None:
        if self.cookie is None:
            return None
        return f"{self.manager.config.cookie_name}={self.cookie}"

    def request(
        self,
        handler: Callable[[Session], Any] = lambda session: None,
        *,
        status: int | None = None,
        user_agent: str | None = None,
    ) -> Exchange:
        store = self.store
        exchange = self.manager.begin(self.header, user_agent=user_agent)
        if not isinstance(store, CookieStore):
            exchange.load_inline(store)
        handler(exchange.session)
        if exchange.finish(status):
            run_commands(exchange, store)
        self.last = exchange
        header = exchange.set_cookie
        if header is not None:
            self.cookie = cookie_value(header) or None
        return exchange


def manager(
    config: SessionConfig = INSECURE,
    *,
    store: AnyStore | AsyncSessionStore | None = None,
    clock: Clock | None = None,
    keys: tuple[Key, ...] = (KEY,),
) -> SessionManager:
    """A manager on a fresh kit clock and deterministic tokens (``store``: a memory store)."""
    return SessionManager(
        key=keys,
        store=RecordingStore(performs_io=False) if store is None else store,
        config=config,
        now=clock or Clock(),
        token=DeterministicTokens(),
    )
