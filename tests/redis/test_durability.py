"""``min_replicas_ack``: a write counts only once replicas confirmed it; and where reads go.

- Without enough replicas to confirm, a write is a `SessionStoreError` (a 500), never a
  success that a failover could undo.
- A confirmed write is on the replicas by the time the store returns.
- On one server or Sentinel, ``WAIT`` rides in the write's own round trip (pipelined on
  the same connection); on a cluster it goes to the node that took the write.
- Reads go to the primaries unless ``read_from_replicas`` asks otherwise.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from benchmarks.delay_proxy import DelayProxy
from coatcheck import Delta, SessionStoreError
from coatcheck_redis._record import store_key
from tests.redis.calls import call, close, store_from_url
from tests.redis.servers import CommandMonitor, RedisClusterServers, RedisSentinelGroup, RedisServer
from tests.redis.traffic import SessionDriver, create_users

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

ACK_TIMEOUT = 0.2
STATE = {"user": '"ada"'}


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    """`RedisStore` and `AsyncRedisStore`."""
    name: str = request.param
    return name


async def test_a_write_no_replica_confirms_fails(
    flavour: str, redis_server: RedisServer, anyio_backend: str
) -> None:
    store = store_from_url(flavour, redis_server.url, min_replicas_ack=1, ack_timeout=ACK_TIMEOUT)
    try:
        key, now = secrets.token_urlsafe(32), time.time()
        writes: list[Callable[[], Any]] = [
            lambda: store.save(key, STATE, ttl=60, now=now),
            lambda: store.update(key, STATE, Delta(STATE), ttl=60, now=now),
            lambda: store.update_ttl(key, ttl=60, now=now),
            lambda: store.delete(key),
            lambda: store.renew(
                key,
                secrets.token_urlsafe(32),
                STATE,
                Delta(),
                ttl=60,
                now=now,
                grace=5,
                forward="F",
            ),
            # Ending sessions is a write too: a revocation a failover could undo would
            # bring a session back.
            lambda: store.revoke("ada", "A" * 22, now=now),
            lambda: store.revoke_all("ada", now=now),
            lambda: store.cap("ada", "A" * 22, 1, now=now),
        ]
        for write in writes:
            started = time.monotonic()
            with pytest.raises(SessionStoreError, match="min_replicas_ack"):
                await call(write())
            assert time.monotonic() - started >= ACK_TIMEOUT - 0.01
        assert await call(store.list_sessions("ada", now=now)) == []  # a read waits for none
        # What a user sees: the request that wrote gets a 500, not a session.
        outcome = await SessionDriver(store).request(None, lambda s: s.update(user="ada"))
        assert not outcome.ok and outcome.cookie is None
    finally:
        await close(store)


def replica_copies(group: RedisSentinelGroup, name: bytes) -> list[dict[bytes, bytes]]:
    copies = []
    for server in group.replica_servers():
        with server.admin() as admin:
            copies.append(admin.hgetall(name))
    return copies


async def test_a_confirmed_write_is_on_the_replicas_when_the_store_returns(
    flavour: str, sentinel_group: RedisSentinelGroup, key_prefix: str, anyio_backend: str
) -> None:
    store = store_from_url(flavour, sentinel_group.url, key_prefix=key_prefix, min_replicas_ack=2)
    try:
        key, now = secrets.token_urlsafe(32), time.time()
        name = store_key(key_prefix.encode(), key)
        assert await call(store.save(key, STATE, ttl=60, now=now)) is True
        with sentinel_group.current_primary().admin() as admin:
            written = admin.hgetall(name)
        assert replica_copies(sentinel_group, name) == [written, written]
        delta = Delta({"theme": '"dark"'})
        assert await call(store.update(key, STATE, delta, ttl=60, now=now)) is True
        assert all(copy[b"s:theme"] == b'"dark"' for copy in replica_copies(sentinel_group, name))
        await call(store.delete(key))
        assert replica_copies(sentinel_group, name) == [{}, {}]
    finally:
        await close(store)


@pytest.fixture
def slow_primary(sentinel_group: RedisSentinelGroup) -> Iterator[str]:
    """A ``redis://`` URL of the Sentinel group's primary through a 200 ms delay proxy."""
    with DelayProxy(sentinel_group.current_primary().port, rtt=0.2) as proxy:
        yield f"redis://127.0.0.1:{proxy.port}/0"


async def test_wait_rides_in_the_round_trip_of_the_write(
    flavour: str, slow_primary: str, key_prefix: str, anyio_backend: str
) -> None:
    rtt = 0.2
    store = store_from_url(flavour, slow_primary, key_prefix=key_prefix, min_replicas_ack=1)
    try:
        key, now = secrets.token_urlsafe(32), time.time()
        await call(store.save(key, STATE, ttl=60, now=now))  # connects, loads the script
        for _ in range(3):
            started = time.monotonic()
            assert await call(store.update(key, STATE, Delta(STATE), ttl=60, now=now)) is True
            elapsed = time.monotonic() - started
            assert rtt <= elapsed < 1.5 * rtt, f"{elapsed:.3f} s: not one round trip"
    finally:
        await close(store)


async def test_on_a_cluster_wait_goes_to_the_node_that_took_the_write(
    flavour: str, replicated_cluster: RedisClusterServers, key_prefix: str, anyio_backend: str
) -> None:
    store = store_from_url(
        flavour,
        replicated_cluster.url,
        cluster=True,
        key_prefix=key_prefix,
        min_replicas_ack=1,
        ack_timeout=ACK_TIMEOUT,
    )
    try:
        now = time.time()
        keys = [secrets.token_urlsafe(32) for _ in range(30)]
        holders = {
            key: replicated_cluster.holder(store_key(key_prefix.encode(), key)) for key in keys
        }
        for key in keys:
            assert await call(store.save(key, STATE, ttl=60, now=now)) is True
        # A replica that stops answering can confirm nothing: only its shard's writes fail.
        silent_shard = holders[keys[0]]
        (replica,) = replicated_cluster.replicas_of(silent_shard)
        replica.freeze()
        try:
            for key in keys:
                delta = Delta({"n": "1"})
                if holders[key] is silent_shard:
                    with pytest.raises(SessionStoreError, match="confirmed by 0 of the 1"):
                        await call(store.update(key, STATE, delta, ttl=60, now=now))
                else:
                    assert await call(store.update(key, STATE, delta, ttl=60, now=now)) is True
        finally:
            replica.thaw()
        assert len(set(holders.values())) == 3
    finally:
        await close(store)


@pytest.mark.parametrize("read_from_replicas", [False, True])
async def test_reads_go_to_replicas_only_when_asked(
    flavour: str,
    read_from_replicas: bool,
    replicated_cluster: RedisClusterServers,
    key_prefix: str,
    anyio_backend: str,
) -> None:
    store = store_from_url(
        flavour,
        replicated_cluster.url,
        cluster=True,
        key_prefix=key_prefix,
        read_from_replicas=read_from_replicas,
    )
    try:
        driver = SessionDriver(store)
        users = await create_users(driver, 30)
        with CommandMonitor(replicated_cluster.replica_nodes()) as monitor:
            for user in users:
                outcome = await user.read(driver)
                assert outcome.ok and outcome.state is not None and "user" in outcome.state
            on_replicas = monitor.take()["HGETALL"]
        if read_from_replicas:
            assert on_replicas > 0
        else:
            assert on_replicas == 0  # read-your-writes: every read on the primary
    finally:
        await close(store)
