"""Redis Cluster with replicas: a primary dies under load, its replica takes over.

Three primaries with one replica each (``cluster-node-timeout 2000``), 300 live sessions
spread over the three shards and 16 concurrent users reading or writing. One primary
gets SIGKILL; 50 writes of one session on that shard, each to a key of its own, are in
flight around the failover. Then:

- with ``cluster-require-full-coverage no``, the sessions of the other shards never see
  a failure, and their requests stall less than the deadline while redis-py re-reads the
  cluster's layout (the stall is measured and reported);
- after the promotion every acknowledged write reads back; with ``min_replicas_ack=1``
  none of the 50 writes succeeds and vanishes (the loss is only reported without it);
- the killed node, restarted, rejoins as a replica of the new primary (with
  ``min_replicas_ack=1`` that is what lets its shard accept writes again);
- with ``cluster-require-full-coverage yes`` (Redis's default) the whole cluster refuses
  commands between the moment the node is marked failed and the promotion: every shard's
  requests fail cleanly in that window, and all recover;
- a manual failover (``CLUSTER FAILOVER``) of each shard in turn fails no request at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from redis.crc import key_slot

from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._record import store_key
from tests.redis.failover import (
    ACK_TIMEOUT,
    DEADLINE,
    RECOVERY_LIMIT,
    SLACK,
    SUBJECT_KEY,
    Window,
    assert_index_consistent,
    longest,
    median_seconds,
    read_back,
    wait_for_recovery,
)
from tests.redis.servers import RedisClusterServers, RedisServer
from tests.redis.traffic import Load, Outcome, SessionDriver, User, create_users

pytestmark = [pytest.mark.redis, pytest.mark.failover, pytest.mark.anyio]

SESSIONS = 300
WARM_UP = 0.5
NODE_TIMEOUT_MS = 2000
HOT_WRITES = 50
"""Writes to one session of the failing shard, each to a key of its own."""
HOT_SPREAD = 5.0
"""Seconds over which those writes start: before, during and after the promotion."""
PREFIX = b"session:"


def shard_of(cluster: RedisClusterServers, users: list[User]) -> dict[int, int]:
    """Each user's index mapped to the port of the primary that holds its session."""
    with cluster.nodes[0].admin() as admin:
        shards: Any = admin.cluster("SLOTS")
    ranges = [(int(first), int(last), int(primary[1])) for first, last, primary, *_ in shards]
    ports = {}
    for index, user in enumerate(users):
        slot = key_slot(store_key(PREFIX, user.session_key))
        ports[index] = next(port for first, last, port in ranges if first <= slot <= last)
    return ports


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisClusterServers]:
    """A fresh 3+3 cluster; ``full_coverage`` (parametrized) is the setting under test."""
    full_coverage: bool = request.getfixturevalue("full_coverage")
    with RedisClusterServers(
        tmp_path / "cluster",
        replicas=1,
        node_timeout_ms=NODE_TIMEOUT_MS,
        full_coverage=full_coverage,
    ) as servers:
        yield servers


def in_sync(node: RedisServer) -> bool:
    """Whether ``node`` is a replica whose link to its primary is up."""
    replication = node.info("replication")
    return replication.get("role") == "slave" and replication.get("master_link_status") == "up"


def index_members(cluster: RedisClusterServers) -> Callable[[bytes], set[bytes]]:
    """Reads an index's raw members from whichever primary holds it now."""

    def members(name: bytes) -> set[bytes]:
        with cluster.holder(name).admin() as admin:
            return set(admin.zrange(name, 0, -1))

    return members


@pytest.mark.parametrize(
    ("full_coverage", "min_replicas_ack"),
    [(False, 0), (False, 1), (True, 0)],
    ids=["full-coverage-no", "full-coverage-no-ack", "full-coverage-yes"],
)
async def test_sessions_survive_the_loss_of_a_primary(
    cluster: RedisClusterServers,
    full_coverage: bool,
    min_replicas_ack: int,
    measurements: list[str],
    anyio_backend: str,
) -> None:
    store = AsyncRedisStore.from_url(
        cluster.url,
        cluster=True,
        deadline=DEADLINE,
        min_replicas_ack=min_replicas_ack,
        ack_timeout=ACK_TIMEOUT,
    )
    try:
        driver = SessionDriver(store, subject_key=SUBJECT_KEY)
        users = await create_users(driver, SESSIONS)
        shards = shard_of(cluster, users)
        hot = users[0]
        victim = next(node for node in cluster.nodes if node.port == shards[0])
        (heir,) = cluster.replicas_of(victim)
        on_victim = {index for index, port in shards.items() if port == victim.port}
        load = Load(driver, users)
        hot_outcomes: list[Outcome] = []

        async def hot_write(delay: float, name: str) -> None:
            await anyio.sleep(delay)
            hot_outcomes.append(await hot.write(driver, name))

        marks: dict[str, float] = {}

        async def supervise() -> None:
            # Wait for the promotion, then restart the killed node and wait until it is
            # the heir's replica, in sync (blocking checks run off the event loop).
            while await anyio.to_thread.run_sync(cluster.role, heir) != "master":
                await anyio.sleep(0.02)
            marks["promoted"] = marks["restarted"] = time.monotonic()
            await anyio.to_thread.run_sync(victim.start)
            while not await anyio.to_thread.run_sync(in_sync, victim):
                await anyio.sleep(0.01)
            marks["rejoined"] = time.monotonic()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(load.run)
            await anyio.sleep(WARM_UP)
            killed = time.monotonic()
            victim.kill()
            tasks.start_soon(supervise)
            for number in range(HOT_WRITES):
                delay = HOT_SPREAD * number / HOT_WRITES
                tasks.start_soon(hot_write, delay, f"hot{number}")
            await wait_for_recovery(load, lambda: "rejoined" in marks)
            await anyio.sleep(max(0.0, killed + HOT_SPREAD - time.monotonic()))
            load.stop()

        assert longest(load.requests) <= DEADLINE + SLACK
        assert max(outcome.seconds for outcome in hot_outcomes) <= DEADLINE + SLACK
        others = [request for request in load.requests if request.user not in on_victim]
        during = [
            request
            for request in others
            if killed <= request.outcome.started <= marks["promoted"] + 1.0
        ]
        before = [request for request in others if request.outcome.ended < killed]
        stall = longest(during) - median_seconds(before)
        others_window = Window.of(others, killed)
        if full_coverage:
            # The whole cluster refused while the node was marked failed and not replaced.
            assert others_window.failed > 0
        else:
            errors = [(r.outcome.started - killed, r.outcome.error) for r in others]
            assert others_window.failed == 0, [e for e in errors if e[1]][:10]
        lost, acknowledged = await read_back(driver, users)
        hot_acknowledged = sum(outcome.ok for outcome in hot_outcomes)
        if min_replicas_ack:
            assert lost == 0, f"{lost} of {acknowledged} acknowledged writes were lost"
            # The 50 writes of one session: each persisted or got a 500, none vanished.
            read = await hot.read(driver)
            assert read.ok and not hot.missing(read.state)
        await assert_index_consistent(store, users, index_members(cluster))
        victim_window = Window.of(
            [request for request in load.requests if request.user in on_victim], killed
        )
        coverage = "yes" if full_coverage else "no"
        measurements.append(
            f"Cluster 3+3, full-coverage {coverage}, min_replicas_ack={min_replicas_ack}: "
            f"failing shard: {victim_window}; other shards: {others_window}; replica "
            f"promoted {marks['promoted'] - killed:.2f} s after SIGKILL; killed node, "
            f"restarted, in sync as its replica {marks['rejoined'] - marks['restarted']:.2f} s "
            f"later; stall of the other shards {stall:.2f} s (longest request "
            f"{longest(during):.2f} s); hot session: {hot_acknowledged} of {HOT_WRITES} "
            f"writes acknowledged; acknowledged writes lost: {lost} of {acknowledged}"
        )
    finally:
        await store.aclose()


async def test_a_sync_store_rides_through_the_failover_too(
    tmp_path: Path, measurements: list[str], anyio_backend: str
) -> None:
    with RedisClusterServers(
        tmp_path / "cluster", replicas=1, node_timeout_ms=NODE_TIMEOUT_MS, full_coverage=False
    ) as cluster:
        store = RedisStore.from_url(cluster.url, cluster=True, deadline=DEADLINE)
        try:
            driver = SessionDriver(store, subject_key=SUBJECT_KEY)
            users = await create_users(driver, SESSIONS // 3)
            shards = shard_of(cluster, users)
            victim: RedisServer = next(n for n in cluster.nodes if n.port == shards[0])
            (heir,) = cluster.replicas_of(victim)
            load = Load(driver, users, workers=8)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(load.run)
                await anyio.sleep(WARM_UP)
                killed = time.monotonic()
                victim.kill()
                promoted = anyio.Event()

                async def supervise() -> None:
                    while await anyio.to_thread.run_sync(cluster.role, heir) != "master":
                        await anyio.sleep(0.02)
                    promoted.set()

                tasks.start_soon(supervise)
                await wait_for_recovery(load, promoted.is_set)
                load.stop()
            others = [r for r in load.requests if shards[r.user] != victim.port]
            assert Window.of(others, killed).failed == 0
            assert longest(load.requests) <= DEADLINE + SLACK
            lost, acknowledged = await read_back(driver, users)
            await assert_index_consistent(store, users, index_members(cluster))
            measurements.append(
                f"Cluster 3+3, sync store: {Window.of(load.requests, killed)}; longest "
                f"request {longest(load.requests):.2f} s; acknowledged writes lost: "
                f"{lost} of {acknowledged}"
            )
        finally:
            store.close()


async def test_a_manual_failover_of_every_shard_fails_no_request(
    tmp_path: Path, measurements: list[str], anyio_backend: str
) -> None:
    # CLUSTER FAILOVER hands each shard to its replica without losing a write; clients
    # see MOVED answers and a primary that lacks the scripts. redis-py's async client
    # closes every connection after a run of MOVED answers, failing the requests in
    # flight on other shards: the store keeps it from doing that.
    with RedisClusterServers(
        tmp_path / "cluster", replicas=1, node_timeout_ms=NODE_TIMEOUT_MS, full_coverage=False
    ) as cluster:
        store = AsyncRedisStore.from_url(cluster.url, cluster=True, deadline=DEADLINE)
        try:
            driver = SessionDriver(store, subject_key=SUBJECT_KEY)
            users = await create_users(driver, SESSIONS)
            load = Load(driver, users)
            started = time.monotonic()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(load.run)
                await anyio.sleep(WARM_UP)
                for primary in cluster.primaries():
                    (replica,) = cluster.replicas_of(primary)
                    with replica.admin() as admin:
                        admin.execute_command("CLUSTER", "FAILOVER")
                    with anyio.fail_after(RECOVERY_LIMIT):
                        while await anyio.to_thread.run_sync(cluster.role, replica) != "master":
                            await anyio.sleep(0.02)
                    await anyio.sleep(0.5)
                load.stop()
            failures = [(r.outcome.error) for r in load.failures()]
            assert not failures, f"{len(failures)} requests failed: {failures[:5]}"
            lost, acknowledged = await read_back(driver, users)
            assert lost == 0
            await assert_index_consistent(store, users, index_members(cluster))
            measurements.append(
                f"Cluster 3+3, manual failover of each shard in turn: "
                f"{Window.of(load.requests, started)}; longest request "
                f"{longest(load.requests):.2f} s; acknowledged writes lost: {lost} of "
                f"{acknowledged}"
            )
        finally:
            await store.aclose()
