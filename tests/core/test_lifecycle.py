"""The stateful lifecycle test: a browser, a clock and an application against each store.

`coatcheck.testing.SessionLifecycle` draws a configuration per run and checks every
request against a plain-dict model (see its module documentation for the invariants).
Under the ``ci`` hypothesis profile it runs hundreds of runs of a hundred steps per store.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

import pytest
from hypothesis import settings

from coatcheck import CookieStore, MemoryStore, SessionManager
from coatcheck.testing import AsyncStoreWrapper, Driver, Handler, Response, SessionLifecycle
from examples.sqlite_store import SQLiteStore

CI = settings.get_current_profile_name() == "ci"
STRONG = settings(stateful_step_count=100 if CI else 40)


def memory_live_keys(store: MemoryStore, now: float) -> set[str]:
    # MemoryStore keeps expired entries until a write reclaims them: count the live ones.
    return {key for key, (_state, expires_at) in store._sessions.items() if now < expires_at}


class MemoryLifecycle(SessionLifecycle):
    def make_store(self) -> MemoryStore:
        return MemoryStore()

    def live_keys(self, store: MemoryStore, now: float) -> Collection[str]:
        return memory_live_keys(store, now)


class CookieLifecycle(SessionLifecycle):
    revocable = False

    def make_store(self) -> CookieStore:
        return CookieStore()


class SQLiteLifecycle(SessionLifecycle):
    def make_store(self) -> SQLiteStore:
        return SQLiteStore(":memory:")

    def close_store(self, store: SQLiteStore) -> None:
        store.close()

    def live_keys(self, store: SQLiteStore, now: float) -> Collection[str]:
        return store.live_keys(now)


class AsyncMemoryLifecycle(SessionLifecycle):
    """The async driver path: `run_commands_async` on the machine's event loop."""

    def make_store(self) -> AsyncStoreWrapper:
        return AsyncStoreWrapper(MemoryStore())

    def live_keys(self, store: AsyncStoreWrapper, now: float) -> Collection[str]:
        assert isinstance(store.store, MemoryStore)
        return memory_live_keys(store.store, now)


class RealClockLifecycle(MemoryLifecycle):
    """The mode for stores with a clock of their own: real time, TTLs of days."""

    real_clock = True


TestMemoryLifecycle = MemoryLifecycle.TestCase
TestMemoryLifecycle.settings = STRONG
TestCookieLifecycle = CookieLifecycle.TestCase
TestCookieLifecycle.settings = STRONG
TestSQLiteLifecycle = SQLiteLifecycle.TestCase
TestSQLiteLifecycle.settings = STRONG
TestAsyncMemoryLifecycle = AsyncMemoryLifecycle.TestCase
TestAsyncMemoryLifecycle.settings = STRONG
TestRealClockLifecycle = RealClockLifecycle.TestCase
TestRealClockLifecycle.settings = settings(max_examples=25, stateful_step_count=40)


# -- the same machine through the adapters' real middleware ----------------------------
#
# The adapters build their own `SessionManager`; the drivers swap in the machine's (its
# clock and token source) through the middleware's ``manager`` attribute.

HAS_ASGI = importlib.util.find_spec("coatcheck_asgi") is not None
HAS_WSGI = importlib.util.find_spec("coatcheck_wsgi") is not None
ADAPTER = settings(max_examples=100 if CI else 20, stateful_step_count=100 if CI else 40)


class ASGIDriver:
    """Sends each request through `coatcheck_asgi.SessionMiddleware` around a tiny app."""

    def __init__(
        self,
        manager: SessionManager,
        store: Any,
        run: Callable[[Awaitable[None]], None],
        *,
        lazy: bool,
    ) -> None:
        from coatcheck_asgi import SessionMiddleware, load_session

        self._run = run
        self._handler: Handler | None = None

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if self._handler is not None:
                await load_session(scope)
                self._handler(scope["session"])
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"vary", b"Accept")]}
            )
            await send({"type": "http.response.body", "body": b"ok"})

        self.middleware = SessionMiddleware(
            app, store=store, key=manager.keys, config=manager.config, lazy=lazy
        )
        self.middleware.manager = manager

    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        self._handler = handler
        headers = [] if cookie_header is None else [(b"cookie", cookie_header.encode("latin-1"))]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "https",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 443),
        }
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        self._run(self.middleware(scope, receive, send))
        start = sent[0]
        assert start["status"] == 200, start
        return Response(
            tuple(v.decode("latin-1") for k, v in start["headers"] if k == b"set-cookie"),
            any(k == b"vary" and b"cookie" in v.lower() for k, v in start["headers"]),
        )

    def close(self) -> None:
        pass


class WSGIDriver:
    """Sends each request through `coatcheck_wsgi.SessionMiddleware` around a tiny app."""

    def __init__(self, manager: SessionManager, store: Any) -> None:
        from coatcheck_wsgi import SessionMiddleware

        self._handler: Handler | None = None

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            if self._handler is not None:
                self._handler(environ["coatcheck.session"])
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        self.middleware = SessionMiddleware(
            app, store=store, key=manager.keys, config=manager.config
        )
        self.middleware.manager = manager

    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        self._handler = handler
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443",
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(),
        }
        if cookie_header is not None:
            environ["HTTP_COOKIE"] = cookie_header
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started.append((status, headers))
            return lambda data: None

        body = self.middleware(environ, start_response)
        try:
            assert b"".join(body) == b"ok"
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        status, headers = started[0]
        assert status == "200 OK", status
        return Response(
            tuple(v for k, v in headers if k.lower() == "set-cookie"),
            any(k.lower() == "vary" and "cookie" in v.lower() for k, v in headers),
        )

    def close(self) -> None:
        pass


class ASGIInlineLifecycle(MemoryLifecycle):
    """MemoryStore under ASGI: read inline on first access."""

    eager_load = False

    def make_driver(self, manager: SessionManager, store: Any) -> Driver:
        return ASGIDriver(manager, store, self.run_async, lazy=False)


class ASGIAsyncStoreLifecycle(AsyncMemoryLifecycle):
    """An async I/O store under ASGI: loaded before the application runs."""

    eager_load = True

    def make_driver(self, manager: SessionManager, store: Any) -> Driver:
        return ASGIDriver(manager, store, self.run_async, lazy=False)


class ASGILazySQLiteLifecycle(SQLiteLifecycle):
    """A sync I/O store under ASGI, lazy: loaded in a worker thread by `load_session`."""

    eager_load = False

    def make_driver(self, manager: SessionManager, store: Any) -> Driver:
        return ASGIDriver(manager, store, self.run_async, lazy=True)


class WSGISQLiteLifecycle(SQLiteLifecycle):
    """SQLite under WSGI: read on first access."""

    eager_load = False

    def make_driver(self, manager: SessionManager, store: Any) -> Driver:
        return WSGIDriver(manager, store)


TestASGIInlineLifecycle = ASGIInlineLifecycle.TestCase
TestASGIAsyncStoreLifecycle = ASGIAsyncStoreLifecycle.TestCase
TestASGILazySQLiteLifecycle = ASGILazySQLiteLifecycle.TestCase
TestWSGISQLiteLifecycle = WSGISQLiteLifecycle.TestCase
for adapter_case, installed in (
    (TestASGIInlineLifecycle, HAS_ASGI),
    (TestASGIAsyncStoreLifecycle, HAS_ASGI),
    (TestASGILazySQLiteLifecycle, HAS_ASGI),
    (TestWSGISQLiteLifecycle, HAS_WSGI),
):
    adapter_case.settings = ADAPTER
    if not installed:
        pytest.mark.skip(reason="the adapter package is not installed")(adapter_case)
del adapter_case, installed  # not a test of its own
