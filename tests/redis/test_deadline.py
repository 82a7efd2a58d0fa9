"""The deadline: no store command keeps a request longer, and none is cut off unsafely.

- A primary that stops answering (SIGSTOP) fails the requests that need it with a clean
  500 within the deadline, on one server, behind Sentinel and on a cluster, where the
  other shards keep serving. (Before the deadline, a hung cluster master cost about 6 s:
  three attempts of a 2 s socket timeout.)
- A deadline that expires while an async cluster client re-reads the cluster's layout
  does not abort that read: redis-py would close every node's connections, and if the
  read is slower than the deadline, no request would ever get through again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from benchmarks.delay_proxy import DelayProxy
from coatcheck_redis import AsyncRedisStore
from coatcheck_redis._record import store_key
from tests.redis.calls import close, store_from_url
from tests.redis.servers import RedisClusterServers, RedisSentinelGroup, RedisServer
from tests.redis.traffic import Outcome, SessionDriver, User, create_users

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

DEADLINE = 1.0
SLACK = 1.0
"""Seconds a request may take beyond the deadline on a loaded test machine."""
USERS = 24
LAYOUT_DEADLINE = 1.0
"""The layout test's deadline: a thousand direct round trips, shorter than a layout read."""


@pytest.fixture(params=["standalone", "sentinel", "cluster"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, object]]:
    """A deployment of this test's own whose primary the test may freeze."""
    kind: str = request.param
    if kind == "standalone":
        with RedisServer.standalone(tmp_path / "redis") as server:
            yield kind, server
    elif kind == "sentinel":
        # Slow to judge the primary down: the freeze must not turn into a failover.
        with RedisSentinelGroup(tmp_path / "group", replicas=1, down_after_ms=30_000) as group:
            yield kind, group
    else:
        with RedisClusterServers(tmp_path / "cluster") as cluster:
            yield kind, cluster


def url_and_victim(kind: str, servers: object) -> tuple[str, RedisServer, bool]:
    if isinstance(servers, RedisSentinelGroup):
        return servers.url, servers.primary, False
    if isinstance(servers, RedisClusterServers):
        return servers.url, servers.nodes[1], True
    assert isinstance(servers, RedisServer)
    return servers.url, servers, False


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_a_hung_primary_fails_requests_within_the_deadline(
    flavour: str, deployment: tuple[str, object], anyio_backend: str
) -> None:
    kind, servers = deployment
    url, victim, cluster = url_and_victim(kind, servers)
    store = store_from_url(flavour, url, cluster=cluster, deadline=DEADLINE)
    try:
        driver = SessionDriver(store)
        users = await create_users(driver, USERS)
        hung = set(range(USERS))
        if isinstance(servers, RedisClusterServers):
            hung = {
                index
                for index, user in enumerate(users)
                if servers.holder(store_key(b"session:", user.session_key)) is victim
            }
            assert 0 < len(hung) < USERS
        outcomes: dict[int, Outcome] = {}

        async def read(index: int, user: User) -> None:
            outcomes[index] = await user.read(driver)

        victim.freeze()
        try:
            async with anyio.create_task_group() as tasks:
                for index, user in enumerate(users):
                    tasks.start_soon(read, index, user)
        finally:
            victim.thaw()
        for index, outcome in outcomes.items():
            if index in hung:
                assert not outcome.ok, "a request to a frozen primary succeeded"
                assert outcome.seconds <= DEADLINE + SLACK, f"took {outcome.seconds:.2f} s"
            else:
                assert outcome.ok, f"a healthy shard failed: {outcome.error}"
        # Thawed, the same store serves everyone again.
        for user in users:
            assert (await user.read(driver)).ok
    finally:
        await close(store)


async def test_a_deadline_does_not_abort_a_slow_layout_read(
    redis_cluster: RedisClusterServers, anyio_backend: str
) -> None:
    # The client learns the layout from one node behind a proxy that adds 1.5 s per round
    # trip: reading it takes longer than the 1 s deadline, every time. The deadline is long
    # next to a direct round trip, so a loaded machine does not fail the direct requests.
    with DelayProxy(redis_cluster.nodes[0].port, rtt=1.5) as proxy:
        store = AsyncRedisStore.from_url(
            f"redis://127.0.0.1:{proxy.port}/0",
            cluster=True,
            deadline=LAYOUT_DEADLINE,
            dynamic_startup_nodes=False,
            # Slow, but answering: the client may wait for it, a request may not.
            socket_timeout=10.0,
            socket_connect_timeout=10.0,
        )
        try:
            driver = SessionDriver(store)
            # The first requests give up at their deadline, together...
            with anyio.fail_after(15):
                outcomes = await wave(driver)
            assert not any(outcome.ok for outcome in outcomes)
            assert max(outcome.seconds for outcome in outcomes) <= LAYOUT_DEADLINE + SLACK
            # ...but the layout read they started finishes on its own, and then requests
            # go straight to the nodes. A blind cancel would have aborted it each time.
            with anyio.fail_after(30):
                while not (await driver.request(None, lambda s: s.update(a=1))).ok:
                    await anyio.sleep(0.2)
            outcomes = await wave(driver)
            assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
        finally:
            await store.aclose()


async def wave(driver: SessionDriver, count: int = 16) -> list[Outcome]:
    """``count`` concurrent requests that create a session each."""
    outcomes: list[Outcome] = []

    async def create() -> None:
        outcomes.append(await driver.request(None, lambda s: s.update(a=1)))

    async with anyio.create_task_group() as tasks:
        for _ in range(count):
            tasks.start_soon(create)
    return outcomes
