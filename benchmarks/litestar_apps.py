"""The Litestar apps: one Litestar app, bare or with one session backend.

Litestar's own client-side backend (``CookieBackendConfig``: AES-GCM in the cookie) and
server-side backend (``ServerSideSessionConfig`` with its ``MemoryStore``) beside
coatcheck's `CoatcheckSessionConfig` with `CookieStore` and `MemoryStore`. Every app has
the routes of `scenarios` on the same Litestar stack; only the session layer differs.

Their floor is the bare *Litestar* app (`FRAMEWORK`): Litestar's own per-request cost is
not a session's. The rows alone::

    python -m benchmarks --groups asgi --apps '*litestar*'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .app_spec import AppSpec, BuildContext, Family, Interface
from .scenarios import READ_KEY, SECRET, WRITE_KEY, StateSize, next_write_value, state_for

if TYPE_CHECKING:
    # Litestar resolves handler annotations itself, with its own names (``Request``)
    # in scope: the import stays lazy, so the bench runs without Litestar installed.
    from litestar import Request

__all__ = ["FRAMEWORK", "LITESTAR_APPS"]

FRAMEWORK = "Litestar"

_OK = "ok"
# CookieBackendConfig takes a 16, 24 or 32-byte AES key.
_LITESTAR_SECRET = SECRET.encode()[:32]


def _litestar(handlers: Sequence[Any], middleware: Sequence[Any] = ()) -> Any:
    from litestar import Litestar

    return Litestar(route_handlers=list(handlers), middleware=list(middleware), debug=False)


def _handlers() -> list[Any]:
    """The scenario routes, touching ``request.session``."""
    from litestar import MediaType, get

    text = MediaType.TEXT

    @get("/untouched", media_type=text, sync_to_thread=False)
    def untouched() -> str:
        return _OK

    @get("/read", media_type=text, sync_to_thread=False)
    def read(request: Request[Any, Any, Any]) -> str:
        return str(request.session[READ_KEY])

    @get("/write", media_type=text, sync_to_thread=False)
    def write(request: Request[Any, Any, Any]) -> str:
        request.session[WRITE_KEY] = next_write_value()
        return _OK

    def create(size: StateSize) -> Any:
        state = state_for(size)

        @get(f"/create-{size.value}", media_type=text, sync_to_thread=False)
        def handler(request: Request[Any, Any, Any]) -> str:
            request.session.update(state)
            return _OK

        return handler

    @get("/visits", media_type=text, sync_to_thread=False)
    def visits(request: Request[Any, Any, Any]) -> str:
        return str(request.session.get(WRITE_KEY))

    return [untouched, read, write, create(StateSize.SMALL), create(StateSize.MEDIUM), visits]


def _bare_handlers() -> list[Any]:
    """The same routes doing the same non-session work: the floor."""
    from litestar import MediaType, get

    value = str(state_for(StateSize.SMALL)[READ_KEY])
    text = MediaType.TEXT

    def constant(path: str) -> Any:
        @get(path, media_type=text, sync_to_thread=False)
        def handler() -> str:
            return _OK

        return handler

    @get("/read", media_type=text, sync_to_thread=False)
    def read() -> str:
        return value

    @get("/write", media_type=text, sync_to_thread=False)
    def write() -> str:
        next_write_value()
        return _OK

    paths = ("/untouched", "/create-small", "/create-medium", "/visits")
    return [read, write, *(constant(path) for path in paths)]


def _bare(context: BuildContext) -> Any:
    return _litestar(_bare_handlers())


def _client_side(context: BuildContext) -> Any:
    from litestar.middleware.session.client_side import CookieBackendConfig

    config = CookieBackendConfig(secret=_LITESTAR_SECRET, secure=False)
    return _litestar(_handlers(), [config.middleware])


def _server_side(context: BuildContext) -> Any:
    from litestar.middleware.session.server_side import ServerSideSessionConfig
    from litestar.stores.memory import MemoryStore

    config = ServerSideSessionConfig(secure=False)
    app = _litestar(_handlers(), [config.middleware])
    app.stores.register("sessions", MemoryStore(), allow_override=True)
    return app


def _coatcheck(store_kind: str) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        from coatcheck import CookieStore, Key, MemoryStore
        from coatcheck_asgi.litestar import CoatcheckSessionConfig

        store = CookieStore() if store_kind == "cookie" else MemoryStore()
        config = CoatcheckSessionConfig(store=store, key=Key.derive_from(SECRET))
        return _litestar(_handlers(), [config.middleware])

    return build


_CLIENT_SIDE = "litestar-client-side"
_SERVER_SIDE = "litestar-server-side-memory"
_REQUIRES = ("litestar",)
LITESTAR_APPS: tuple[AppSpec, ...] = (
    AppSpec(
        "litestar-bare",
        Interface.ASGI,
        Family.FLOOR,
        _bare,
        requires=_REQUIRES,
        description="Litestar app, no session middleware (the Litestar floor)",
    ),
    AppSpec(
        _CLIENT_SIDE,
        Interface.ASGI,
        Family.COOKIE,
        _client_side,
        requires=(*_REQUIRES, "cryptography"),
        reference=_CLIENT_SIDE,
        description="Litestar's CookieBackendConfig (AES-GCM in the cookie)",
    ),
    AppSpec(
        "coatcheck-litestar-cookie",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("cookie"),
        requires=_REQUIRES,
        reference=_CLIENT_SIDE,
        coatcheck=True,
        description="coatcheck_asgi.litestar.CoatcheckSessionConfig, CookieStore",
    ),
    AppSpec(
        _SERVER_SIDE,
        Interface.ASGI,
        Family.COOKIE,
        _server_side,
        requires=_REQUIRES,
        reference=_SERVER_SIDE,
        description="Litestar's ServerSideSessionConfig with its MemoryStore",
    ),
    AppSpec(
        "coatcheck-litestar-memory",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("memory"),
        requires=_REQUIRES,
        reference=_SERVER_SIDE,
        coatcheck=True,
        description="coatcheck_asgi.litestar.CoatcheckSessionConfig, MemoryStore",
    ),
)
