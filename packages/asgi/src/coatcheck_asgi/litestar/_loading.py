"""Lazy loading in Litestar: the `UnloadedSession` placeholder and `loaded_session`.

With ``lazy=True`` and a store that does I/O nothing is read before the handler. A lazy
`coatcheck.Session` refuses every Python-level use until it is loaded, but a handler
that *returns* ``request.session`` has it serialized by msgspec, which reads a ``dict``
subclass's raw storage: an unloaded session would go out as ``{}``. So until it is
loaded, ``request.session`` is an `UnloadedSession`, which is no ``dict`` at all: every
use raises `coatcheck.SessionNotLoadedError`, and returning it fails loudly (msgspec
cannot encode it) instead of answering ``{}``. ``await loaded_session(request)`` loads
the state and puts the real session in its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, cast

from coatcheck import Session, SessionNotLoadedError
from coatcheck_asgi import HasScope, Scope
from coatcheck_asgi._lazy import LAZY_SCOPE_KEY, LazyLoad

__all__ = [
    "SESSION_SCOPE_KEY",
    "UNLOADED",
    "UnloadedSession",
    "ensure_loaded",
    "loaded_session",
    "real_session",
]

SESSION_SCOPE_KEY = "coatcheck.litestar.session"
"""The scope key holding the request's `coatcheck.Session`, whatever ``scope["session"]``
holds (a placeholder, or what ``set_session`` put there)."""

_MESSAGE = (
    "the session is loaded lazily (CoatcheckSessionConfig(lazy=True)) and was used before "
    "it was loaded: call `await coatcheck_asgi.litestar.loaded_session(request)` first (or "
    "use lazy=False to load it before every handler)"
)


class UnloadedSession:
    """``request.session`` in lazy mode until ``await loaded_session(request)``: any use
    raises `coatcheck.SessionNotLoadedError` (``set_session`` and ``clear_session`` still
    work: they replace it)."""

    __slots__ = ()

    def _refuse(self, *args: object) -> NoReturn:
        raise SessionNotLoadedError(_MESSAGE)

    __getitem__ = __setitem__ = __delitem__ = __contains__ = _refuse
    __iter__ = __len__ = __bool__ = _refuse
    get = keys = values = items = pop = popitem = setdefault = update = clear = _refuse

    def __repr__(self) -> str:
        return "<UnloadedSession: await coatcheck_asgi.litestar.loaded_session(request)>"


UNLOADED = UnloadedSession()
"""The one placeholder (it holds nothing of any request)."""


def real_session(scope: Mapping[str, Any]) -> Session:
    """The request's `coatcheck.Session`, whatever ``scope["session"]`` holds now."""
    session = scope.get(SESSION_SCOPE_KEY)
    if not isinstance(session, Session):
        raise RuntimeError(
            "no coatcheck session in this scope: is CoatcheckSessionConfig.middleware "
            "installed on this route (and not excluded)?"
        )
    return session


async def ensure_loaded(scope: Scope) -> Session:
    """Load the request's session if it is lazy and unloaded; put it in place of the
    placeholder. Raises `coatcheck.SessionStoreError` if the store fails."""
    session = real_session(scope)
    lazy = scope.get(LAZY_SCOPE_KEY)
    if isinstance(lazy, LazyLoad) and lazy.exchange.session is session:
        await lazy.load()
    if scope.get("session") is UNLOADED:
        scope["session"] = session
    return session


async def loaded_session(connection: HasScope | Scope) -> Session:
    """Load the request's session from the store (if needed) and return it.

    Pass a Litestar ``Request`` or ``WebSocket`` (or the ASGI scope). In lazy mode this is
    the one call that reads the store, after which ``request.session`` is the loaded
    session; everywhere else it is a cheap no-op, so code can call it unconditionally.
    Raises `coatcheck.SessionStoreError` if the store fails: left unhandled, the
    middleware answers 500 (or what ``on_error`` returns).
    """
    found = getattr(connection, "scope", None)
    scope = cast(Scope, connection if found is None else found)
    return await ensure_loaded(scope)
