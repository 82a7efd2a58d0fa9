"""Clients: how a test (or the lifecycle machine) sends one request through the code under test.

A client takes the request path, the ``Cookie`` header the browser sends and the
application's handler (a function of the `Session`, or ``None`` for a request that never
touches the session) and returns the response's ``Set-Cookie`` values and whether it
varies on ``Cookie``. A handler may return the response's status code (``None``: 200);
a client that answers with it lets the machine check server errors. `ExchangeClient`
and `AsyncExchangeClient` drive the core's exchange directly, the way an adapter does; to
test an adapter or your own framework glue, write a client that sends the request
through it instead (see the testing guide).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

from coatcheck import AsyncSessionStore, CookieStore, Session, SessionManager, SessionStore
from coatcheck.sansio import Exchange, run_commands, run_commands_async

__all__ = ["AsyncExchangeClient", "Client", "ExchangeClient", "Handler", "Response"]


Handler = Callable[[Session], "int | None"]
"""The application's part of a request: it reads and changes the session, and may return
the response's status code (``None``: 200)."""


class Response(NamedTuple):
    """What the browser and the machine need from a response."""

    set_cookies: tuple[str, ...]
    """Every ``Set-Cookie`` header value, in order."""
    vary: bool
    """Whether the ``Vary`` header names ``Cookie``."""


class Client(Protocol):
    """Sends one request through the code under test."""

    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        """Run ``handler`` as the application of a request to ``path``; ``None``: untouched."""
        ...

    def close(self) -> None:
        """Release what the client holds; called once when the machine stops."""
        ...


def _response(exchange: Exchange) -> Response:
    cookies = () if exchange.set_cookie is None else (exchange.set_cookie,)
    return Response(cookies, exchange.vary)


class ExchangeClient:
    """Drives `SessionManager.begin` and the sync driver against a sync store.

    By default the store is read on the session's first use, as the WSGI adapter does;
    ``eager=True`` reads it before the handler runs, as the ASGI adapter does for stores
    that perform I/O.
    """

    def __init__(
        self, manager: SessionManager, store: SessionStore | CookieStore, *, eager: bool = False
    ):
        self.manager = manager
        self.store = store
        self.eager = eager

    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        """One request: begin, load, run the handler, finish, commit."""
        store = self.store
        exchange = self.manager.begin(cookie_header)
        if self.eager:
            run_commands(exchange, store)
        elif not isinstance(store, CookieStore):
            exchange.load_inline(store)
        status = None if handler is None else handler(exchange.session)
        if exchange.finish(status):
            run_commands(exchange, store)
        return _response(exchange)

    def close(self) -> None:
        """Nothing to release."""


class AsyncExchangeClient:
    """Drives the exchange and the async driver against an `AsyncSessionStore`.

    ``run`` runs an awaitable to completion (the machine's event loop). A request whose
    handler touches the session loads it before the handler runs, as the ASGI adapter
    does; an untouched request loads nothing unless ``eager`` (lazy mode's saving).
    """

    def __init__(
        self,
        manager: SessionManager,
        store: AsyncSessionStore,
        run: Callable[[Awaitable[Response]], Response],
        *,
        eager: bool = False,
    ):
        self.manager = manager
        self.store = store
        self.eager = eager
        self._run = run

    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        """One request, run on the machine's event loop."""
        return self._run(self._request(cookie_header, handler))

    async def _request(self, cookie_header: str | None, handler: Handler | None) -> Response:
        exchange = self.manager.begin(cookie_header)
        if self.eager or handler is not None:
            await run_commands_async(exchange, self.store)
        status = None if handler is None else handler(exchange.session)
        if exchange.finish(status):
            await run_commands_async(exchange, self.store)
        return _response(exchange)

    def close(self) -> None:
        """Nothing to release."""
