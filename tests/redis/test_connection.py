"""`from_url`: schemes, cluster mode, TLS verification and the timeouts that keep a dead or
hung Redis from hanging a request."""

from __future__ import annotations

import time
from typing import Any

import pytest
from redis.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from coatcheck_redis import DEADLINE, AsyncRedisStore, RedisStore
from coatcheck_redis._urls import parse_store_url
from tests.redis.servers import RedisClusterServers, RedisServer

SLACK = 1.0
"""Seconds allowed on top of a timeout for a loaded test machine."""


@pytest.mark.parametrize(
    ("url", "cluster", "expected"),
    [
        ("redis://h:1/0", None, ("redis://h:1/0", False)),
        ("rediss://h:1", None, ("rediss://h:1", False)),
        ("unix:///tmp/r.sock", None, ("unix:///tmp/r.sock", False)),
        ("redis+cluster://h:1", None, ("redis://h:1", True)),
        ("REDISS+CLUSTER://h:1", None, ("rediss://h:1", True)),
        ("redis://h:1", True, ("redis://h:1", True)),
        ("redis+cluster://h:1", True, ("redis://h:1", True)),
    ],
)
def test_cluster_mode_comes_from_the_scheme_or_the_argument(
    url: str, cluster: bool | None, expected: tuple[str, bool]
) -> None:
    parsed = parse_store_url(url, cluster)
    assert (parsed.url, parsed.kind == "cluster") == expected


@pytest.mark.parametrize(
    ("url", "cluster"),
    [
        ("redis+cluster://h:1", False),
        ("redis+sentinel://h:1/primary", True),
        ("127.0.0.1:6379", None),
        ("http://h:1", None),
        ("unix+cluster:///tmp/r.sock", None),
    ],
)
def test_contradictory_or_schemeless_urls_are_refused(url: str, cluster: bool | None) -> None:
    with pytest.raises(ValueError):
        RedisStore.from_url(url, cluster=cluster)


@pytest.mark.redis
def test_a_cluster_url_makes_a_cluster_store(redis_cluster: RedisClusterServers) -> None:
    url = redis_cluster.url.replace("redis://", "redis+cluster://")
    store = RedisStore.from_url(url, key_prefix="scheme:")
    try:
        assert isinstance(store.client, RedisCluster)
        now = time.time()
        assert store.save("k", {"a": "1"}, ttl=60, now=now)
        assert store.load("k", now=now) is not None
    finally:
        store.close()


@pytest.mark.redis
@pytest.mark.anyio
async def test_an_async_cluster_url_makes_a_cluster_store(
    redis_cluster: RedisClusterServers, anyio_backend: str
) -> None:
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

    url = redis_cluster.url.replace("redis://", "redis+cluster://")
    store = AsyncRedisStore.from_url(url, key_prefix="scheme:")
    try:
        assert isinstance(store.client, AsyncRedisCluster)
        now = time.time()
        assert await store.save("k2", {"a": "1"}, ttl=60, now=now)
        assert await store.load("k2", now=now) is not None
    finally:
        await store.aclose()


@pytest.mark.redis
def test_the_tls_server_certificate_is_verified(tls_redis_server: RedisServer) -> None:
    # Without the test CA, the server's certificate is untrusted: no connection.
    store = RedisStore.from_url(tls_redis_server.url)
    try:
        with pytest.raises(RedisConnectionError):
            store.load("k", now=time.time())
    finally:
        store.close()


@pytest.mark.redis
def test_a_dead_redis_fails_fast(disposable_redis: RedisServer) -> None:
    store = RedisStore.from_url(disposable_redis.url)
    try:
        store.load("warm", now=time.time())
        disposable_redis.kill()
        started = time.monotonic()
        with pytest.raises(RedisConnectionError):
            store.load("k", now=time.time())
        # Three connection attempts, refused at once, with at most 0.1 s between them.
        assert time.monotonic() - started < 0.5 + SLACK
    finally:
        store.close()


@pytest.mark.redis
def test_a_hung_redis_costs_one_deadline(disposable_redis: RedisServer) -> None:
    store = RedisStore.from_url(disposable_redis.url)
    try:
        store.load("warm", now=time.time())
        disposable_redis.freeze()
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            store.load("k", now=time.time())
        elapsed = time.monotonic() - started
        assert DEADLINE - 0.1 <= elapsed < DEADLINE + SLACK
    finally:
        disposable_redis.thaw()
        store.close()


@pytest.mark.redis
def test_the_url_query_overrides_the_defaults(disposable_redis: RedisServer) -> None:
    store = RedisStore.from_url(disposable_redis.url + "?socket_timeout=0.3")
    try:
        store.load("warm", now=time.time())
        disposable_redis.freeze()
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            store.load("k", now=time.time())
        assert time.monotonic() - started < 0.3 + SLACK
    finally:
        disposable_redis.thaw()
        store.close()


@pytest.mark.redis
@pytest.mark.anyio
async def test_keyword_arguments_override_the_defaults(
    disposable_redis: RedisServer, anyio_backend: str
) -> None:
    store = AsyncRedisStore.from_url(disposable_redis.url, socket_timeout=0.3)
    try:
        await store.load("warm", now=time.time())
        disposable_redis.freeze()
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await store.load("k", now=time.time())
        assert time.monotonic() - started < 0.3 + SLACK
    finally:
        disposable_redis.thaw()
        await store.aclose()


def test_only_clients_the_store_cannot_bound_get_a_socket_timeout() -> None:
    # AsyncRedisStore ends every command at its deadline itself: a socket timeout on its
    # client would only repeat that, at a cost per command. A blocking client needs one,
    # as does a cluster, to make its second attempt, and so do the Sentinels.
    sync_store = RedisStore.from_url("redis://127.0.0.1:1/0", deadline=3.0)
    async_store = AsyncRedisStore.from_url("redis://127.0.0.1:1/0", deadline=3.0)
    sentinel_store = AsyncRedisStore.from_url("redis+sentinel://127.0.0.1:1/primary", deadline=3.0)
    cluster_store = AsyncRedisStore.from_url("redis+cluster://127.0.0.1:1", deadline=3.0)

    def options(client: Any) -> dict[str, Any]:
        # A cluster client keeps its connections' options itself, the others in a pool.
        pool = getattr(client, "connection_pool", client)
        kwargs: dict[str, Any] = pool.connection_kwargs
        return kwargs

    try:
        assert options(sync_store.client)["socket_timeout"] == 3.0
        assert options(async_store.client)["socket_timeout"] is None
        assert options(sentinel_store.client)["socket_timeout"] is None
        [sentinel] = sentinel_store._sentinels
        assert options(sentinel)["socket_timeout"] == 3.0
        assert options(cluster_store.client)["socket_timeout"] == 1.5
    finally:
        sync_store.close()
