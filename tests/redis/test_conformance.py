"""coatcheck's store conformance suite, the session index and forwarding included, run
for both Redis stores over TCP, a unix socket, TLS and on a 3-master cluster.

The stores honour the ``now`` each command carries (a session is dead once ``now`` reaches
its ``expires_at``), so the suite drives time itself; Redis's own expiry is tested in
``test_store_contract``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import pytest

from coatcheck_redis import RECORD_VERSION, AsyncRedisStore, RedisStore
from coatcheck_redis._record import millis, store_key
from coatcheck_testing.pytest import AsyncStoreConformance, StoreConformance
from tests.redis.deployments import Deployment
from tests.redis.servers import RedisClusterServers, RedisServer

pytestmark = pytest.mark.redis


def plant_garbage(deployment: Deployment, key_prefix: str, now: float) -> list[str]:
    """Session keys whose store keys hold what no `RedisStore` wrote."""
    later = str(millis(now + 60))
    writers: list[Callable[[Any, str], object]] = [
        lambda admin, name: admin.set(name, b"\xff\x00 a string"),
        lambda admin, name: admin.rpush(name, b"a list"),
        lambda admin, name: admin.hset(name, mapping={"version": "0", "s:a": "1"}),
        lambda admin, name: admin.hset(
            name, mapping={"version": RECORD_VERSION, "expires_at": later, "s:a": b"\xc3\x28"}
        ),
        lambda admin, name: admin.hset(
            name, mapping={"version": RECORD_VERSION, "expires_at": later, "s:a": "{oops"}
        ),
    ]
    keys = []
    with deployment.admin() as admin:
        for write in writers:
            key = f"{secrets.token_urlsafe(32)}.{secrets.token_hex(4)}"
            write(admin, store_key(key_prefix.encode(), key).decode())
            keys.append(key)
    return keys


class RedisSuite:
    """What the test classes share: a deployment (``kind``) and a prefix per test."""

    kind: ClassVar[str] = "standalone"
    """``standalone`` (TCP), ``unix`` (its unix socket), ``tls`` or ``cluster``."""
    keeps_index: ClassVar[bool] = True
    forwards: ClassVar[bool] = True

    @pytest.fixture(autouse=True)
    def _deployment(self, request: pytest.FixtureRequest, key_prefix: str) -> None:
        if self.kind == "cluster":
            cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
            self.deployment = Deployment("cluster", cluster.url, cluster=True)
        elif self.kind == "tls":
            tls: RedisServer = request.getfixturevalue("tls_redis_server")
            self.deployment = Deployment("tls", tls.url, tls.client_kwargs)
        else:
            server: RedisServer = request.getfixturevalue("redis_server")
            url = server.unix_url if self.kind == "unix" else server.url
            self.deployment = Deployment(self.kind, url)
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


class TestRedisStoreOverUnixSocket(TestRedisStore):
    kind = "unix"


class TestAsyncRedisStoreOverUnixSocket(TestAsyncRedisStore):
    kind = "unix"


class TestRedisStoreOverTls(TestRedisStore):
    kind = "tls"


class TestAsyncRedisStoreOverTls(TestAsyncRedisStore):
    kind = "tls"


class TestRedisStoreOnCluster(TestRedisStore):
    kind = "cluster"


class TestAsyncRedisStoreOnCluster(TestAsyncRedisStore):
    kind = "cluster"
