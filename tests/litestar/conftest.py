"""Fixtures of the Litestar tests: each kind of store, and a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coatcheck_asgi import AnyStore
from tests.redis.servers import RedisServer

from .helpers import STORE_KINDS, make_store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest) -> AnyStore:
    """Each kind of store the middleware drives differently."""
    return make_store(request.param)


@pytest.fixture(scope="session")
def litestar_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A standalone redis-server on a free loopback port, for this folder's tests."""
    with RedisServer.standalone(tmp_path_factory.mktemp("litestar-redis")) as server:
        yield server
