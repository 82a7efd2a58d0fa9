"""Stores, clients and apps shared by the ASGI adapter's tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, Protocol

import anyio
import anyio.from_thread
import anyio.lowlevel
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route

from coatcheck import Key, Session, SessionConfig
from coatcheck_asgi import AnyStore, ErrorHandler, SessionMiddleware
from coatcheck_testing import AsyncStoreWrapper, RecordingStore, StoreFailure

__all__ = ["AsyncStoreWrapper", "RecordingStore", "StoreFailure", "async_store", "recording"]

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its TestClient and says so on import;
    # the plain httpx it falls back to is the one the suite pins.
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient as TestClient
    from starlette.testclient import WebSocketDenialResponse as WebSocketDenialResponse

KEY = Key.from_bytes(bytes(range(64)))
OTHER_KEY = Key.from_bytes(bytes(range(64, 128)))
INSECURE = SessionConfig(cookie_secure=False)
Backend = Literal["asyncio", "trio"]
BACKENDS: tuple[Backend, ...] = ("asyncio", "trio")
CLIENT_KINDS: list[tuple[str, Backend]] = [
    (kind, backend) for kind in ("testclient", "httpx") for backend in BACKENDS
]
BASE_URL = "https://testserver"


def async_store(*, fail_on: set[str] | None = None) -> AsyncStoreWrapper:
    """An async I/O store that records its calls (in ``.store``) and yields to the loop."""
    return AsyncStoreWrapper(RecordingStore(fail_on=fail_on), checkpoint=anyio.lowlevel.checkpoint)


def recording(store: object) -> RecordingStore:
    """The `RecordingStore` behind a store of these tests (sync, or wrapped async)."""
    inner = store.store if isinstance(store, AsyncStoreWrapper) else store
    assert isinstance(inner, RecordingStore)
    return inner


class Client(Protocol):
    """What the behavioural tests need from a client: requests and a cookie jar."""

    @property
    def cookies(self) -> httpx.Cookies: ...

    @property
    def base_url(self) -> httpx.URL: ...

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response: ...

    def get(self, url: str, **kwargs: Any) -> httpx.Response: ...

    def post(self, url: str, **kwargs: Any) -> httpx.Response: ...


class PortalClient:
    """An ``httpx.AsyncClient`` over ``ASGITransport``, driven from sync test code.

    The client lives on an event loop of the chosen backend in a worker thread (a
    blocking portal), exactly as Starlette's TestClient runs the app.
    """

    def __init__(self, portal: anyio.from_thread.BlockingPortal, client: httpx.AsyncClient):
        self._portal = portal
        self._client = client

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        return self._portal.call(call)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@contextmanager
def open_client(
    app: Any,
    kind: str,
    backend: Backend,
    *,
    base_url: str = BASE_URL,
    raise_server_exceptions: bool = True,
) -> Iterator[Client]:
    """A client for ``app``: Starlette's TestClient or httpx over ASGITransport."""
    if kind == "testclient":
        with TestClient(
            app,
            base_url=base_url,
            backend=backend,
            raise_server_exceptions=raise_server_exceptions,
        ) as client:
            yield client
        return
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_server_exceptions)
    with anyio.from_thread.start_blocking_portal(backend) as portal:
        client = httpx.AsyncClient(transport=transport, base_url=base_url)
        try:
            yield PortalClient(portal, client)
        finally:
            portal.call(client.aclose)


def set_cookies(response: httpx.Response) -> list[str]:
    """Every ``Set-Cookie`` header value of ``response``."""
    return response.headers.get_list("set-cookie")


def cookie_attributes(header: str) -> dict[str, str]:
    """The attributes of one ``Set-Cookie`` value, names lower-cased (flags map to "")."""
    attributes: dict[str, str] = {}
    for piece in header.split(";")[1:]:
        name, _, value = piece.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def vary_tokens(response: httpx.Response) -> list[str]:
    """Every token of every ``Vary`` header, lower-cased, in order."""
    return [
        token.strip().lower()
        for value in response.headers.get_list("vary")
        for token in value.split(",")
        if token.strip()
    ]


def session_routes() -> list[Route]:
    """Endpoints that do one thing each to ``request.session``, answering its contents."""

    def show(request: Request) -> JSONResponse:
        return JSONResponse(dict(request.session))

    async def untouched(request: Request) -> PlainTextResponse:
        return PlainTextResponse("untouched")

    async def read(request: Request) -> JSONResponse:
        return show(request)

    async def update(request: Request) -> JSONResponse:
        request.session.update(await request.json())
        return show(request)

    async def remove(request: Request) -> JSONResponse:
        request.session.pop(request.path_params["key"], None)
        return show(request)

    async def clear(request: Request) -> JSONResponse:
        request.session.clear()
        return show(request)

    async def purge(request: Request) -> JSONResponse:
        coatcheck_session(request).purge()
        return show(request)

    async def renew(request: Request) -> JSONResponse:
        coatcheck_session(request).renew()
        return show(request)

    async def permanent(request: Request) -> JSONResponse:
        coatcheck_session(request).permanent = request.path_params["flag"] == "on"
        return show(request)

    return [
        Route("/untouched", untouched),
        Route("/read", read),
        Route("/update", update, methods=["POST"]),
        Route("/remove/{key}", remove, methods=["POST"]),
        Route("/clear", clear, methods=["POST"]),
        Route("/purge", purge, methods=["POST"]),
        Route("/renew", renew, methods=["POST"]),
        Route("/permanent/{flag}", permanent, methods=["POST"]),
    ]


def coatcheck_session(request: Request) -> Session:
    """``request.session``, typed as the coatcheck `Session` it is."""
    session = request.session
    assert isinstance(session, Session)
    return session


def session_app(
    store: AnyStore,
    *,
    key: Key | list[Key] = KEY,
    config: SessionConfig | None = None,
    lazy: bool = False,
    on_error: ErrorHandler | None = None,
    routes: Sequence[BaseRoute] | None = None,
) -> Starlette:
    """A Starlette app with `session_routes` (or ``routes``) behind our middleware."""
    return Starlette(
        routes=session_routes() if routes is None else routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                store=store,
                key=key,
                config=config,
                lazy=lazy,
                on_error=on_error,
            )
        ],
    )
