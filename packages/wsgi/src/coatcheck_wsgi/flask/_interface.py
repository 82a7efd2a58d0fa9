"""`FlaskSessionInterface`: coatcheck as Flask's session, and `init_app`.

How a Flask request goes
------------------------
- ``open_session`` reads the app's session settings (Flask allows changing them at any
  time), finds the `coatcheck.SessionManager` built for exactly those settings (built once
  and cached, since deriving keys is not free) and begins an exchange with the ``Cookie``
  header. Without a ``SECRET_KEY`` it returns ``None``, so Flask uses its null session.
  Nothing is decoded or loaded here: Flask marks the session accessed on every use of
  ``flask.session``, and that first use reads the store inline. A view that never
  touches the session costs no store round trip.
- ``save_session`` runs after the ``after_request`` handlers (so their changes are
  saved): it finishes the exchange, runs the commit's store commands and adds the
  session's ``Set-Cookie`` (replacing one of the same name) and ``Vary: Cookie``.
  Flask may call it twice for one request (once more for the error response when
  something failed after the first call): the commit runs once, and its cookie goes on
  whichever response is sent; after a failure nothing is set.
- A store failure raises `coatcheck.SessionStoreError` (logged once by coatcheck) out of
  the view or out of ``save_session``. Flask handles it like any unhandled error: a 500
  from the app's error handler, no session cookie.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from flask.sessions import SessionInterface, SessionMixin

from coatcheck import (
    CookieStore,
    JSONSerializer,
    SessionConfig,
    SessionManager,
    SessionStore,
    is_async_store,
    merge_vary,
    run_commands,
    sets_cookie,
)

from ._serializer import FlaskTaggedJSON
from ._session import FlaskSession
from ._settings import FlaskSettings

if TYPE_CHECKING:
    from flask import Flask
    from flask.wrappers import Request, Response

__all__ = ["FlaskSessionInterface", "init_app"]

_MAX_MANAGERS = 16
"""Distinct settings kept at once; more means settings churn, and the cache starts over."""

_GETTERS = (
    "get_cookie_name",
    "get_cookie_domain",
    "get_cookie_path",
    "get_cookie_httponly",
    "get_cookie_secure",
    "get_cookie_samesite",
    "get_cookie_partitioned",
)
# Every config value the settings come from, read in one call. Index 1 is the only
# mutable one (a list), so the snapshot kept for comparison holds a copy of it.
_RAW_SETTINGS = itemgetter(
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "APPLICATION_ROOT",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_PARTITIONED",
    "PERMANENT_SESSION_LIFETIME",
    "SESSION_REFRESH_EACH_REQUEST",
)


def _snapshot(raw: tuple[Any, ...]) -> tuple[Any, ...]:
    fallbacks = raw[1]
    return (raw[0], list(fallbacks) if isinstance(fallbacks, list) else fallbacks, *raw[2:])


class FlaskSessionInterface(SessionInterface):
    """A drop-in replacement for Flask's default cookie session, on coatcheck.

    ``store`` is a synchronous `coatcheck.SessionStore`; the default `coatcheck.CookieStore`
    keeps the state in the (encrypted) cookie, like Flask's default session does.
    ``config`` supplies what Flask has no setting for: the cookie's content security and
    the absolute lifetime; a serializer set there replaces Flask's tagged JSON. Its cookie
    and lifecycle fields are ignored: the app's Flask settings decide those, read on every
    request. Install it with `init_app` or ``app.session_interface = ...``.
    """

    session_class = FlaskSession
    pickle_based = False

    def __init__(
        self, store: SessionStore | None = None, config: SessionConfig | None = None
    ) -> None:
        if store is None:
            store = CookieStore()
        elif is_async_store(store):
            raise TypeError(
                f"{type(store).__name__} is an asynchronous store, and Flask's session "
                "interface cannot await it. Use its synchronous twin "
                "(coatcheck_redis.RedisStore instead of AsyncRedisStore, say)."
            )
        if config is None:
            config = SessionConfig()
        elif not isinstance(config, SessionConfig):
            raise TypeError("config must be a coatcheck.SessionConfig")
        self.store = store
        """The store sessions are kept in."""
        self.config = config
        """The base configuration (content security, absolute lifetime, serializer)."""
        self.serializer = (
            FlaskTaggedJSON()
            if isinstance(config.serializer, JSONSerializer)
            else config.serializer
        )
        """How session values are serialized: Flask's tagged JSON unless ``config`` says."""
        self._managers: dict[tuple[object, ...], SessionManager] = {}
        # The last config values seen and their manager: the common case, settings that
        # did not change, costs one read of the config and one comparison. Subclasses that
        # override a cookie getter go through the getters on every request instead.
        self._recent: tuple[tuple[Any, ...], SessionManager | None] | None = None
        self._reads_config = all(
            getattr(type(self), name) is getattr(FlaskSessionInterface, name) for name in _GETTERS
        )

    # -- Flask's session interface -------------------------------------------------------

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (False on Flask versions without it)."""
        return bool(app.config.get("SESSION_COOKIE_PARTITIONED", False))

    def open_session(self, app: Flask, request: Request) -> FlaskSession | None:
        """Begin the request's exchange; ``None`` (Flask's null session) without a secret key."""
        manager = self.manager_for(app)
        if manager is None:
            return None
        exchange = manager.begin(request.environ.get("HTTP_COOKIE"), inline_store=self.store)
        return cast(FlaskSession, exchange.session)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Commit the session and add its ``Set-Cookie`` and ``Vary`` to ``response``."""
        exchange = getattr(session, "_exchange", None)
        if exchange is None:
            return
        # Idempotent: Flask saves again when an error handler answers after a failure.
        if exchange.finish():
            run_commands(exchange, self.store)
        if exchange.failed:
            return
        headers = response.headers
        set_cookie = exchange.set_cookie
        if set_cookie is not None:
            name = set_cookie.partition("=")[0]
            cookies = headers.getlist("Set-Cookie")
            if any(sets_cookie(cookie, name) for cookie in cookies):
                headers.setlist(
                    "Set-Cookie", [cookie for cookie in cookies if not sets_cookie(cookie, name)]
                )
            headers.add("Set-Cookie", set_cookie)
        if exchange.vary:
            varies = headers.getlist("Vary")
            if not varies:
                headers.add("Vary", "Cookie")
            else:
                merged = merge_vary(", ".join(varies))
                if merged is not None:
                    headers.set("Vary", merged)

    # -- managers ------------------------------------------------------------------------

    def manager_for(self, app: Flask) -> SessionManager | None:
        """The `coatcheck.SessionManager` for the app's current settings.

        ``None`` when the app has no ``SECRET_KEY``. Managers are cached per distinct
        settings, so changing a setting at run time takes effect on the next request.
        """
        if self._reads_config:
            try:
                raw = _RAW_SETTINGS(app.config)
            except KeyError:
                # A Flask without SECRET_KEY_FALLBACKS or SESSION_COOKIE_PARTITIONED.
                self._reads_config = False
            else:
                recent = self._recent
                if recent is not None and recent[0] == raw:
                    return recent[1]
                manager = self._manager_from_getters(app)
                self._recent = (_snapshot(raw), manager)
                return manager
        return self._manager_from_getters(app)

    def _manager_from_getters(self, app: Flask) -> SessionManager | None:
        secret_key = app.secret_key
        if not secret_key:
            return None
        config = app.config
        fallbacks = config.get("SECRET_KEY_FALLBACKS")
        settings = (
            secret_key,
            tuple(fallbacks) if fallbacks else (),
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
            self.get_cookie_httponly(app),
            self.get_cookie_secure(app),
            self.get_cookie_samesite(app),
            self.get_cookie_partitioned(app),
            app.permanent_session_lifetime,
            config["SESSION_REFRESH_EACH_REQUEST"],
        )
        manager = self._managers.get(settings)
        if manager is None:
            manager = self._build_manager(FlaskSettings._make(settings))
            if len(self._managers) >= _MAX_MANAGERS:
                self._managers.clear()
            self._managers[settings] = manager
        return manager

    def _build_manager(self, settings: FlaskSettings) -> SessionManager:
        return SessionManager(
            key=settings.keys(),
            config=settings.session_config(self.config, self.serializer),
            session_class=FlaskSession,
        )

    def __repr__(self) -> str:
        return f"FlaskSessionInterface(store={self.store!r})"


def init_app(
    app: Flask, store: SessionStore | None = None, *, config: SessionConfig | None = None
) -> FlaskSessionInterface:
    """Make coatcheck the app's session (see `FlaskSessionInterface`) and return it."""
    interface = FlaskSessionInterface(store, config)
    app.session_interface = interface
    return interface
