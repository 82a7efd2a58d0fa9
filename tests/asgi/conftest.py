"""Fixtures of the ASGI adapter's tests: every client on both anyio backends, every store."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from coatcheck import CookieStore, MemoryStore
from coatcheck_asgi import AnyStore

from .helpers import (
    BACKENDS,
    CLIENT_KINDS,
    Client,
    RecordingStore,
    async_store,
    open_client,
)

STORE_KINDS = ("cookie", "memory", "async", "thread")

OpenClient = Callable[..., AbstractContextManager[Client]]


def make_store(kind: str) -> AnyStore:
    """A fresh store: inline (cookie, memory), awaited (async) or in a thread (thread)."""
    if kind == "cookie":
        return CookieStore()
    if kind == "memory":
        return MemoryStore()
    if kind == "async":
        return async_store()
    if kind == "thread":
        return RecordingStore()
    raise ValueError(kind)


@pytest.fixture(params=BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Native async tests run on asyncio and on trio."""
    backend: str = request.param
    return backend


@pytest.fixture(params=CLIENT_KINDS, ids=[f"{kind}-{backend}" for kind, backend in CLIENT_KINDS])
def client_for(request: pytest.FixtureRequest) -> OpenClient:
    """Opens a client for an app: Starlette's TestClient or httpx, on asyncio or trio."""
    kind, backend = request.param

    def opener(app: Any, **kwargs: Any) -> AbstractContextManager[Client]:
        return open_client(app, kind, backend, **kwargs)

    return opener


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest) -> AnyStore:
    """Each kind of store the middleware runs differently."""
    return make_store(request.param)
