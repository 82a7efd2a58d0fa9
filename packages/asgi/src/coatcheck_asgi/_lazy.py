"""Lazy loading: ``SessionMiddleware(lazy=True)`` and `load_session`.

With an I/O store the middleware normally loads the session before the application runs.
In lazy mode it loads nothing: the request's scope carries a `LazyLoad` and the session
refuses to be used until ``await load_session(request)`` has run, so a request that never
needs the session costs no store round trip at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

import anyio

from coatcheck import Session, SessionNotLoadedError, SessionStoreError
from coatcheck.sansio import Exchange

from ._store_mode import CommandRunner

__all__ = ["LAZY_SCOPE_KEY", "HasScope", "LazyLoad", "load_session", "refuse_unloaded"]

LAZY_SCOPE_KEY = "coatcheck.lazy"
"""The scope key holding the request's `LazyLoad` (lazy mode only)."""


class HasScope(Protocol):
    """Anything with an ASGI ``scope``, such as Starlette's ``Request`` and ``WebSocket``."""

    @property
    def scope(self) -> Mapping[str, Any]:
        """The connection scope."""
        ...


def refuse_unloaded() -> None:
    """The session's loader in lazy mode: explain how to load it."""
    raise SessionNotLoadedError(
        "the session is loaded lazily (SessionMiddleware(lazy=True)) and was used before "
        "it was loaded: call `await coatcheck_asgi.load_session(request)` first (or use "
        "lazy=False to load it before every request)"
    )


class LazyLoad:
    """One request's pending load: runs the store's ``Load`` once, however often asked.

    The common case, one caller, takes no lock (an anyio lock would cost a trip through
    the event loop); a second task asking while the load is in flight waits for it.
    """

    __slots__ = ("_busy", "_done", "_failure", "_loaded", "_run", "exchange")

    def __init__(self, run: CommandRunner, exchange: Exchange) -> None:
        self._run = run
        self.exchange = exchange
        self._loaded = False
        self._busy = False
        self._done: anyio.Event | None = None
        self._failure: SessionStoreError | None = None

    async def load(self) -> None:
        """Load the session unless that is done; re-raise a store failure on every call."""
        while True:
            if self._loaded:
                return
            if self._failure is not None:
                raise self._failure
            if not self._busy:
                break
            if self._done is None:
                self._done = anyio.Event()
            await self._done.wait()
        self._busy = True
        try:
            # Also after the response started (a background task reading the session).
            self.exchange.request_load()
            await self._run(self.exchange)
            self._loaded = True
        except SessionStoreError as error:
            self._failure = error
            raise
        finally:
            self._busy = False
            done, self._done = self._done, None
            if done is not None:
                done.set()


async def load_session(request_or_scope: HasScope | Mapping[str, Any]) -> Session:
    """Load the request's session from the store (if needed) and return it.

    Pass a Starlette/FastAPI ``Request`` or ``WebSocket``, or the ASGI scope itself. In lazy
    mode this is the one call that reads the store; everywhere else it is a cheap no-op
    (the session was loaded before the app ran, or loads on first access), so code can
    call it unconditionally. Raises `coatcheck.SessionStoreError` if the store fails:
    left unhandled, the middleware turns it into a 500 (or the ``on_error`` response).
    """
    found = getattr(request_or_scope, "scope", None)
    scope = cast(Mapping[str, Any], request_or_scope if found is None else found)
    session = scope.get("session")
    if not isinstance(session, Session):
        raise RuntimeError(
            "no coatcheck session in this scope: is coatcheck_asgi.SessionMiddleware "
            "installed around this application?"
        )
    lazy = scope.get(LAZY_SCOPE_KEY)
    # An inner middleware may have replaced the session: only load the one in the scope.
    if isinstance(lazy, LazyLoad) and lazy.exchange.session is session:
        await lazy.load()
    return session
