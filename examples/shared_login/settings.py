"""`shared_session_config`: the one place the two apps' session settings come from.

The Flask pages and the FastAPI API read and write the same sessions, so they must agree
on everything that makes a session readable: the key the cookie is sealed with, the
cookie's name, path and attributes, the lifetimes, and the serializer that turns each
session value into the text the store keeps. `shared_session_config` builds all of it
once, and `SharedSession.manager` builds each app's `coatcheck.SessionManager` from it, so
neither app has a setting of its own that could drift.

The serializer rule
-------------------
Both apps use one serializer object: Flask's tagged JSON (`FlaskTaggedJSON`). Whatever one
app writes, the other reads back as the same value of the same types: a tuple Flask's
``flash()`` stores stays a tuple on the FastAPI side, and a dict the API writes is never
mistaken for one of Flask's tags. For JSON-native values (``str``, ``int``, finite
``float``, ``bool``, ``None``, lists, and dicts with ``str`` keys that are not a single
tag-like key such as ``" t"``) the stored text is plain JSON, so a third reader with a
plain JSON parser reads them alike too; `is_json_native` says which values those are.
``tests/shared_login/test_serializer_rule.py`` proves both statements over generated
values, and that `is_json_native` is exact: plain JSON reads every other value
differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask.sessions import session_json_serializer

from coatcheck import (
    BrowserSession,
    Key,
    PersistentSession,
    Session,
    SessionConfig,
    SessionManager,
)
from coatcheck_asgi import AnyStore
from coatcheck_wsgi.flask import FlaskTaggedJSON

__all__ = ["COOKIE_NAME", "SharedSession", "is_json_native", "shared_session_config"]

COOKIE_NAME = "shared_session"
"""The session cookie both apps read and write."""


@dataclass(frozen=True)
class SharedSession:
    """The key and configuration both apps build their session managers from."""

    key: Key
    """The key the session cookie is sealed with."""
    config: SessionConfig
    """Cookie, lifetimes and serializer (one serializer object for both apps)."""

    def manager(self, store: AnyStore, *, session_class: type[Session] = Session) -> SessionManager:
        """A `coatcheck.SessionManager` for ``store`` with exactly this key and config.

        The Flask side passes ``session_class=FlaskSession`` (Flask's session interface
        needs its sessions to be Flask's ``SessionMixin``); the FastAPI side keeps the
        default `coatcheck.Session`. Everything else is the same for both.
        """
        return SessionManager(
            key=self.key, store=store, config=self.config, session_class=session_class
        )


def shared_session_config(
    secret: str | bytes,
    *,
    secure: bool = True,
    idle_timeout: timedelta = timedelta(hours=2),
    remember_for: timedelta = timedelta(days=14),
) -> SharedSession:
    """The session settings of both apps, from one ``secret``.

    ``secure=False`` only for plain http on a developer's machine. A session lives
    ``idle_timeout`` after its last change and ends with the browser; one marked
    ``permanent`` ("remember me") lives ``remember_for``.
    """
    return SharedSession(
        key=Key.derive_from(secret),
        config=SessionConfig(
            cookie_name=COOKIE_NAME,
            cookie_path="/",
            cookie_secure=secure,
            cookie_http_only=True,
            cookie_same_site="lax",
            lifecycle=BrowserSession(state_ttl=idle_timeout),
            permanent_lifecycle=PersistentSession(session_ttl=remember_for),
            serializer=FlaskTaggedJSON(),
        ),
    )


_TAGGER = session_json_serializer
"""Flask's session tagger (the one `FlaskTaggedJSON` uses); its tags' keys (``" t"``,
``" b"``, ...) are read at each call, so tags an app registers later count: a dict whose
only key is one of them is tagged."""


def is_json_native(value: Any) -> bool:
    """Whether the shared serializer writes ``value`` as plain JSON that any JSON reader
    parses back to an equal value of the same types.

    True for ``str``, ``int``, ``bool``, ``None``, finite ``float``, and lists and dicts
    (``str`` keys) of such values, except a dict whose only key is one of Flask's tag
    keys. False for everything else Flask's tagged JSON stores (tuples, bytes, `Markup`,
    UUIDs, datetimes, NaN and the infinities), which only a tagged-JSON reader reads back.
    """
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(is_json_native(item) for item in value)
    if kind is dict:
        if len(value) == 1 and next(iter(value)) in _TAGGER.tags:
            return False
        return all(type(key) is str and is_json_native(item) for key, item in value.items())
    return False
