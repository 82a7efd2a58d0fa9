"""`CoatcheckSessionMiddleware`: `coatcheck_asgi.SessionMiddleware` inside Litestar.

Litestar builds one middleware stack per route. For each, this class (a Litestar
``ASGIMiddleware``, so ``exclude``, the ``opt`` key and ``scopes`` skip it exactly as
they skip Litestar's own middlewares) wraps the route's app in coatcheck's pure ASGI
`SessionMiddleware`, with a thin layer in between that does what Litestar needs:

- **Filling the session before the handler.** ``request.session`` hands out
  ``scope["session"]`` as it is, and a handler that returns it has it serialized by
  msgspec, which reads a ``dict`` subclass through C-level access: a session that
  loads on first use would serialize as ``{}``. So the session is loaded before the
  handler runs, except with ``lazy=True`` and a store that does I/O: there
  ``request.session`` is an `UnloadedSession` until ``await loaded_session(request)``.
  For the same reason a response to a request that brought a live session always
  carries ``Vary: Cookie`` (the handler may have read it unseen); one without does not.
- **Litestar's session id.** ``request.get_session_id()`` returns `coatcheck.Session.id`
  as it was when the handler started (``None`` for a new session, with `CookieStore`,
  and in lazy mode).
- **set_session / clear_session.** Both replace ``scope["session"]``; at the start of
  the response the replacement is applied to the coatcheck session
  (`apply_replacement`), which then commits as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.utils.scope.state import ScopeState

from coatcheck import Session, SessionSerializationError, SessionStoreError, SessionTooLarge
from coatcheck_asgi import (
    ASGIApp,
    ErrorHandler,
    Message,
    Receive,
    Scope,
    Send,
    SessionMiddleware,
)
from coatcheck_asgi._store_mode import store_mode

from ._loading import SESSION_SCOPE_KEY, UNLOADED
from ._replacement import apply_replacement

if TYPE_CHECKING:
    from litestar import types as litestar_types

    from ._config import CoatcheckSessionConfig, LitestarErrorHandler

__all__ = ["CoatcheckSessionMiddleware"]

_STARTS = frozenset({"http.response.start", "websocket.accept", "websocket.http.response.start"})


def _answering(on_error: LitestarErrorHandler) -> ErrorHandler:
    """``on_error`` as `SessionMiddleware` takes it: a Litestar ``Response`` it returns
    becomes the ASGI response Litestar itself would send."""

    async def answer(scope: Scope, error: SessionStoreError) -> ASGIApp | None:
        found = await on_error(scope, error)
        if isinstance(found, Response):
            request: Request[Any, Any, Any] = Request(cast(Any, scope))
            return cast(ASGIApp, found.to_asgi_response(app=None, request=request))
        return found

    return answer


class _LitestarSession:
    """The layer between coatcheck's middleware and the route: see the module docstring."""

    __slots__ = ("app", "fill")

    def __init__(self, app: ASGIApp, *, fill: bool) -> None:
        self.app = app
        self.fill = fill

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = cast(Session, scope["session"])
        scope[SESSION_SCOPE_KEY] = session
        if not self.fill:
            scope["session"] = UNLOADED
        else:
            # `id` loads (and marks accessed) the session. A handler can hand a live
            # session out unseen (msgspec reads the raw dict), so only an empty one
            # goes back to untouched: no `Vary: Cookie` for requests without a session.
            session_id = session.id
            if not dict.__len__(session):
                session.accessed = False
            if session_id is not None:
                ScopeState.from_scope(cast(Any, scope)).session_id = session_id
        settled = False

        async def send_settled(message: Message) -> None:
            nonlocal settled
            if not settled and message["type"] in _STARTS:
                settled = True
                await apply_replacement(scope, session)
                try:
                    await send(message)
                except (SessionTooLarge, SessionSerializationError):
                    # The handler's mistake, found as its response started: let Litestar
                    # answer it like any exception (the 500 goes out without a cookie).
                    ScopeState.from_scope(cast(Any, scope)).response_started = False
                    raise
                return
            await send(message)

        await self.app(scope, receive, send_settled)


class CoatcheckSessionMiddleware(ASGIMiddleware):
    """The middleware `CoatcheckSessionConfig.middleware` returns: list it in a Litestar
    application's, router's or route's ``middleware``.

    Built once from its config; Litestar calls it once per route to wrap that route's
    app, and every wrapped route shares the config's `coatcheck.SessionManager`.
    """

    def __init__(self, config: CoatcheckSessionConfig) -> None:
        self.config = config
        self.mode = store_mode(config.store)
        self.scopes = tuple(ScopeType(kind) for kind in sorted(config.scopes))
        exclude = config.exclude
        self.exclude_path_pattern = (
            exclude if exclude is None or isinstance(exclude, str) else tuple(exclude)
        )
        self.exclude_opt_key = config.exclude_opt_key
        self._wrapped: dict[litestar_types.ASGIApp, litestar_types.ASGIApp] = {}

    def __repr__(self) -> str:
        config = self.config
        return (
            f"{type(self).__name__}(store={config.store!r}, mode={self.mode.value}, "
            f"lazy={config.lazy})"
        )

    def __copy__(self) -> CoatcheckSessionMiddleware:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> CoatcheckSessionMiddleware:
        # Litestar copies a router's handlers with their middleware; this one holds the
        # store (locks, connection pools) and is shared on purpose, like the manager.
        return self

    def __call__(self, app: litestar_types.ASGIApp) -> litestar_types.ASGIApp:
        """Wrap one route's app (Litestar calls this while building the route's stack)."""
        config = self.config
        lazy_io = config.lazy and not self.mode.loads_on_first_access
        self._wrapped[app] = cast(
            "litestar_types.ASGIApp",
            SessionMiddleware(
                _LitestarSession(cast(ASGIApp, app), fill=not lazy_io),
                store=config.store,
                manager=config.session_manager,
                lazy=config.lazy,
                on_error=None if config.on_error is None else _answering(config.on_error),
            ),
        )
        # Litestar's own wrapper decides, per connection, between `handle` and `app`.
        return super().__call__(app)

    async def handle(
        self,
        scope: litestar_types.Scope,
        receive: litestar_types.Receive,
        send: litestar_types.Send,
        next_app: litestar_types.ASGIApp,
    ) -> None:
        """Run the route's app inside the session (the route is not excluded)."""
        await self._wrapped[next_app](scope, receive, send)
