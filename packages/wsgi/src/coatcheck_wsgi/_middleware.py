"""`SessionMiddleware`: coatcheck sessions for any WSGI application.

Theory of operation
-------------------
1. Per request the middleware begins an exchange with the ``Cookie`` header and puts its
   session in ``environ["coatcheck.session"]``. Nothing is decoded or read yet: the
   session's first use reads the store inline (a WSGI request owns its thread), so a
   request that never touches the session costs no store round trip.
2. The application's ``start_response`` is wrapped. Its first call finishes the exchange
   and runs the commit's store commands, then passes the application's headers on with
   the session's ``Set-Cookie`` (replacing one of the same name) and ``Cookie`` merged
   into ``Vary``. Later calls (with ``exc_info``) carry the same session headers, since
   the store has already committed what the cookie points to.
3. A store failure, while loading or committing, becomes our own 500: the application's
   headers and body are dropped (its iterable is still closed), no cookie is set, and the
   error has been logged once, by the core. Other session errors at commit
   (`SessionTooLarge`, `SessionSerializationError`) are bugs in the application: they
   propagate to the server, which answers 500 and shows the traceback.

WSGI rules kept: ``write()`` works (it is the server's own, unless the response was
replaced); the application's iterable is returned untouched when it has already called
``start_response``, and watched otherwise (a generator calling it late), in which case the
watcher forwards ``close()``; ``exc_info`` is passed on so a server can replace headers not
yet sent, or re-raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, cast

from coatcheck import (
    CookieStore,
    Key,
    Session,
    SessionConfig,
    SessionManager,
    SessionStore,
    SessionStoreError,
)
from coatcheck.sansio import (
    Exchange,
    is_async_store,
    run_commands,
    session_headers,
)

if TYPE_CHECKING:
    from types import TracebackType

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ENVIRON_KEY", "SessionMiddleware", "get_session"]

ENVIRON_KEY = "coatcheck.session"
"""The WSGI environ key under which the request's `Session` is found."""

_ERROR_STATUS = "500 Internal Server Error"
_ERROR_BODY = b"Internal Server Error"
_ERROR_HEADERS = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(_ERROR_BODY))),
)


def _discard(data: bytes) -> None:
    """The ``write()`` handed to an application whose response was replaced."""


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _status_code(status: str) -> int | None:
    """The code of a WSGI status line (``"200 OK"``), or ``None`` if it has none."""
    code = status[:3]
    return int(code) if code.isdigit() else None


def get_session(environ: WSGIEnvironment) -> Session:
    """The request's session, as `SessionMiddleware` put it in ``environ``.

    Raises ``LookupError`` with an explanation when the middleware is not installed.
    """
    try:
        session: Session = environ[ENVIRON_KEY]
    except KeyError:
        raise LookupError(
            f"no session in environ[{ENVIRON_KEY!r}]: wrap the application in "
            "coatcheck_wsgi.SessionMiddleware"
        ) from None
    return session


class SessionMiddleware:
    """Session management for a WSGI application.

    ``store`` is `coatcheck.CookieStore` or a synchronous `coatcheck.SessionStore`
    (`coatcheck.MemoryStore`, ``coatcheck_redis.RedisStore``, ...); ``key`` is one
    `coatcheck.Key` or several (the first signs and encrypts, all are accepted, for
    rotation); ``config`` is a `coatcheck.SessionConfig`. Instead of ``key`` and
    ``config``, ``manager`` may give a ready `coatcheck.SessionManager` built for
    ``store``. The session is ``environ["coatcheck.session"]`` (see `get_session`), read
    from the store on its first use. Safe to share between threads: all per-request state
    lives in the request.
    """

    __slots__ = ("_cookie_name", "_inline_store", "_with_subjects", "app", "manager", "store")

    def __init__(
        self,
        app: WSGIApplication,
        *,
        store: SessionStore | CookieStore,
        key: Key | Sequence[Key] | None = None,
        config: SessionConfig | None = None,
        manager: SessionManager | None = None,
    ) -> None:
        if is_async_store(store):
            raise TypeError(
                f"{type(store).__name__} is an asynchronous store, and a WSGI application "
                "cannot await it. Use its synchronous twin (coatcheck_redis.RedisStore "
                "instead of AsyncRedisStore, say)."
            )
        if manager is None:
            if key is None:
                raise TypeError("SessionMiddleware needs a key (or a ready manager)")
            manager = SessionManager(key=key, store=store, config=config)
        elif key is not None or config is not None:
            raise TypeError("give either manager, or key and config, not both")
        self.app = app
        self.store = store
        self.manager = manager
        self._inline_store = None if isinstance(store, CookieStore) else store
        self._cookie_name = manager.config.cookie_name
        self._with_subjects = manager.config.subject_key is not None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        store = self._inline_store
        exchange = self.manager.begin(
            environ.get("HTTP_COOKIE"),
            inline_store=store,
            user_agent=environ.get("HTTP_USER_AGENT") if self._with_subjects else None,
        )
        environ[ENVIRON_KEY] = exchange.session
        response = _Response(exchange, store, start_response, self._cookie_name)
        try:
            body = self.app(environ, response.start_response)
        except SessionStoreError as exc:
            if not exchange.failed:
                raise
            return response.replace(exc)
        if response.replaced:
            _close(body)
            return [_ERROR_BODY]
        if response.started:
            return body
        return _WatchedBody(body, response)

    def __repr__(self) -> str:
        return f"SessionMiddleware({self.app!r}, store={self.store!r})"


class _Response:
    """One request's wrapped ``start_response``, and whether we replaced the response."""

    __slots__ = (
        "_cookie_name",
        "_start_response",
        "_store",
        "exchange",
        "forwarded",
        "replaced",
        "started",
    )

    def __init__(
        self,
        exchange: Exchange,
        store: SessionStore | None,
        start_response: StartResponse,
        cookie_name: str,
    ) -> None:
        self.exchange = exchange
        self._store = store
        self._start_response = start_response
        self._cookie_name = cookie_name
        self.started = False
        """The application called ``start_response`` (and the commit ran)."""
        self.forwarded = False
        """The server's ``start_response`` was called."""
        self.replaced = False
        """A store failure replaced the response with our 500."""

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        """The ``start_response`` the application sees."""
        if self.replaced:
            return _discard
        exchange = self.exchange
        if not self.started:
            self.started = True
            try:
                if exchange.finish(_status_code(status)) and self._store is not None:
                    run_commands(exchange, self._store)
            except SessionStoreError as exc:
                self.replace(exc)
                return _discard
        set_cookie = exchange.set_cookie
        if set_cookie is not None or exchange.vary:
            headers = session_headers(headers, set_cookie, exchange.vary, self._cookie_name)
        self.forwarded = True
        return self._start_response(status, headers, exc_info)

    def replace(self, error: SessionStoreError) -> list[bytes]:
        """Answer 500 instead of the application; returns the body to send."""
        self.replaced = True
        self.started = True
        # Only a response already forwarded needs exc_info: the server then replaces its
        # headers if they are not sent yet, or re-raises. (Some servers and test clients
        # re-raise whenever exc_info is given.)
        exc_info: OptExcInfo | None = None
        if self.forwarded:
            exc_info = (type(error), error, cast(TracebackType, error.__traceback__))
        self.forwarded = True
        self._start_response(_ERROR_STATUS, list(_ERROR_HEADERS), exc_info)
        return [_ERROR_BODY]


class _WatchedBody:
    """The body of an application that has not called ``start_response`` yet.

    Iterating it runs the application; if the store fails meanwhile (at load, or at the
    commit inside ``start_response``), the rest of the application's body is closed and
    our 500 body is sent instead.
    """

    __slots__ = ("_body", "_iterator", "_response")

    def __init__(self, body: Iterable[bytes], response: _Response) -> None:
        self._body: Iterable[bytes] | None = body
        self._iterator: Iterator[bytes] | None = None
        self._response = response

    def __iter__(self) -> _WatchedBody:
        return self

    def __next__(self) -> bytes:
        iterator = self._iterator
        if iterator is not None and self._body is None:
            # Our 500 body, or closed.
            return next(iterator)
        response = self._response
        try:
            if iterator is None:
                if self._body is None:
                    raise StopIteration
                iterator = self._iterator = iter(self._body)
            chunk = next(iterator)
        except SessionStoreError as exc:
            if not response.exchange.failed:
                raise
            return self._switch_to(response.replace(exc))
        if response.replaced:
            # The commit failed inside start_response while producing this chunk.
            return self._switch_to([_ERROR_BODY])
        return chunk

    def _switch_to(self, replacement: list[bytes]) -> bytes:
        """Close the application's body and send ``replacement`` instead."""
        body = self._body
        self._body = None
        iterator = self._iterator = iter(replacement)
        if body is not None:
            _close(body)
        return next(iterator)

    def close(self) -> None:
        """Close the application's iterable (servers call this once the body is sent)."""
        body = self._body
        self._body = None
        self._iterator = iter(())
        if body is not None:
            _close(body)
