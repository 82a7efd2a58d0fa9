"""The FastAPI side: the JSON API under ``/api``.

Its `coatcheck_asgi.SessionMiddleware` is built from the shared settings
(`SharedSession.manager`), so it reads the cookie the Flask pages set, with the same key
and serializer, and its changes (a theme, a logout) are what the pages see next.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from coatcheck import Session
from coatcheck_asgi import AnyStore, SessionMiddleware, load_session

from .settings import SharedSession

__all__ = ["Lifespan", "Me", "ThemeChoice", "create_api_app"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
"""What FastAPI takes as ``lifespan``: startup before the ``yield``, shutdown after."""


class Me(BaseModel):
    """Who the session belongs to, as the API sees it."""

    user: str
    theme: str


class ThemeChoice(BaseModel):
    """The body of ``POST /api/theme``."""

    theme: Literal["light", "dark"]


class LoggedOut(BaseModel):
    """The answer of ``POST /api/logout``."""

    logged_out: bool


async def get_session(request: Request) -> Session:
    """The FastAPI dependency: the request's session (the one the Flask pages use)."""
    return await load_session(request)


SessionDep = Annotated[Session, Depends(get_session)]


def _me(session: Session) -> Me:
    user = session.get("user")
    if not isinstance(user, str):
        raise HTTPException(status_code=401, detail="not logged in")
    return Me(user=user, theme=session.get("theme", "light"))


async def me(session: SessionDep) -> Me:
    """The logged-in user, from the session the Flask login wrote; 401 if none."""
    return _me(session)


async def set_theme(choice: ThemeChoice, session: SessionDep) -> Me:
    """Store the user's theme in the session (the Flask pages render with it)."""
    answer = _me(session)
    session["theme"] = choice.theme
    return answer.model_copy(update={"theme": choice.theme})


async def logout(session: SessionDep) -> LoggedOut:
    """End the session: the store forgets it and the cookie is deleted, for both apps."""
    session.purge()
    return LoggedOut(logged_out=True)


def create_api_app(
    shared: SharedSession, store: AnyStore, *, lifespan: Lifespan | None = None
) -> FastAPI:
    """The FastAPI app; its sessions live in ``store`` under ``shared``'s settings.

    ``lifespan`` is FastAPI's (the dispatcher hands lifespan events to this app).
    """
    app = FastAPI(
        lifespan=lifespan,
        title="coatcheck shared login API",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    app.add_middleware(SessionMiddleware, store=store, manager=shared.manager(store), lazy=True)
    app.get("/api/me")(me)
    app.post("/api/theme")(set_theme)
    app.post("/api/logout")(logout)
    return app
