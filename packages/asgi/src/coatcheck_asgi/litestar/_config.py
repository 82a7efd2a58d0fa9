"""`CoatcheckSessionConfig`: coatcheck's answer to Litestar's ``CookieBackendConfig``.

Litestar turns sessions on with a backend config whose ``middleware`` property goes in a
``middleware=[...]`` list (``CookieBackendConfig``, ``ServerSideSessionConfig``); this is
the same shape, so switching is a one-line change. The config holds what Litestar's
configs hold (``exclude``, ``exclude_opt_key``, ``scopes``) and what coatcheck needs (a
store, keys, a `coatcheck.SessionConfig`); the cookie itself is described by the
`coatcheck.SessionConfig` (name ``session``, ``Secure``, ``HttpOnly``, ``SameSite=Lax``,
a browser-session cookie unless its lifecycle says otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litestar import Response

from coatcheck import Key, SessionConfig, SessionManager, SessionStoreError
from coatcheck.sansio import CookieSpelling
from coatcheck_asgi import AnyStore, ASGIApp, Scope

if TYPE_CHECKING:
    from ._middleware import CoatcheckSessionMiddleware

__all__ = ["CoatcheckSessionConfig", "LitestarErrorHandler"]

LitestarErrorHandler = Callable[
    [Scope, SessionStoreError], Awaitable["Response[Any] | ASGIApp | None"]
]
"""The ``on_error`` hook: given the scope and the store failure, return a Litestar
``Response`` (or any ASGI app) to answer with, or ``None`` for a plain-text 500."""

DEFAULT_EXCLUDE_OPT_KEY = "skip_session"
"""The route ``opt`` key that turns the session off for a route, as in Litestar."""


@dataclass
class CoatcheckSessionConfig:
    """Sessions for a Litestar application, kept by a coatcheck store.

    Put ``config.middleware`` in the application's (or a router's, or a route's)
    ``middleware`` list::

        session_config = CoatcheckSessionConfig(store=CookieStore(), key=Key.generate())
        app = Litestar([...], middleware=[session_config.middleware])

    Then ``request.session`` (and ``websocket.session``) is the connection's
    `coatcheck.Session`, a ``dict``; ``request.set_session(data)`` replaces its content
    and ``request.clear_session()`` empties it (the store's record is deleted and the
    cookie removed), as with Litestar's own backends.

    ``store`` keeps the state: `coatcheck.CookieStore` (encrypted, in the cookie),
    `coatcheck.MemoryStore`, `coatcheck_redis.AsyncRedisStore` or ``RedisStore``, or a
    sync or async store of your own. ``key`` is one `coatcheck.Key` or a sequence (the
    first signs and encrypts, all are accepted: key rotation). ``config`` describes the
    cookie and the lifecycle; ``manager`` may replace ``key`` and ``config`` with a ready
    `coatcheck.SessionManager` built for ``store`` (tests inject its clock).

    ``lazy=True`` leaves a store that does I/O unread until the handler awaits
    `coatcheck_asgi.litestar.loaded_session` (``await loaded_session(request)``); stores
    that do no I/O ignore it. Without ``lazy`` the session is loaded before the handler
    runs.

    ``exclude`` (a path pattern or a list of them) and a route's ``opt`` key
    ``exclude_opt_key`` (``skip_session`` unless changed: ``@get("/", skip_session=True)``)
    leave routes without a session, as Litestar's own backends do; ``scopes`` chooses
    between ``http`` and ``websocket`` (both by default). ``on_error(scope, error)`` is
    awaited when the store fails (the error is already logged) and returns the answer: a
    Litestar ``Response``, any ASGI app, or ``None`` for a plain-text 500; the handler's
    own response is dropped, and no cookie is set.
    """

    store: AnyStore
    """Where the session state is kept."""
    key: Key | Sequence[Key] | None = None
    """The key, or the keys (newest first), that seal cookies."""
    config: SessionConfig | None = None
    """The cookie's attributes and the lifecycle (coatcheck's defaults if ``None``)."""
    manager: SessionManager | None = None
    """A ready manager instead of ``key`` and ``config``."""
    lazy: bool = False
    """Leave an I/O store unread until ``await loaded_session(request)``."""
    on_error: LitestarErrorHandler | None = None
    """Builds the answer to a store failure (default: a plain-text 500)."""
    exclude: str | list[str] | None = None
    """Path patterns (regular expressions) whose routes get no session."""
    exclude_opt_key: str = DEFAULT_EXCLUDE_OPT_KEY
    """The route ``opt`` key that, when true, leaves the route without a session."""
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"http", "websocket"}))
    """The connection types that get a session: ``"http"``, ``"websocket"`` or both."""

    def __post_init__(self) -> None:
        if self.manager is None:
            if self.key is None:
                raise TypeError("CoatcheckSessionConfig needs a key (or a ready manager)")
            self.manager = SessionManager(
                key=self.key,
                store=self.store,
                config=self.config,
                cookie_spelling=CookieSpelling.TITLE,
            )
        elif self.key is not None or self.config is not None:
            raise TypeError("give either manager, or key and config, not both")
        self.scopes = frozenset(self.scopes)
        unknown = self.scopes - {"http", "websocket"}
        if unknown or not self.scopes:
            raise ValueError(f"scopes must be 'http', 'websocket' or both, got {set(self.scopes)}")

    @property
    def session_manager(self) -> SessionManager:
        """The manager the middleware drives (built from ``key`` and ``config``)."""
        assert self.manager is not None  # set by __post_init__
        return self.manager

    @property
    def middleware(self) -> CoatcheckSessionMiddleware:
        """The middleware to list in ``Litestar(middleware=[...])`` (or a router's, a route's)."""
        from ._middleware import CoatcheckSessionMiddleware

        return CoatcheckSessionMiddleware(self)
