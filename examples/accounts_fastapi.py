"""Accounts with FastAPI: "your sessions", "log out my other devices", and an admin's
"end every session of user X".

``SessionConfig(subject_key="user_id")`` makes the value under ``"user_id"`` the
session's *subject*. Logging in is one assignment: the change of subject renews the
session key by itself (no fixation), and the store indexes the session under the user,
with the request's ``User-Agent``. The index methods live on the store
(`coatcheck.SessionIndex`; coroutines on an async store such as ``AsyncRedisStore``)::

    await store.list_sessions(user_id)              # [SessionInfo, ...], newest first
    await store.revoke(user_id, session_id)         # False if not one of theirs
    await store.revoke_all(user_id, keep=session.id)

A revoked session is gone on its next request: an empty session and a removed cookie.
Run it with ``uvicorn --factory examples.accounts_fastapi:create_app`` (plain http on
127.0.0.1, so the cookie is not ``Secure``); tests/asgi/test_accounts_examples.py
drives it.
"""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from coatcheck import Key, MemoryStore, Session, SessionConfig
from coatcheck_asgi import AnyStore, SessionMiddleware, load_session

ADMINS = frozenset({"root"})
"""The users allowed to end other users' sessions (your app has a real role check)."""
RECENT_LOGIN = timedelta(minutes=5)
"""How recently a user must have proved who they are to change their password."""

CONFIG = SessionConfig(
    cookie_name="session",
    cookie_secure=False,  # plain http on 127.0.0.1 only
    subject_key="user_id",
    max_sessions_per_subject=10,
)


class Login(BaseModel):
    """The login form (your app checks a password here)."""

    user_id: str


class SessionView(BaseModel):
    """One line of "your sessions"."""

    id: str
    user_agent: str | None
    created_at: float
    last_active: float
    expires_at: float
    current: bool


class Ended(BaseModel):
    """How many sessions a revocation ended."""

    ended: int


async def get_session(request: Request) -> Session:
    """The request's session, loaded from the store (a FastAPI dependency)."""
    return await load_session(request)


SessionDep = Annotated[Session, Depends(get_session)]


async def index(request: Request, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call the store's index method ``method``, awaiting it on an async store."""
    result = getattr(request.app.state.store, method)(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


def current_user(session: Session) -> str:
    """The logged-in user, or 401."""
    user = session.subject
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return user


async def login(form: Login, session: SessionDep) -> dict[str, str]:
    # A change of subject: coatcheck renews the session key and indexes the session.
    session["user_id"] = form.user_id
    return {"user_id": form.user_id}


async def logout(session: SessionDep) -> dict[str, str]:
    session.purge()
    return {"status": "logged out"}


async def my_sessions(request: Request, session: SessionDep) -> list[SessionView]:
    """Your sessions: every live session of the logged-in user, this one marked."""
    user = current_user(session)
    return [
        SessionView(
            id=info.id,
            user_agent=info.user_agent,
            created_at=info.created_at,
            last_active=info.last_active,
            expires_at=info.expires_at,
            current=info.id == session.id,
        )
        for info in await index(request, "list_sessions", user)
    ]


async def end_my_session(request: Request, session_id: str, session: SessionDep) -> Ended:
    """Log one of your devices out; 404 if that id is not one of your live sessions."""
    user = current_user(session)
    if not await index(request, "revoke", user, session_id):
        raise HTTPException(status_code=404, detail="no such session of yours")
    return Ended(ended=1)


async def end_my_other_sessions(request: Request, session: SessionDep) -> Ended:
    """Log out all your other devices (this one stays logged in)."""
    user = current_user(session)
    return Ended(ended=await index(request, "revoke_all", user, keep=session.id))


async def change_password(session: SessionDep) -> dict[str, str]:
    """A sensitive action: only within minutes of proving who you are."""
    current_user(session)
    if not session.is_fresh(RECENT_LOGIN):
        raise HTTPException(status_code=403, detail="confirm your password first")
    return {"status": "password changed"}


async def confirm_password(session: SessionDep) -> dict[str, str]:
    """The user typed their password again: a step-up (new session key, fresh time)."""
    current_user(session)
    session.mark_authenticated()
    return {"status": "confirmed"}


async def end_all_sessions_of(request: Request, user_id: str, session: SessionDep) -> Ended:
    """Admin: end every session of ``user_id`` (a disabled account, a stolen laptop)."""
    if current_user(session) not in ADMINS:
        raise HTTPException(status_code=403, detail="admins only")
    return Ended(ended=await index(request, "revoke_all", user_id))


def create_app(store: AnyStore | None = None, key: Key | None = None) -> FastAPI:
    """The app, with sessions in ``store`` (default: a `MemoryStore`; in production a
    store that keeps the index across processes, such as coatcheck-redis)."""
    store = MemoryStore() if store is None else store
    app = FastAPI(title="coatcheck accounts")
    app.state.store = store
    app.add_middleware(
        SessionMiddleware,
        store=store,
        key=Key.generate() if key is None else key,
        config=CONFIG,
        lazy=True,
    )
    app.post("/login")(login)
    app.post("/logout")(logout)
    app.get("/me/sessions")(my_sessions)
    app.delete("/me/sessions/{session_id}")(end_my_session)
    app.post("/me/sessions/end-others")(end_my_other_sessions)
    app.post("/me/confirm-password")(confirm_password)
    app.post("/me/password")(change_password)
    app.post("/admin/users/{user_id}/end-sessions")(end_all_sessions_of)
    return app
