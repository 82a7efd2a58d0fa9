"""The lifecycle machine through the adapters' real middleware (ASGI and WSGI).

Each client hands the middleware the machine's `SessionManager` (``manager=``), so the
machine's clock and token source drive the adapter exactly as they drive the core, and
answers with the status the handler returns (``server_errors``: a 500 persists nothing).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hypothesis import settings

from coatcheck import SessionManager
from coatcheck_asgi import SessionMiddleware as ASGISessionMiddleware
from coatcheck_asgi import load_session
from coatcheck_testing import Client, Handler, Response
from coatcheck_wsgi import SessionMiddleware as WSGISessionMiddleware
from tests.core.test_lifecycle import AsyncMemoryLifecycle, MemoryLifecycle, SQLiteLifecycle

CI = settings.get_current_profile_name() == "ci"
ADAPTER = settings(max_examples=100 if CI else 20, stateful_step_count=100 if CI else 40)


class ASGIClient:
    """Sends each request through `coatcheck_asgi.SessionMiddleware` around a tiny app."""

    def __init__(
        self,
        manager: SessionManager,
        store: Any,
        run: Callable[[Awaitable[None]], None],
        *,
        lazy: bool,
    ) -> None:
        self._run = run
        self._handler: Handler | None = None
        self._status = 200

        async def app(scope: Any, receive: Any, send: Any) -> None:
            status = None
            if self._handler is not None:
                await load_session(scope)
                status = self._handler(scope["session"])
            self._status = status or 200
            await send(
                {
                    "type": "http.response.start",
                    "status": self._status,
                    "headers": [(b"vary", b"Accept")],
                }
            )
            await send({"type": "http.response.body", "body": b"ok"})

        self.middleware = ASGISessionMiddleware(app, store=store, manager=manager, lazy=lazy)

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
        assert start["status"] == self._status, start
        return Response(
            tuple(v.decode("latin-1") for k, v in start["headers"] if k == b"set-cookie"),
            any(k == b"vary" and b"cookie" in v.lower() for k, v in start["headers"]),
        )

    def close(self) -> None:
        pass


class WSGIClient:
    """Sends each request through `coatcheck_wsgi.SessionMiddleware` around a tiny app."""

    def __init__(self, manager: SessionManager, store: Any) -> None:
        self._handler: Handler | None = None
        self._status = "200 OK"

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            status = None
            if self._handler is not None:
                status = self._handler(environ["coatcheck.session"])
            self._status = "200 OK" if status is None else f"{status} Server Error"
            start_response(self._status, [("Content-Type", "text/plain")])
            return [b"ok"]

        self.middleware = WSGISessionMiddleware(app, store=store, manager=manager)

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
        assert status == self._status, status
        return Response(
            tuple(v for k, v in headers if k.lower() == "set-cookie"),
            any(k.lower() == "vary" and "cookie" in v.lower() for k, v in headers),
        )

    def close(self) -> None:
        pass


class ASGIInlineLifecycle(MemoryLifecycle):
    """MemoryStore under ASGI: read inline on first access."""

    eager_load = False
    server_errors = True

    def make_client(self, manager: SessionManager, store: Any) -> Client:
        return ASGIClient(manager, store, self.run_async, lazy=False)


class ASGIAsyncStoreLifecycle(AsyncMemoryLifecycle):
    """An async I/O store under ASGI: loaded before the application runs."""

    eager_load = True
    server_errors = True

    def make_client(self, manager: SessionManager, store: Any) -> Client:
        return ASGIClient(manager, store, self.run_async, lazy=False)


class ASGILazySQLiteLifecycle(SQLiteLifecycle):
    """A sync I/O store under ASGI, lazy: loaded in a worker thread by `load_session`."""

    eager_load = False
    server_errors = True

    def make_client(self, manager: SessionManager, store: Any) -> Client:
        return ASGIClient(manager, store, self.run_async, lazy=True)


class WSGISQLiteLifecycle(SQLiteLifecycle):
    """SQLite under WSGI: read on first access."""

    eager_load = False
    server_errors = True

    def make_client(self, manager: SessionManager, store: Any) -> Client:
        return WSGIClient(manager, store)


TestASGIInlineLifecycle = ASGIInlineLifecycle.TestCase
TestASGIAsyncStoreLifecycle = ASGIAsyncStoreLifecycle.TestCase
TestASGILazySQLiteLifecycle = ASGILazySQLiteLifecycle.TestCase
TestWSGISQLiteLifecycle = WSGISQLiteLifecycle.TestCase
for adapter_case in (
    TestASGIInlineLifecycle,
    TestASGIAsyncStoreLifecycle,
    TestASGILazySQLiteLifecycle,
    TestWSGISQLiteLifecycle,
):
    adapter_case.settings = ADAPTER
