"""Redis Cluster: sessions hash to every slot, so they spread over all the masters."""

from __future__ import annotations

import secrets
import time

import pytest

from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.calls import call
from tests.redis.deployments import Deployment
from tests.redis.servers import RedisClusterServers

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
        assert await call(store.save(key, {"n": str(index)}, ttl=600, now=now)) == key
    for index, key in enumerate(keys):
        loaded = await call(store.load(key, now=now))
        assert loaded is not None and loaded.state == {"n": str(index)}

    per_master = redis_cluster.keys_per_node(key_prefix + "*")
    assert sum(per_master) == SESSIONS
    # Each master owns a third of the slots: far more than 200 of 1000 random keys each.
    assert min(per_master) > 200, per_master
