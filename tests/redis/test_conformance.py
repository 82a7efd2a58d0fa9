"""coatcheck's store conformance suite, run for both Redis stores, standalone and cluster.

The stores honour the ``now`` each command carries (a session is dead once ``now`` reaches
its ``expires_at``), so the suite drives time itself; Redis's own expiry is tested in
``test_store_contract``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import pytest

from coatcheck.testing import AsyncStoreConformance, StoreConformance
from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.deployments import Deployment
from tests.redis.servers import RedisClusterServers, RedisServer

pytestmark = pytest.mark.redis


def plant_garbage(deployment: Deployment, key_prefix: str, now: float) -> list[str]:
    """Session keys whose store keys hold what no `RedisStore` wrote."""
    writers: list[Callable[[Any, str], object]] = [
        lambda admin, name: admin.set(name, b"\xff\x00 a string"),
        lambda admin, name: admin.rpush(name, b"a list"),
        lambda admin, name: admin.hset(name, mapping={"version": "0", "s:a": "1"}),
        lambda admin, name: admin.hset(
            name, mapping={"version": "1", "expires_at": repr(now + 60), "s:a": b"\xc3\x28"}
        ),
        lambda admin, name: admin.hset(
            name, mapping={"version": "1", "expires_at": repr(now + 60), "s:a": "{oops"}
        ),
    ]
    keys = []
    with deployment.admin() as admin:
        for write in writers:
            key = secrets.token_urlsafe(32)
            write(admin, key_prefix + hashlib.sha256(key.encode()).hexdigest())
            keys.append(key)
    return keys


class RedisSuite:
    """What the four test classes share: a deployment and a prefix per test."""

    cluster: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _deployment(self, request: pytest.FixtureRequest, key_prefix: str) -> None:
        if self.cluster:
            cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
            self.deployment = Deployment("cluster", cluster.url, cluster=True)
        else:
            server: RedisServer = request.getfixturevalue("redis_server")
            self.deployment = Deployment("standalone", server.url)
        self.key_prefix = key_prefix

    def plant_garbage(self, store: object, now: float) -> Iterable[str]:
        return plant_garbage(self.deployment, self.key_prefix, now)


class TestRedisStore(RedisSuite, StoreConformance):
    def make_store(self) -> RedisStore:
        return self.deployment.sync_store(self.key_prefix)

    def close_store(self, store: RedisStore) -> None:
        store.close()


class TestAsyncRedisStore(RedisSuite, AsyncStoreConformance):
    def make_store(self) -> AsyncRedisStore:
        return self.deployment.async_store(self.key_prefix)

    async def close_store(self, store: AsyncRedisStore) -> None:
        await store.aclose()


class TestRedisStoreOnCluster(TestRedisStore):
    cluster = True


class TestAsyncRedisStoreOnCluster(TestAsyncRedisStore):
    cluster = True
