"""Sentinel: the stores take a ``redis+sentinel://`` URL or a client from ``master_for``.

Both talk to the primary the Sentinels name (reads too: read-your-writes), over TLS with
``rediss+sentinel://``. What happens when that primary dies is `test_failover_sentinel`'s
subject.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio.sentinel
import redis.sentinel
from redis.exceptions import ConnectionError as RedisConnectionError

from coatcheck import Delta, StoredState
from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._record import millis, store_key
from tests.redis.calls import call, close, store_from_url
from tests.redis.servers import CommandMonitor, RedisSentinelGroup

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

STATE = {"user": '"ada"'}
SyncSentinel: Any = redis.sentinel.Sentinel  # redis-py leaves it unannotated
AsyncSentinel: Any = redis.asyncio.sentinel.Sentinel


Built = tuple[RedisStore | AsyncRedisStore, list[Any]]


def by_url(flavour: str, group: RedisSentinelGroup, key_prefix: str) -> Built:
    """A store from the group's ``redis+sentinel://`` URL (it closes its Sentinels)."""
    return store_from_url(flavour, group.url, key_prefix=key_prefix), []


def by_master_for(flavour: str, group: RedisSentinelGroup, key_prefix: str) -> Built:
    """A store on a client the application built, and the Sentinel clients to close."""
    addresses = [("127.0.0.1", sentinel.port) for sentinel in group.sentinels]
    if flavour == "sync":
        sentinel = SyncSentinel(addresses, socket_timeout=1.0)
        client = sentinel.master_for(group.SERVICE_NAME)
        return RedisStore(client, key_prefix=key_prefix), list(sentinel.sentinels)
    async_sentinel = AsyncSentinel(addresses, socket_timeout=1.0)
    async_client = async_sentinel.master_for(group.SERVICE_NAME)
    return AsyncRedisStore(async_client, key_prefix=key_prefix), list(async_sentinel.sentinels)


@pytest.mark.parametrize("build", [by_url, by_master_for], ids=["from_url", "master_for"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_a_store_behind_sentinel_keeps_sessions_on_the_primary(
    build: object,
    flavour: str,
    sentinel_group: RedisSentinelGroup,
    key_prefix: str,
    anyio_backend: str,
) -> None:
    assert callable(build)
    store, sentinels = build(flavour, sentinel_group, key_prefix)
    primary = sentinel_group.current_primary()
    try:
        key, now = secrets.token_urlsafe(32), time.time()
        with CommandMonitor([primary]) as monitor:
            assert await call(store.save(key, STATE, ttl=60, now=now)) is True
            assert await call(store.update(key, {}, Delta({"b": "2"}), ttl=120, now=now)) is True
            assert await call(store.update_ttl(key, ttl=60, now=now)) is True
            loaded = await call(store.load(key, now=now))
            seen = monitor.take()
        assert loaded == StoredState({**STATE, "b": "2"}, millis(now + 60) / 1000)
        assert seen["EVALSHA"] >= 3 and seen["HGETALL"] == 1  # reads too: on the primary
        with primary.admin() as admin:
            assert admin.exists(store_key(key_prefix.encode(), key)) == 1
        await call(store.delete(key))
        assert await call(store.load(key, now=now)) is None
    finally:
        await close(store)
        for sentinel in sentinels:
            await call(sentinel.aclose() if flavour == "async" else sentinel.close())


@pytest.fixture(scope="module")
def tls_sentinel_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinelGroup]:
    """A primary, a replica and three Sentinels that all speak TLS only."""
    directory = tmp_path_factory.mktemp("redis-sentinel-tls")
    with RedisSentinelGroup(directory, replicas=1, tls=True) as group:
        yield group


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_rediss_sentinel_speaks_tls_to_the_sentinels_and_the_primary(
    flavour: str, tls_sentinel_group: RedisSentinelGroup, key_prefix: str, anyio_backend: str
) -> None:
    url = tls_sentinel_group.url
    assert url.startswith("rediss+sentinel://")
    trusted = tls_sentinel_group.client_kwargs
    stores: list[RedisStore | AsyncRedisStore] = []
    for kwargs in (trusted, {}):
        stores.append(store_from_url(flavour, url, key_prefix=key_prefix, **kwargs))
    store, untrusting = stores
    try:
        key, now = secrets.token_urlsafe(32), time.time()
        assert await call(store.save(key, STATE, ttl=60, now=now)) is True
        assert (await call(store.load(key, now=now))).state == STATE
        # Without the CA, the Sentinels' certificates are refused: no primary is found.
        with pytest.raises(RedisConnectionError):
            await call(untrusting.load(key, now=now))
    finally:
        for each in stores:
            await close(each)
