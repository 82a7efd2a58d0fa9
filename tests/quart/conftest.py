"""Fixtures for the Quart tests: Quart runs on asyncio, and a real redis-server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.redis.servers import RedisServer


@pytest.fixture
def anyio_backend() -> str:
    """Quart (and hypercorn's test tooling) run on asyncio only."""
    return "asyncio"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A standalone redis-server on a free loopback port (missing binary: see binaries.py)."""
    with RedisServer.standalone(tmp_path_factory.mktemp("redis-quart")) as server:
        yield server


@pytest.fixture
def key_prefix() -> str:
    """A key prefix no other test uses, so tests can share the server."""
    return f"quart:{uuid.uuid4().hex[:12]}:"
