"""Redis Cluster: sessions hash to every slot, so they spread over all the masters, and a
fresh async store serves its first concurrent requests."""

from __future__ import annotations

import secrets
import time
from typing import Any

import anyio
import pytest

from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.calls import call
from tests.redis.deployments import Deployment
from tests.redis.servers import RedisClusterServers
from tests.redis.traffic import Outcome, SessionDriver

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

SESSIONS = 1000


@pytest.fixture
def deployment(redis_cluster: RedisClusterServers) -> Deployment:
    return Deployment("cluster", redis_cluster.url, cluster=True)


async def test_a_thousand_sessions_spread_over_every_master(
    store: RedisStore | AsyncRedisStore, redis_cluster: RedisClusterServers, key_prefix: str
) -> None:
    now = time.time()
    keys = [secrets.token_urlsafe(32) for _ in range(SESSIONS)]
    for index, key in enumerate(keys):
        assert await call(store.save(key, {"n": str(index)}, ttl=600, now=now)) is True
    for index, key in enumerate(keys):
        loaded = await call(store.load(key, now=now))
        assert loaded is not None and loaded.state == {"n": str(index)}

    per_master = redis_cluster.keys_per_node(key_prefix + "*")
    assert sum(per_master) == SESSIONS
    # Each master owns a third of the slots: far more than 200 of 1000 random keys each.
    assert min(per_master) > 200, per_master


COLD_CREATIONS = 300
CONCURRENCY = 16


async def test_a_fresh_async_store_serves_its_first_concurrent_requests(
    redis_cluster: RedisClusterServers, key_prefix: str, anyio_backend: str
) -> None:
    # redis-py 8.1's async cluster client, fresh, fails some of the commands it gets
    # concurrently before it has read the layout; the store reads it once, first.
    store = AsyncRedisStore.from_url(redis_cluster.url, cluster=True, key_prefix=key_prefix)
    try:
        driver = SessionDriver(store)
        limiter = anyio.Semaphore(CONCURRENCY)
        outcomes: list[Outcome] = []

        async def create(index: int) -> None:
            async with limiter:
                outcomes.append(await driver.request(None, lambda s: s.update(n=index)))

        async with anyio.create_task_group() as tasks:
            for index in range(COLD_CREATIONS):
                tasks.start_soon(create, index)
        failed = [outcome.error for outcome in outcomes if not outcome.ok]
        assert not failed, f"{len(failed)} of {COLD_CREATIONS} failed: {failed[:3]}"
    finally:
        await store.aclose()


async def test_initialize_reads_the_layout_before_the_first_request(
    redis_cluster: RedisClusterServers, anyio_backend: str
) -> None:
    store = AsyncRedisStore.from_url(redis_cluster.url, cluster=True)
    try:
        await store.initialize()
        client: Any = store.client
        assert len(client.get_primaries()) == 3
        await store.initialize()  # once is enough; again is harmless
        assert await store.load("missing", now=time.time()) is None
    finally:
        await store.aclose()
