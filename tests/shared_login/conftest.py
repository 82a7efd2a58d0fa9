"""Fixtures of the shared-login tests: a real redis-server, the shared settings, and an
in-process client over the dispatcher (httpx's ASGITransport)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from redis import Redis

from examples.shared_login import (
    PathDispatcher,
    SharedSession,
    SharedStores,
    create_app,
    redis_stores,
    shared_session_config,
)
from tests.redis.servers import RedisServer

BASE_URL = "https://shop.example"
"""The one origin both apps are served on (https: the cookie is ``Secure``)."""


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A standalone redis-server on a free loopback port, for the whole run."""
    with RedisServer.standalone(tmp_path_factory.mktemp("redis-shared-login")) as server:
        yield server


@pytest.fixture
def anyio_backend() -> str:
    """redis.asyncio and a2wsgi run on asyncio only."""
    return "asyncio"


@pytest.fixture
def key_prefix() -> str:
    """A key prefix no other test uses, so tests can share the server."""
    return f"shared-login:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def shared() -> SharedSession:
    """The production settings (``Secure`` cookie) from a fresh secret."""
    return shared_session_config(secrets.token_urlsafe(32))


@pytest.fixture
async def stores(
    shared_redis: RedisServer, key_prefix: str, anyio_backend: str
) -> AsyncIterator[SharedStores]:
    """`RedisStore` (Flask) and `AsyncRedisStore` (FastAPI) on the real server."""
    both = redis_stores(shared_redis.url, key_prefix=key_prefix)
    yield both
    await both.aclose()


@pytest.fixture
def app(shared: SharedSession, stores: SharedStores) -> PathDispatcher:
    """Both apps behind the dispatcher, as the example serves them."""
    return create_app(shared, stores)


@pytest.fixture
async def client(app: PathDispatcher) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (it keeps cookies) of the one origin."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def redis_keys(shared_redis: RedisServer, key_prefix: str) -> Iterator[Redis]:
    """A plain client of the server, to look at what the stores keep."""
    client = Redis.from_url(shared_redis.url)
    yield client
    client.close()
