"""`SessionMiddleware`: the pure ASGI middleware that gives every request a session.

Per connection (``http`` or ``websocket`` scope; anything else passes straight through):

1. ``manager.begin`` starts the exchange with a *callable* that finds the ``Cookie``
   header only when the cookie is needed, and ``scope["session"]`` becomes its `Session`.
2. Loading, decided once per store (`StoreMode`): the state in the cookie and an inline
   store load on first access; an I/O store loads before the app runs, or, with
   ``lazy=True``, when the app awaits `load_session`. A store failure here answers 500
   (or ``on_error``) without the app.
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

from coatcheck import Key, SessionConfig, SessionManager, SessionStore, SessionStoreError
from coatcheck.sansio import CookieSpelling, Exchange, run_commands

from ._error_response import respond_to_store_failure
from ._lazy import LAZY_SCOPE_KEY, LazyLoad, refuse_unloaded
from ._response_headers import with_session_headers
from ._store_mode import AnyStore, StoreMode, command_runner, store_mode
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


def _user_agent(scope: Scope) -> str | None:
    """The request's ``User-Agent`` header, kept with a session that takes a subject."""
    for name, value in scope.get("headers") or ():
        if name == b"user-agent":
            return str(value.decode("latin-1"))
    return None


class SessionMiddleware:
    """Give every HTTP request and websocket a session: ``scope["session"]``.

    ``store`` keeps the state: `coatcheck.CookieStore` (in the cookie),
    `coatcheck.MemoryStore`, a Redis store, or any sync or async store of your own.
    ``key`` is one `coatcheck.Key` or a sequence (the first signs and encrypts, all are
    accepted: key rotation). ``config`` is a `coatcheck.SessionConfig` (defaults: cookie
    ``session``, ``Secure``, ``HttpOnly``, ``SameSite=Lax``, a browser-session cookie).
    Instead of ``key`` and ``config``, ``manager`` may give a ready
    `coatcheck.SessionManager` built for ``store`` (its clock and random source
    included, which tests inject).

    With ``lazy=True`` a store that does I/O is not read until the app awaits
    `load_session`; using the session before that raises
    `coatcheck.SessionNotLoadedError`. Stores that do no I/O ignore ``lazy``: they are
    always read on first access.

    ``on_error(scope, error)`` is awaited when the store fails (``error`` is the
    `coatcheck.SessionStoreError`, already logged); it returns the ASGI app that answers
    instead (a Starlette ``Response`` is one), or ``None`` for the default plain-text 500.
    That app must not use the session.

    The middleware is built once per application and is safe to share between
    concurrent requests; ``manager`` and ``store`` are public for tests and tooling.
    Cookie attributes are spelt as Starlette spells them (``path=/; httponly``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: AnyStore,
        key: Key | Sequence[Key] | None = None,
        config: SessionConfig | None = None,
        manager: SessionManager | None = None,
        lazy: bool = False,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.mode = store_mode(store)
        if manager is None:
            if key is None:
                raise TypeError("SessionMiddleware needs a key (or a ready manager)")
            manager = SessionManager(
                key=key, store=store, config=config, cookie_spelling=CookieSpelling.LOWER
            )
        elif key is not None or config is not None:
            raise TypeError("give either manager, or key and config, not both")
        self.manager = manager
        self.lazy = bool(lazy)
        self.on_error = on_error
        self._run_commands = command_runner(store, self.mode)
        self._loads_up_front = not self.mode.loads_on_first_access
        self._inline_store = cast(SessionStore, store) if self.mode is StoreMode.INLINE else None
        self._cookie_name = manager.config.cookie_name
        self._with_subjects = manager.config.subject_key is not None
        self._settings = manager.settings
        self._now = manager.now

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
        # `SessionManager.begin`, spelt out: this runs on every request.
        exchange = Exchange(
            self._settings,
            lambda: _cookie_header(scope),
            self._now(),
            inline_store,
            (lambda: _user_agent(scope)) if self._with_subjects else None,
        )
        scope["session"] = exchange.session
        if self._loads_up_front:
            if self.lazy:
                exchange.set_loader(refuse_unloaded, on_mark=False)
                scope[LAZY_SCOPE_KEY] = LazyLoad(self._run_commands, exchange)
            else:
                try:
                    await self._run_commands(exchange)
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
                    if message_type == "websocket.accept":
                        # Vary is for HTTP caches; a websocket's 101 is never cached.
                        committing = exchange.finish(None, cacheable=False)
                    else:
                        committing = exchange.finish(message.get("status"))
                    if committing:
                        try:
                            if inline_store is not None:
                                run_commands(exchange, inline_store)  # no coroutine needed
                            else:
                                await self._run_commands(exchange)
                        except SessionStoreError as error:
                            dropping = True
                            await respond_to_store_failure(
                                scope, receive, send, error, self.on_error
                            )
                            return
                    set_cookie = exchange.set_cookie
                    vary = exchange.vary
                    if set_cookie is not None or vary:
                        message = dict(message)
                        message["headers"] = with_session_headers(
                            message.get("headers") or (), set_cookie, vary, self._cookie_name
                        )
                elif message_type == "websocket.close":
                    # Refused before the handshake: no headers can carry a cookie.
                    started = True
                    exchange.abandon()
            await send(message)

        try:
            await self.app(scope, receive, send_with_session)
        except SessionStoreError as error:
            # A lazy load failed and the app let it through: answer like an eager one.
            if started or not exchange.failed:
                raise
            started = dropping = True
            await respond_to_store_failure(scope, receive, send, error, self.on_error)
