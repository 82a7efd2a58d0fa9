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
  whichever response is sent; after a failure nothing is set. A session it never opened
  (built by hand) is written as a new session with its content
  (`coatcheck.pallets.adopt`).
- A store failure raises `coatcheck.SessionStoreError` (logged once by coatcheck) out of
  the view or out of ``save_session``. Flask handles it like any unhandled error: a 500
  from the app's error handler, no session cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import flask
from flask.sessions import SessionInterface, SessionMixin

from coatcheck import CookieStore, JSONSerializer, SessionConfig, SessionManager, SessionStore
from coatcheck.pallets import (
    SENT_KEY,
    PalletsManagers,
    add_session_headers,
    adopt,
    reads_config_directly,
    refusing_session,
)
from coatcheck.sansio import exchange_of, is_async_store, is_finished, run_commands

from ._serializer import FlaskTaggedJSON
from ._session import FlaskSession

if TYPE_CHECKING:
    from flask import Flask
    from flask.wrappers import Request, Response

__all__ = ["FlaskSessionInterface", "init_app"]


class FlaskSessionInterface(SessionInterface):
    """A drop-in replacement for Flask's default cookie session, on coatcheck.

    ``store`` is a synchronous `coatcheck.SessionStore`; the default `coatcheck.CookieStore`
    keeps the state in the (encrypted) cookie, like Flask's default session does.
    ``config`` supplies what Flask has no setting for: the cookie's content security and
    the absolute lifetime; a serializer set there replaces Flask's tagged JSON. Its cookie
    and lifecycle fields are ignored: the app's Flask settings decide those, read on every
    request. ``manager``, a ready `coatcheck.SessionManager` built for ``store`` with
    ``session_class=FlaskSession``, replaces all of that (the app's settings are then not
    read; tests use it to inject a clock). Install it with `init_app` or
    ``app.session_interface = ...``.
    """

    session_class = FlaskSession
    pickle_based = False

    def __init__(
        self,
        store: SessionStore | CookieStore | None = None,
        config: SessionConfig | None = None,
        *,
        manager: SessionManager | None = None,
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
        self.manager = manager
        """The manager given at construction, if any (else one per app settings)."""
        self._inline_store = None if isinstance(store, CookieStore) else store
        self.config = config
        """The base configuration (content security, absolute lifetime, serializer)."""
        self.serializer = (
            FlaskTaggedJSON()
            if isinstance(config.serializer, JSONSerializer)
            else config.serializer
        )
        """How session values are serialized: Flask's tagged JSON unless ``config`` says."""
        # Built per distinct settings, cached (see coatcheck.pallets.PalletsManagers).
        # Subclasses that override a cookie getter have their settings read through the
        # getters on every request.
        self._managers = PalletsManagers(
            store,
            config,
            self.serializer,
            FlaskSession,
            reads_config=reads_config_directly(self, FlaskSessionInterface),
        )

    # -- Flask's session interface -------------------------------------------------------

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (False on Flask versions without it)."""
        return bool(app.config.get("SESSION_COOKIE_PARTITIONED", False))

    def open_session(self, app: Flask, request: Request) -> FlaskSession | None:
        """Begin the request's exchange; ``None`` (Flask's null session) without a secret key.

        Settings coatcheck refuses (an empty fallback secret, an unknown SameSite) do not
        fail the request: the session raises their ``ValueError`` when it is used, so a
        page that never touches it is served.
        """
        try:
            manager = self.manager_for(app)
        except ValueError as error:
            return refusing_session(error, FlaskSession)
        if manager is None:
            return None
        environ = request.environ
        exchange = manager.begin(
            environ.get("HTTP_COOKIE"),
            inline_store=self._inline_store,
            user_agent=environ.get("HTTP_USER_AGENT"),
        )
        return cast(FlaskSession, exchange.session)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Commit the session and add its ``Set-Cookie`` and ``Vary`` to ``response``."""
        exchange = exchange_of(session)
        if exchange is None and is_finished(session):
            # Saved already: Flask saves again when something after the save failed, and
            # the error response needs the same headers. The done exchange let go of the
            # session (`coatcheck.sansio.is_finished`); the environ kept what was sent.
            sent = _request_environ().get(SENT_KEY)
            if sent is not None:
                add_session_headers(response.headers, *sent)
            return
        if exchange is None:
            # A session built by hand (not opened here) is written as a new session.
            manager = self.manager_for(app)
            if manager is None or not isinstance(session, Mapping):
                return
            exchange = adopt(manager, session)
        # Idempotent: Flask saves again when an error handler answers after a failure.
        if exchange.finish(response.status_code) and self._inline_store is not None:
            run_commands(exchange, self._inline_store)
        if exchange.failed:
            return
        sent = (exchange.set_cookie, exchange.vary, exchange.cookie_name)
        _request_environ()[SENT_KEY] = sent
        add_session_headers(response.headers, *sent)

    # -- managers ------------------------------------------------------------------------

    def manager_for(self, app: Flask) -> SessionManager | None:
        """The `coatcheck.SessionManager` for the app's current settings.

        ``None`` when the app has no ``SECRET_KEY``; ``ValueError`` naming the setting when
        coatcheck refuses one (an empty fallback secret, say). Managers are cached per distinct
        settings, so changing a setting at run time takes effect on the next request.
        """
        if self.manager is not None:
            return self.manager
        return self._managers.manager_for(self, app)

    def __repr__(self) -> str:
        return f"FlaskSessionInterface(store={self.store!r})"


def init_app(
    app: Flask,
    store: SessionStore | CookieStore | None = None,
    *,
    config: SessionConfig | None = None,
) -> FlaskSessionInterface:
    """Make coatcheck the app's session (see `FlaskSessionInterface`) and return it."""
    interface = FlaskSessionInterface(store, config)
    app.session_interface = interface
    return interface


def _request_environ() -> dict[str, Any]:
    """The current request's WSGI environ, or a throwaway dict outside a request context
    (a session saved by hand)."""
    if not flask.has_request_context():
        return {}
    return flask.request.environ
