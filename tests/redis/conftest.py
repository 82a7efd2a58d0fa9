"""Fixtures: real redis-server processes (standalone, TLS-only, a 3-master cluster, a
3+3 cluster with replicas, a Sentinel-watched primary with two replicas).

The long-lived servers are shared by the whole run; each test isolates itself with its
own key prefix. Tests that kill or restart a server get a `disposable_redis` of their own.
What the fault tests measure is printed at the end of the run ("failover measurements").
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.deployments import Deployment
from tests.redis.harness import ADAPTERS
from tests.redis.servers import RedisClusterServers, RedisSentinelGroup, RedisServer

MEASUREMENTS = pytest.StashKey[list[str]]()


@pytest.fixture
def measurements(request: pytest.FixtureRequest) -> list[str]:
    """Lines a fault test reports (failover windows, losses, stalls), shown after the run."""
    return request.config.stash.setdefault(MEASUREMENTS, [])


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print what the fault tests measured."""
    lines = config.stash.get(MEASUREMENTS, [])
    if lines:
        terminalreporter.section("failover measurements")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A standalone redis-server on a free loopback port and a unix socket."""
    with RedisServer.standalone(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def tls_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server that only speaks TLS, with a CA made for this run."""
    with RedisServer.tls_only(tmp_path_factory.mktemp("redis-tls")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A Redis Cluster of three masters."""
    with RedisClusterServers(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def replicated_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A Redis Cluster of three primaries with one replica each (left as it is by tests)."""
    directory = tmp_path_factory.mktemp("redis-cluster-replicas")
    with RedisClusterServers(directory, replicas=1) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def sentinel_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinelGroup]:
    """A primary with two replicas and three Sentinels (left as it is by tests)."""
    with RedisSentinelGroup(tmp_path_factory.mktemp("redis-sentinel")) as group:
        yield group


@pytest.fixture
def disposable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A standalone server of this test's own, to kill and restart at will."""
    with RedisServer.standalone(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def disposable_cluster(tmp_path: Path) -> Iterator[RedisClusterServers]:
    """A 3-master cluster of this test's own, whose nodes may be killed and restarted."""
    with RedisClusterServers(tmp_path / "cluster") as cluster:
        yield cluster


DEPLOYMENTS = ["standalone", "unix", "tls", "cluster"]


@pytest.fixture(params=DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """Each way of reaching Redis: TCP, unix socket, TLS (``rediss://``), Redis Cluster."""
    name: str = request.param
    if name == "cluster":
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        return Deployment(name, cluster.url, cluster=True)
    if name == "tls":
        tls: RedisServer = request.getfixturevalue("tls_redis_server")
        return Deployment(name, tls.url, tls.client_kwargs)
    server: RedisServer = request.getfixturevalue("redis_server")
    return Deployment(name, server.unix_url if name == "unix" else server.url)


@pytest.fixture
def key_prefix() -> str:
    """A key prefix no other test uses, so tests can share a server."""
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def anyio_backend() -> str:
    """redis.asyncio runs on asyncio only."""
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
async def store(
    request: pytest.FixtureRequest, deployment: Deployment, key_prefix: str, anyio_backend: str
) -> AsyncIterator[RedisStore | AsyncRedisStore]:
    """A `RedisStore` and an `AsyncRedisStore` on ``deployment``, closed afterwards."""
    if request.param == "sync":
        sync_store = deployment.sync_store(key_prefix)
        yield sync_store
        sync_store.close()
    else:
        async_store = deployment.async_store(key_prefix)
        yield async_store
        await async_store.aclose()


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    """Each adapter: Starlette eager and lazy, plain WSGI, Flask."""
    adapter_name: str = request.param
    return adapter_name


@pytest.fixture
async def adapter_store(
    adapter: str, deployment: Deployment, key_prefix: str, anyio_backend: str
) -> AsyncIterator[RedisStore | AsyncRedisStore]:
    """The store ``adapter`` uses: `AsyncRedisStore` for ASGI, `RedisStore` for WSGI."""
    if adapter.startswith("asgi"):
        async_store = deployment.async_store(key_prefix)
        yield async_store
        await async_store.aclose()
    else:
        sync_store = deployment.sync_store(key_prefix)
        yield sync_store
        sync_store.close()
