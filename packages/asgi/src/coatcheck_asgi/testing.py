"""Test helpers: start a test with a session already in place, and read back what a
response left in it. Flask's ``session_transaction`` for ASGI, with any store.

They work with Starlette's and FastAPI's ``TestClient`` and with ``httpx`` clients over
``ASGITransport``, and take either the `SessionMiddleware` itself or the application
it is installed in (a Starlette or FastAPI app, or any chain of middlewares that keep
the next app in ``.app``)::

    seed_session(client, app, {"user": "ada"})        # the next request is logged in
    response = client.post("/logout")
    assert read_session(app, response) == {}

Each helper goes through the middleware's own store and keys, so it works for the cookie
store (the state is in the cookie) as for server-side stores (the state is saved to and
read from the store). For an async store use the ``*_async`` twins from a test running
on the event loop that serves the app (an async store's connections may belong to that
loop); the plain versions run an async store on a private event loop in a worker thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar, cast

import anyio

from coatcheck import AsyncSessionStore, SessionStore
from coatcheck.sansio import Exchange, run_commands, run_commands_async, sets_cookie

from ._middleware import SessionMiddleware
from ._store_mode import StoreMode

__all__ = [
    "ClientLike",
    "CookieJar",
    "HasCookies",
    "ResponseLike",
    "SessionSource",
    "find_middleware",
    "read_session",
    "read_session_async",
    "seed_session",
    "seed_session_async",
    "session_cookie",
    "session_cookie_async",
]

_T = TypeVar("_T")
_MAX_DEPTH = 64


class CookieJar(Protocol):
    """A client's cookie jar (``httpx.Cookies``)."""

    def set(self, name: str, value: str, domain: str = ..., path: str = ...) -> None:
        """Store a cookie."""
        ...


class _URL(Protocol):
    @property
    def host(self) -> str: ...


class ClientLike(Protocol):
    """A test client: Starlette's ``TestClient``, ``httpx.Client`` or ``httpx.AsyncClient``."""

    @property
    def cookies(self) -> CookieJar:
        """The client's cookie jar."""
        ...

    @property
    def base_url(self) -> _URL:
        """The URL requests are relative to (its host decides the cookie's domain)."""
        ...


class HasCookies(Protocol):
    """Anything with a ``cookies`` mapping, a test client in particular."""

    @property
    def cookies(self) -> Mapping[str, str]:
        """Cookie names to values."""
        ...


class _Headers(Protocol):
    def get_list(self, key: str, split_commas: bool = ...) -> list[str]: ...


class _Request(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


class ResponseLike(Protocol):
    """An ``httpx`` response (what ``TestClient`` returns)."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> _Headers:
        """The response headers (``Set-Cookie`` may repeat)."""
        ...

    @property
    def request(self) -> _Request:
        """The request that produced the response (its ``Cookie`` header)."""
        ...


SessionSource = ResponseLike | HasCookies | Mapping[str, str] | str
"""Where `read_session` finds the session cookie: a response, a client, a cookie mapping
or the cookie's value itself."""


# -- finding the middleware ---------------------------------------------------------------


def _from_declaration(app: object) -> SessionMiddleware | None:
    """Build the middleware a Starlette app declares but has not built yet."""
    for declared in getattr(app, "user_middleware", None) or ():
        cls = getattr(declared, "cls", None)
        if isinstance(cls, type) and issubclass(cls, SessionMiddleware):
            args = getattr(declared, "args", ())
            kwargs = getattr(declared, "kwargs", {})
            # Same store and keys as the one the app will build: state seeded through it
            # is state the app reads.
            return cls(_unreachable_app, *args, **kwargs)
    return None


async def _unreachable_app(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("this SessionMiddleware was built for the test helpers only")


def find_middleware(app: object) -> SessionMiddleware:
    """The `SessionMiddleware` of ``app`` (or ``app`` itself if it is one).

    Follows a Starlette/FastAPI app's middleware stack and any ``.app`` chain. For an app
    whose middleware stack is not built yet (no request served so far), it builds an
    equivalent middleware from the app's declaration, sharing its store and keys.
    """
    current: object = app
    for _ in range(_MAX_DEPTH):
        if isinstance(current, SessionMiddleware):
            return current
        stack = getattr(current, "middleware_stack", None)
        if stack is None:
            declared = _from_declaration(current)
            if declared is not None:
                return declared
            stack = getattr(current, "app", None)
        if stack is None:
            break
        current = stack
    raise TypeError(
        f"no coatcheck_asgi.SessionMiddleware found in {app!r}: pass the middleware itself "
        "or the application it wraps"
    )


# -- running store commands ---------------------------------------------------------------


def _on_private_loop(function: Callable[[], Awaitable[_T]]) -> _T:
    """Run ``function`` on a fresh event loop in a worker thread (any thread may call)."""

    async def main() -> _T:
        return await function()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="coatcheck-testing") as pool:
        return pool.submit(anyio.run, main).result()


def _drive_sync(middleware: SessionMiddleware, exchange: Exchange) -> None:
    if middleware.mode is StoreMode.ASYNC:
        store = cast(AsyncSessionStore, middleware.store)
        _on_private_loop(lambda: run_commands_async(exchange, store))
    else:
        run_commands(exchange, cast(SessionStore, middleware.store))


async def _drive_async(middleware: SessionMiddleware, exchange: Exchange) -> None:
    if middleware.mode is StoreMode.ASYNC:
        await run_commands_async(exchange, cast(AsyncSessionStore, middleware.store))
    else:
        # A test helper may block: a sync store is called directly, even an I/O one.
        _drive_sync(middleware, exchange)


# -- seeding --------------------------------------------------------------------------------


def _begin_seed(middleware: SessionMiddleware, state: Mapping[str, Any]) -> Exchange:
    if not state:
        raise ValueError("an empty session has no cookie: give at least one key to seed")
    return middleware.manager.begin(None)


def _fill_seed(exchange: Exchange, state: Mapping[str, Any], permanent: bool | None) -> None:
    session = exchange.session
    session.update(state)
    if permanent is not None:
        session.permanent = permanent
    exchange.finish()


def _seeded_cookie(middleware: SessionMiddleware, exchange: Exchange) -> tuple[str, str]:
    header = exchange.set_cookie
    assert header is not None, "a non-empty new session always sets its cookie"
    value = header.split(";", 1)[0].partition("=")[2]
    return middleware.manager.config.cookie_name, value


def session_cookie(
    app: object, state: Mapping[str, Any], *, permanent: bool | None = None
) -> tuple[str, str]:
    """Create a session holding ``state``; return its cookie as ``(name, value)``.

    The state is saved through the app's store (for `CookieStore` it lives in the value
    itself) and the value is sealed with the app's key, exactly as if a request had set
    it. ``permanent`` sets `coatcheck.Session.permanent` ("remember me").
    """
    middleware = find_middleware(app)
    exchange = _begin_seed(middleware, state)
    _drive_sync(middleware, exchange)  # nothing to load: only marks the session loaded
    _fill_seed(exchange, state, permanent)
    _drive_sync(middleware, exchange)
    return _seeded_cookie(middleware, exchange)


async def session_cookie_async(
    app: object, state: Mapping[str, Any], *, permanent: bool | None = None
) -> tuple[str, str]:
    """`session_cookie` for async tests: awaits an async store on the running loop."""
    middleware = find_middleware(app)
    exchange = _begin_seed(middleware, state)
    await _drive_async(middleware, exchange)
    _fill_seed(exchange, state, permanent)
    await _drive_async(middleware, exchange)
    return _seeded_cookie(middleware, exchange)


def _jar_domain(middleware: SessionMiddleware, client: ClientLike) -> str:
    """The domain under which the client's jar files the app's own session cookie.

    Seeding under that same domain and path means the app's next ``Set-Cookie`` replaces
    the seeded cookie instead of joining it as a second cookie of the same name.
    """
    configured = middleware.manager.config.cookie_domain
    if configured is not None:
        return "." + configured.lstrip(".")
    host = client.base_url.host
    # http.cookiejar files cookies of dotless hosts ("testserver") under "<host>.local".
    return host if "." in host else host + ".local"


def seed_session(
    client: ClientLike,
    app: object,
    state: Mapping[str, Any],
    *,
    permanent: bool | None = None,
) -> None:
    """Put a session holding ``state`` into ``client``'s cookie jar.

    Works with Starlette's ``TestClient`` and ``httpx`` clients; the cookie is filed
    under the domain and path the app's own cookie will have, so later responses update
    it in place.
    """
    middleware = find_middleware(app)
    name, value = session_cookie(middleware, state, permanent=permanent)
    domain = _jar_domain(middleware, client)
    client.cookies.set(name, value, domain=domain, path=middleware.manager.config.cookie_path)


async def seed_session_async(
    client: ClientLike,
    app: object,
    state: Mapping[str, Any],
    *,
    permanent: bool | None = None,
) -> None:
    """`seed_session` for async tests (awaits an async store on the running loop)."""
    middleware = find_middleware(app)
    name, value = await session_cookie_async(middleware, state, permanent=permanent)
    domain = _jar_domain(middleware, client)
    client.cookies.set(name, value, domain=domain, path=middleware.manager.config.cookie_path)


# -- reading back ---------------------------------------------------------------------------


def _cookie_header(middleware: SessionMiddleware, source: SessionSource) -> str | None:
    """A ``Cookie`` header carrying the session cookie ``source`` holds, or ``None``."""
    name = middleware.manager.config.cookie_name
    if isinstance(source, str):
        return f"{name}={source}"
    if hasattr(source, "status_code") and hasattr(source, "headers"):
        response = cast(ResponseLike, source)
        found: str | None = None
        for header in response.headers.get_list("set-cookie"):
            if sets_cookie(header, name):
                found = header.split(";", 1)[0].partition("=")[2].strip(" \t")
        if found is not None:
            # An empty value is the removal: the response ended the session.
            return f"{name}={found}" if found else None
        # The response left the cookie alone: the session is the one the request sent.
        try:
            request = response.request
        except RuntimeError:
            return None
        return request.headers.get("cookie")
    cookies: Mapping[str, str]
    cookies = source if isinstance(source, Mapping) else source.cookies
    value = cookies.get(name)
    return None if value is None else f"{name}={value}"


def read_session(app: object, source: SessionSource) -> dict[str, Any]:
    """The session state ``source`` leads to, as a plain ``dict`` (empty if none).

    ``source`` is a response (the cookie it set, or else the one its request sent: what
    the client holds after it), a client or cookie mapping (its current session cookie),
    or a cookie value. The state is read through the app's store and keys, so a
    server-side session reads what the store holds now. Nothing is written.
    """
    middleware = find_middleware(app)
    exchange = middleware.manager.begin(_cookie_header(middleware, source))
    _drive_sync(middleware, exchange)
    return exchange.session.copy()


async def read_session_async(app: object, source: SessionSource) -> dict[str, Any]:
    """`read_session` for async tests (awaits an async store on the running loop)."""
    middleware = find_middleware(app)
    exchange = middleware.manager.begin(_cookie_header(middleware, source))
    await _drive_async(middleware, exchange)
    return exchange.session.copy()
