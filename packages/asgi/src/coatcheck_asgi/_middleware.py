"""`SessionMiddleware`: the pure ASGI middleware that gives every request a session.

Per connection (``http`` or ``websocket`` scope; anything else passes straight through):

1. ``manager.begin`` starts the exchange with a *callable* that finds the ``Cookie``
   header only when the cookie is needed, and ``scope["session"]`` becomes its `Session`.
2. Loading, decided once per store (`StoreMode`): an inline store loads on first access;
   an I/O store loads before the app runs, or, with ``lazy=True``, when the app awaits
   `load_session`. A store failure here answers 500 (or ``on_error``) without the app.
3. ``send`` is wrapped. When the app sends ``http.response.start`` (``websocket.accept``
   for websockets) the exchange is finished, the store commands run, and the start
   message goes out with ``Set-Cookie`` and ``Vary: Cookie`` added. From then on the
   session is frozen: a change raises `SessionCommittedError`. If the store fails, the
   app's start and body are dropped and the client gets the 500 instead.

All per-request state lives in locals of the call. An untouched request costs the
exchange, two closures and a flag check at response start: nothing is parsed or decoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from coatcheck import (
    Key,
    SessionConfig,
    SessionManager,
    SessionStore,
    SessionStoreError,
    run_commands,
)

from ._error_response import respond_to_store_failure
from ._lazy import LAZY_SCOPE_KEY, LazyLoad, refuse_unloaded
from ._response_headers import with_session_headers
from ._store_mode import AnyStore, StoreMode, driver_for, store_mode
from ._types import ASGIApp, ErrorHandler, Message, Receive, Scope, Send

__all__ = ["SessionMiddleware"]

_COOKIE = b"cookie"


def _cookie_header(scope: Scope) -> str | None:
    """The request's ``Cookie`` header; several are joined with ``"; "`` (HTTP/2)."""
    found: str | None = None
    for name, value in scope.get("headers") or ():
        if name == _COOKIE:
            text = value.decode("latin-1")
            found = text if found is None else f"{found}; {text}"
    return found


class SessionMiddleware:
    """Give every HTTP request and websocket a session: ``scope["session"]``.

    ``store`` keeps the state: `coatcheck.CookieStore` (in the cookie),
    `coatcheck.MemoryStore`, a Redis store, or any sync or async store of your own.
    ``key`` is one `coatcheck.Key` or a sequence (the first signs and encrypts, all are
    accepted: key rotation). ``config`` is a `coatcheck.SessionConfig` (defaults: cookie
    ``session``, ``Secure``, ``HttpOnly``, ``SameSite=Lax``, a browser-session cookie).

    With ``lazy=True`` a store that does I/O is not read until the app awaits
    `load_session`; using the session before that raises
    `coatcheck.SessionNotLoadedError`. Stores that do no I/O ignore ``lazy``: they are
    always read on first access.

    ``on_error(scope, error)`` is awaited when the store fails (``error`` is the
    `coatcheck.SessionStoreError`, already logged); it returns the ASGI app that answers
    instead (a Starlette ``Response`` is one), or ``None`` for the default plain-text 500.
    That app must not use the session.

    The middleware is built once per application and is safe to share between
    concurrent requests; ``manager`` (the `coatcheck.SessionManager`) and ``store`` are
    public for tests and tooling.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: AnyStore,
        key: Key | Sequence[Key],
        config: SessionConfig | None = None,
        lazy: bool = False,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.manager = SessionManager(key=key, config=config)
        self.lazy = bool(lazy)
        self.on_error = on_error
        self.mode = store_mode(store)
        self._drive = driver_for(store, self.mode)
        self._inline_store = cast(SessionStore, store) if self.mode is StoreMode.INLINE else None
        self._cookie_name = self.manager.config.cookie_name

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(store={self.store!r}, "
            f"cookie_name={self._cookie_name!r}, mode={self.mode.value}, lazy={self.lazy})"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return

        inline_store = self._inline_store
        exchange = self.manager.begin(lambda: _cookie_header(scope), inline_store=inline_store)
        scope["session"] = exchange.session
        if inline_store is None:
            if self.lazy:
                exchange.set_loader(refuse_unloaded, on_mark=False)
                scope[LAZY_SCOPE_KEY] = LazyLoad(self._drive, exchange)
            else:
                try:
                    await self._drive(exchange)
                except SessionStoreError as error:
                    await respond_to_store_failure(scope, receive, send, error, self.on_error)
                    return

        started = False
        dropping = False
        start_type = "http.response.start" if kind == "http" else "websocket.accept"

        async def send_with_session(message: Message) -> None:
            nonlocal started, dropping
            if started:
                if dropping:
                    return
            else:
                message_type = message["type"]
                if message_type == start_type or message_type == "websocket.http.response.start":
                    started = True
                    if exchange.finish():
                        try:
                            if inline_store is not None:
                                run_commands(exchange, inline_store)  # no coroutine needed
                            else:
                                await self._drive(exchange)
                        except SessionStoreError as error:
                            dropping = True
                            await respond_to_store_failure(
                                scope, receive, send, error, self.on_error
                            )
                            return
                    set_cookie = exchange.set_cookie
                    # Vary is for HTTP caches; a websocket's 101 is never cached.
                    vary = exchange.vary and message_type != "websocket.accept"
                    if set_cookie is not None or vary:
                        message = dict(message)
                        message["headers"] = with_session_headers(
                            message.get("headers") or (), set_cookie, vary, self._cookie_name
                        )
                elif message_type == "websocket.close":
                    # Refused before the handshake: no headers can carry a cookie.
                    started = True
                    exchange.finish()
            await send(message)

        try:
            await self.app(scope, receive, send_with_session)
        except SessionStoreError as error:
            # A lazy load failed and the app let it through: answer like an eager one.
            if started or not exchange.failed:
                raise
            started = dropping = True
            await respond_to_store_failure(scope, receive, send, error, self.on_error)
