"""Accounts with Flask: "your sessions", "log out my other devices", and an admin's
"end every session of user X".

``flask.session`` is coatcheck's. A ready `coatcheck.SessionManager` (built with
``session_class=FlaskSession``) brings the account settings: ``subject_key="user_id"``
makes the value under ``"user_id"`` the session's *subject*, so logging in is one
assignment (the change of subject renews the session key by itself) and the store
indexes the session under the user, with the request's ``User-Agent``. The index methods
live on the (synchronous) store, `coatcheck.SessionIndex`::

    store.list_sessions(user_id)               # [SessionInfo, ...], newest first
    store.revoke(user_id, session_id)          # False if not one of theirs
    store.revoke_all(user_id, keep=session.id)

A revoked session is gone on its next request: an empty session and a removed cookie.
Run it with ``flask --app examples.accounts_flask:create_app run`` (plain http on
127.0.0.1, so the cookie is not ``Secure``); tests/wsgi/test_accounts_example.py drives
it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import cast

import flask

from coatcheck import Key, MemoryStore, SessionConfig, SessionIndex, SessionManager, SessionStore
from coatcheck_wsgi.flask import FlaskSession, FlaskSessionInterface

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


def session() -> FlaskSession:
    """``flask.session``, typed as what it is under coatcheck."""
    return cast(FlaskSession, flask.session)


def sessions_index() -> SessionIndex:
    """The app's store, seen as the session index it keeps."""
    store = flask.current_app.extensions["coatcheck_store"]
    assert isinstance(store, SessionIndex)
    return store


def current_user() -> str:
    """The logged-in user, or 401."""
    user = session().subject
    if user is None:
        flask.abort(401, "log in first")
    return user


def login() -> flask.Response:
    user_id = str(flask.request.form["user_id"])
    # A change of subject: coatcheck renews the session key and indexes the session.
    session()["user_id"] = user_id
    return flask.jsonify(user_id=user_id)


def logout() -> flask.Response:
    session().purge()
    return flask.jsonify(status="logged out")


def my_sessions() -> flask.Response:
    """Your sessions: every live session of the logged-in user, this one marked."""
    user = current_user()
    this = session().id
    return flask.jsonify(
        [
            {
                "id": info.id,
                "user_agent": info.user_agent,
                "created_at": info.created_at,
                "last_active": info.last_active,
                "expires_at": info.expires_at,
                "current": info.id == this,
            }
            for info in sessions_index().list_sessions(user)
        ]
    )


def end_my_session(session_id: str) -> flask.Response:
    """Log one of your devices out; 404 if that id is not one of your live sessions."""
    if not sessions_index().revoke(current_user(), session_id):
        flask.abort(404, "no such session of yours")
    return flask.jsonify(ended=1)


def end_my_other_sessions() -> flask.Response:
    """Log out all your other devices (this one stays logged in)."""
    ended = sessions_index().revoke_all(current_user(), keep=session().id)
    return flask.jsonify(ended=ended)


def confirm_password() -> flask.Response:
    """The user typed their password again: a step-up (new session key, fresh time)."""
    current_user()
    session().mark_authenticated()
    return flask.jsonify(status="confirmed")


def change_password() -> flask.Response:
    """A sensitive action: only within minutes of proving who you are."""
    current_user()
    if not session().is_fresh(RECENT_LOGIN):
        flask.abort(403, "confirm your password first")
    return flask.jsonify(status="password changed")


def end_all_sessions_of(user_id: str) -> flask.Response:
    """Admin: end every session of ``user_id`` (a disabled account, a stolen laptop)."""
    if current_user() not in ADMINS:
        flask.abort(403, "admins only")
    return flask.jsonify(ended=sessions_index().revoke_all(user_id))


def create_app(store: SessionStore | None = None, key: Key | None = None) -> flask.Flask:
    """The app, with sessions in ``store`` (default: a `MemoryStore`; in production a
    store that keeps the index across processes, such as coatcheck-redis's
    ``RedisStore``). The key comes from ``COATCHECK_KEY`` (base64) unless given."""
    store = MemoryStore() if store is None else store
    if key is None:
        encoded = os.environ.get("COATCHECK_KEY")
        key = Key.from_base64(encoded) if encoded else Key.generate()
    app = flask.Flask(__name__)
    manager = SessionManager(key=key, store=store, config=CONFIG, session_class=FlaskSession)
    app.session_interface = FlaskSessionInterface(store, manager=manager)
    app.extensions["coatcheck_store"] = store
    app.post("/login")(login)
    app.post("/logout")(logout)
    app.get("/me/sessions")(my_sessions)
    app.delete("/me/sessions/<session_id>")(end_my_session)
    app.post("/me/sessions/end-others")(end_my_other_sessions)
    app.post("/me/confirm-password")(confirm_password)
    app.post("/me/password")(change_password)
    app.post("/admin/users/<user_id>/end-sessions")(end_all_sessions_of)
    return app
