"""`CoatcheckSessionAuth`: Litestar's ``SessionAuth`` over a coatcheck session.

Litestar's ``SessionAuth`` takes a backend config and builds its own session middleware
from it (``config.middleware.middleware(app=..., backend=...)``), so it cannot drive
`CoatcheckSessionConfig`. This subclass keeps everything else of ``SessionAuth`` (the
authentication middleware, ``retrieve_user_handler``, ``exclude``,
``exclude_http_methods``, the OpenAPI scheme) and stacks it the way Litestar does, with
coatcheck's middleware outside: the session, then Litestar's exception handling, then
the authentication middleware, then the route. A request that fails authentication is
answered 401 by Litestar, and the session it came with is cleared (the store's record
deleted, the cookie removed), as with Litestar's own backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

# Where Litestar's own SessionAuth takes it from: it turns the 401 into a response.
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.spec import Components, SecurityScheme
from litestar.security.base import UserType
from litestar.security.session_auth import SessionAuth
from litestar.types import ASGIApp, Receive, Scope, Send

from ._config import CoatcheckSessionConfig

__all__ = ["CoatcheckSessionAuth"]


class _AuthenticatedSessions:
    """The stack ``SessionAuth`` builds, with coatcheck's session middleware outside."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp, config: CoatcheckSessionAuth[Any]) -> None:
        authenticate = config.authentication_middleware_class(
            app=app,
            exclude=config.exclude,
            exclude_http_methods=config.exclude_http_methods,
            exclude_opt_key=config.exclude_opt_key,
            scopes=config.scopes,
            retrieve_user_handler=cast(Any, config.retrieve_user_handler),
        )
        answered = ExceptionHandlerMiddleware(app=authenticate, debug=None)
        self.app = config.session_backend_config.middleware(answered)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@dataclass
class CoatcheckSessionAuth(SessionAuth[UserType, Any]):
    """Litestar's ``SessionAuth`` with a `CoatcheckSessionConfig` as its session backend::

        sessions = CoatcheckSessionConfig(store=MemoryStore(), key=Key.generate())
        auth = CoatcheckSessionAuth[User](
            session_backend_config=sessions,
            retrieve_user_handler=user_of_session,  # (session, connection) -> user or None
            exclude=["/login", "/schema"],
        )
        app = Litestar(route_handlers=[...], on_app_init=[auth.on_app_init])

    ``auth.middleware`` may go in a ``middleware`` list instead of ``on_app_init``; it
    replaces ``sessions.middleware`` (do not list both). A login handler writes the user's
    id to ``request.session`` (or ``request.set_session(...)``); a request whose session
    is empty, or names no user, gets 401 and its session is cleared. Put
    ``SessionConfig(subject_key=...)`` in ``sessions`` for rotation on login and the
    session index.
    """

    session_backend_config: CoatcheckSessionConfig  # type: ignore[assignment]
    """The coatcheck sessions the authentication reads."""

    @property
    def middleware(self) -> DefineMiddleware:
        """The session and authentication middleware, for a ``middleware`` list."""
        return DefineMiddleware(_AuthenticatedSessions, config=self)

    @property
    def session_backend(self) -> Any:
        """Not available: coatcheck keeps the session, not a Litestar backend."""
        raise TypeError(
            "CoatcheckSessionAuth has no Litestar session backend; the session is "
            "coatcheck's (session_backend_config.session_manager)"
        )

    @property
    def openapi_components(self) -> Components:
        """The OpenAPI scheme: an API key in the session cookie, by its coatcheck name."""
        cookie_name = self.session_backend_config.session_manager.config.cookie_name
        return Components(
            security_schemes={
                "sessionCookie": SecurityScheme(
                    type="apiKey",
                    name=cookie_name,
                    security_scheme_in="cookie",
                    description="Session cookie authentication.",
                )
            }
        )
