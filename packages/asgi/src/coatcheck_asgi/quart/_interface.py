"""`QuartSessionInterface`: coatcheck as Quart's session, and `init_app`.

How a Quart request goes
------------------------
- ``open_session`` (awaited when Quart pushes the request or websocket context) reads
  the app's session settings (Quart allows changing them at any time), finds the
  `coatcheck.SessionManager` built for exactly those settings (cached, see
  `coatcheck.pallets.PalletsManagers`) and begins an exchange with the request's
  ``Cookie`` headers (Quart's test client sends one per cookie; they are joined). Without
  a ``SECRET_KEY`` it returns ``None``, so Quart uses its null session.
- Loading: ``quart.session`` is a plain attribute, so nothing can be awaited on its first
  use. With the state in the cookie, or a store that does no I/O (`coatcheck.MemoryStore`),
  the session loads on first use and a view that never touches it costs nothing. An
  async store (`coatcheck_redis.AsyncRedisStore`) is awaited in ``open_session``, and a
  sync store that does I/O is read there in a worker thread; both only when the request
  carries a session cookie. A store failure there is logged and raised by the session
  on first use, so Quart's error handlers answer it and a page that never uses the
  session is served.
- ``save_session`` runs after the ``after_request`` handlers: it finishes the exchange,
  runs the commit's store commands (awaited, or in a worker thread) and adds the
  session's ``Set-Cookie`` (replacing one of the same name) and ``Vary: Cookie``. Quart
  may call it twice for one request (once more for the error response when saving
  failed): the commit runs once. A store failure raises `coatcheck.SessionStoreError`,
  which Quart answers with a 500 from the app's error handler, without a session cookie.
- Websockets: Quart saves the session after the websocket closes, with no response to
  carry a cookie. Changes to a live server-side session are saved (its cookie stays
  valid); changes that would need a new cookie (a new session, a renewal, or any change
  with the state in the cookie) are lost, and logged on the app's logger, as Quart's own
  cookie session does.
- A session ``save_session`` never opened (Quart's tests build one by hand) is written
  as a new session with its content (`coatcheck.pallets.adopt`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any, cast

import quart
from quart.sessions import SessionInterface, SessionMixin

from coatcheck import (
    CookieStore,
    JSONSerializer,
    SessionConfig,
    SessionManager,
    SessionStatus,
    SessionStore,
    SessionStoreError,
)
from coatcheck.pallets import (
    SENT_KEY,
    PalletsManagers,
    add_session_headers,
    adopt,
    reads_config_directly,
    refusing_session,
)
from coatcheck.sansio import Exchange, exchange_of, is_finished

from .._store_mode import AnyStore, StoreMode, command_runner, store_mode
from ._serializer import QuartTaggedJSON
from ._session import QuartSession

if TYPE_CHECKING:
    from quart import Quart
    from quart.wrappers import BaseRequestWebsocket, Response
    from werkzeug.wrappers import Response as WerkzeugResponse

__all__ = ["QuartSessionInterface", "init_app"]

# What a websocket may still save once it closed: changes the browser's cookie keeps
# pointing at (a renewal or a new session would need a new cookie).
_SAVED_AFTER_CLOSE = frozenset(
    {SessionStatus.UNCHANGED, SessionStatus.CHANGED, SessionStatus.PURGED}
)


# Commits after a websocket closed, kept referenced until they end (see _save_after_close).
_COMMITS: set[asyncio.Future[None]] = set()


def _settled(commit: asyncio.Future[None]) -> None:
    _COMMITS.discard(commit)
    if not commit.cancelled():
        commit.exception()  # a store failure was logged by coatcheck already


class QuartSessionInterface(SessionInterface):
    """A drop-in replacement for Quart's default cookie session, on coatcheck.

    ``store`` is any coatcheck store: the default `coatcheck.CookieStore` keeps the state
    in the (encrypted) cookie, like Quart's default session does; an async store is
    awaited; a sync store that does I/O runs in a worker thread. ``config`` supplies
    what Quart has no setting for: the cookie's content security, the absolute lifetime
    and the accounts defaults; a serializer set there replaces Quart's tagged JSON. Its
    cookie and lifecycle fields are ignored: the app's Quart settings decide those, read
    on every request (plus coatcheck's ``SESSION_SUBJECT_KEY`` and
    ``SESSION_MAX_PER_SUBJECT``). ``manager``, a ready `coatcheck.SessionManager` built for
    ``store`` with ``session_class=QuartSession``, replaces all of that (the app's
    settings are then not read; tests use it to inject a clock). Install it with
    `init_app` or ``app.session_interface = ...``.
    """

    session_class = QuartSession
    pickle_based = False

    def __init__(
        self,
        store: AnyStore | None = None,
        config: SessionConfig | None = None,
        *,
        manager: SessionManager | None = None,
    ) -> None:
        if store is None:
            store = CookieStore()
        mode = store_mode(store)  # a TypeError for anything that is not a store
        if config is None:
            config = SessionConfig()
        elif not isinstance(config, SessionConfig):
            raise TypeError("config must be a coatcheck.SessionConfig")
        self.store = store
        """The store sessions are kept in."""
        self.mode = mode
        """Where the store's commands run (awaited, inline, in a worker thread, nowhere)."""
        self.manager = manager
        """The manager given at construction, if any (else one per app settings)."""
        self.config = config
        """The base configuration (content security, absolute lifetime, serializer)."""
        self.serializer = (
            QuartTaggedJSON()
            if isinstance(config.serializer, JSONSerializer)
            else config.serializer
        )
        """How session values are serialized: Quart's tagged JSON unless ``config`` says."""
        self._run_commands = command_runner(store, mode)
        self._loads_up_front = not mode.loads_on_first_access
        self._inline_store = cast(SessionStore, store) if mode is StoreMode.INLINE else None
        self._managers = PalletsManagers(
            store,
            config,
            self.serializer,
            QuartSession,
            reads_config=reads_config_directly(self, QuartSessionInterface),
        )

    # -- Quart's session interface -------------------------------------------------------

    def get_cookie_partitioned(self, app: Quart) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (False on Quart versions without it)."""
        return bool(app.config.get("SESSION_COOKIE_PARTITIONED", False))

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> QuartSession | None:
        """Begin the request's exchange; ``None`` (Quart's null session) without a secret key.

        Settings coatcheck refuses (an empty fallback secret, an unknown SameSite) do not
        fail the request: the session raises their ``ValueError`` when it is used, so a
        page that never touches it is served.
        """
        try:
            manager = self.manager_for(app)
        except ValueError as error:
            return refusing_session(error, QuartSession)
        if manager is None:
            return None
        headers = request.headers
        cookies = headers.getlist("Cookie")
        exchange = manager.begin(
            "; ".join(cookies) if cookies else None,
            inline_store=self._inline_store,
            user_agent=headers.get("User-Agent"),
        )
        if self._loads_up_front:
            # Logged by coatcheck; the session raises it on first use.
            with suppress(SessionStoreError):
                await self._run_commands(exchange)
        return cast(QuartSession, exchange.session)

    async def save_session(
        self,
        app: Quart,
        session: SessionMixin,
        response: Response | WerkzeugResponse | None,
    ) -> None:
        """Commit the session and add its ``Set-Cookie`` and ``Vary`` to ``response``.

        ``response`` is ``None`` after a websocket closed: see the module documentation.
        """
        exchange = exchange_of(session)
        if exchange is None and is_finished(session):
            # Saved already: Quart saves again when something after the save failed, and
            # the error response needs the same headers. The done exchange let go of the
            # session (`coatcheck.sansio.is_finished`); the scope kept what was sent.
            sent = _request_scope().get(SENT_KEY)
            if response is not None and sent is not None:
                add_session_headers(response.headers, *sent)
            return
        if exchange is None:
            manager = self.manager_for(app)
            if manager is None or not isinstance(session, Mapping):
                return
            exchange = adopt(manager, session)
        if response is None:
            await self._save_after_close(app, exchange)
            return
        # Idempotent: Quart saves again when an error handler answers after a failure.
        if exchange.finish(response.status_code):
            await self._run_commands(exchange)
        if exchange.failed:
            return
        sent = (exchange.set_cookie, exchange.vary, exchange.cookie_name)
        _request_scope()[SENT_KEY] = sent
        add_session_headers(response.headers, *sent)

    async def _save_after_close(self, app: Quart, exchange: Exchange) -> None:
        """A closed websocket's session: save what needs no new cookie, log what is lost."""
        if exchange.failed or exchange.done:
            return
        status = exchange.status()
        if (
            exchange.incoming == "live"
            and self.mode is not StoreMode.COOKIE
            and status in _SAVED_AFTER_CLOSE
        ):
            if exchange.finish(None, cacheable=False):
                # Quart cancels a websocket's task when the client leaves, and this save
                # comes after the handler: a commit begun is finished all the same.
                commit = asyncio.ensure_future(self._run_commands(exchange))
                _COMMITS.add(commit)
                commit.add_done_callback(_settled)
                await asyncio.shield(commit)
            return
        exchange.abandon()
        if status is not SessionStatus.UNCHANGED:
            app.logger.error(
                "Session %s during websocket handling: the change is lost, since a "
                "cookie cannot be set after a websocket closed.",
                status.value,
            )

    # -- managers ------------------------------------------------------------------------

    def manager_for(self, app: Quart) -> SessionManager | None:
        """The `coatcheck.SessionManager` for the app's current settings.

        ``None`` when the app has no ``SECRET_KEY``; ``ValueError`` naming the setting when
        coatcheck refuses one (an empty fallback secret, say). Managers are cached per
        distinct settings, so changing a setting at run time takes effect on the next
        request.
        """
        if self.manager is not None:
            return self.manager
        return self._managers.manager_for(self, app)

    def __repr__(self) -> str:
        return f"QuartSessionInterface(store={self.store!r}, mode={self.mode.value})"


def init_app(
    app: Quart,
    store: AnyStore | None = None,
    *,
    config: SessionConfig | None = None,
) -> QuartSessionInterface:
    """Make coatcheck the app's session (see `QuartSessionInterface`) and return it."""
    interface = QuartSessionInterface(store, config)
    # Quart annotates the attribute with its own cookie interface's class.
    app.session_interface = interface  # type: ignore[assignment]
    return interface


def _request_scope() -> dict[str, Any]:
    """The current request's ASGI scope, or a throwaway dict outside a request context
    (a session saved by hand)."""
    if not quart.has_request_context():
        return {}
    return cast("dict[str, Any]", quart.request.scope)
