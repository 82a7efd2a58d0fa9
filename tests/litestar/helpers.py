"""Apps, clients and stores shared by the Litestar integration's tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio.lowlevel
import httpx
from litestar import Litestar
from litestar.testing import TestClient
from litestar.types import ControllerRouterHandler, Middleware

from coatcheck import CookieStore, Key, MemoryStore
from coatcheck_asgi import AnyStore
from coatcheck_asgi.litestar import CoatcheckSessionConfig
from coatcheck_testing import AsyncStoreWrapper, RecordingStore

KEY = Key.from_bytes(bytes(range(64)))
BASE_URL = "https://testserver.local"
STORE_KINDS = ("cookie", "memory", "async", "thread")
"""One store per way the middleware drives a store: in the cookie, inline, awaited, in a
worker thread."""


def make_store(kind: str) -> AnyStore:
    """A fresh store of ``kind`` (the I/O ones record their calls: see `recording`)."""
    if kind == "cookie":
        return CookieStore()
    if kind == "memory":
        return MemoryStore()
    if kind == "async":
        return AsyncStoreWrapper(RecordingStore(), checkpoint=anyio.lowlevel.checkpoint)
    if kind == "thread":
        return RecordingStore()
    raise ValueError(kind)


def recording(store: object) -> RecordingStore:
    """The `RecordingStore` behind an I/O store of `make_store`."""
    inner = store.store if isinstance(store, AsyncStoreWrapper) else store
    assert isinstance(inner, RecordingStore)
    return inner


def session_config(store: AnyStore, **kwargs: Any) -> CoatcheckSessionConfig:
    """`CoatcheckSessionConfig` for ``store`` under the test key."""
    return CoatcheckSessionConfig(store=store, key=KEY, **kwargs)


@contextmanager
def client_for(
    handlers: Sequence[ControllerRouterHandler],
    config: CoatcheckSessionConfig | None = None,
    *,
    middleware: Sequence[Middleware] | None = None,
    backend: str = "asyncio",
    **app_kwargs: Any,
) -> Iterator[TestClient[Litestar]]:
    """A Litestar test client (over https, as the default ``Secure`` cookie needs) for an
    app with ``config``'s middleware, or with ``middleware`` as given."""
    listed = list(middleware) if middleware is not None else []
    if config is not None:
        listed.append(config.middleware)
    app = Litestar(route_handlers=list(handlers), middleware=listed, debug=False, **app_kwargs)
    with TestClient(app, base_url=BASE_URL, backend=backend) as client:  # type: ignore[arg-type]
        yield client


def set_cookies(response: httpx.Response) -> list[str]:
    """Every ``Set-Cookie`` header of ``response``."""
    return response.headers.get_list("set-cookie")


def vary_tokens(response: httpx.Response) -> list[str]:
    """The tokens of ``Vary``, lower-cased."""
    return [
        token.strip().lower()
        for value in response.headers.get_list("vary")
        for token in value.split(",")
        if token.strip()
    ]
