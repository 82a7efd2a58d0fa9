"""Sentinel: the primary dies under load, a replica takes over, sessions carry on.

One primary, two replicas, three Sentinels (``down-after-milliseconds 2000``), 300 live
sessions and 16 concurrent users reading their session or writing a key of their own.
The primary gets SIGKILL. Requests fail (a clean 500, never a hang) until the Sentinels
promote a replica; then the same store, never restarted, serves every session again:
each session's acknowledged writes read back, and new writes succeed. With
``min_replicas_ack=1`` not one acknowledged write may be lost; without it the loss is
reported (Redis replicates asynchronously: it is usually zero on loopback, but nothing
guarantees it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from tests.redis.calls import close, store_from_url
from tests.redis.failover import (
    ACK_TIMEOUT,
    DEADLINE,
    SLACK,
    SUBJECT_KEY,
    Window,
    assert_index_consistent,
    longest,
    read_back,
    wait_for_recovery,
)
from tests.redis.servers import RedisSentinelGroup
from tests.redis.traffic import Load, SessionDriver, create_users

pytestmark = [pytest.mark.redis, pytest.mark.failover, pytest.mark.anyio]


def index_members(group: RedisSentinelGroup) -> Callable[[bytes], set[bytes]]:
    """Reads an index's raw members from the current primary."""

    def members(name: bytes) -> set[bytes]:
        with group.current_primary().admin() as admin:
            return set(admin.zrange(name, 0, -1))

    return members


SESSIONS = 300
WARM_UP = 0.5
"""Seconds of load before the kill."""


@pytest.mark.parametrize(("flavour", "min_replicas_ack"), [("async", 0), ("async", 1), ("sync", 1)])
async def test_sessions_survive_the_loss_of_the_primary(
    flavour: str,
    min_replicas_ack: int,
    tmp_path: Path,
    measurements: list[str],
    anyio_backend: str,
) -> None:
    with RedisSentinelGroup(tmp_path / "group") as group:
        store = store_from_url(
            flavour,
            group.url,
            deadline=DEADLINE,
            min_replicas_ack=min_replicas_ack,
            ack_timeout=ACK_TIMEOUT,
        )
        try:
            driver = SessionDriver(store, subject_key=SUBJECT_KEY)
            users = await create_users(driver, SESSIONS)
            load = Load(driver, users)
            old = group.current_primary()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(load.run)
                await anyio.sleep(WARM_UP)
                killed = time.monotonic()
                old.kill()
                promoted: list[float] = []

                async def supervise() -> None:
                    # Off the event loop: asking a Sentinel is a blocking call.
                    while await anyio.to_thread.run_sync(group.current_primary) is old:
                        await anyio.sleep(0.02)
                    promoted.append(time.monotonic() - killed)

                tasks.start_soon(supervise)
                await wait_for_recovery(load, lambda: bool(promoted))
                load.stop()

            window = Window.of(load.requests, killed)
            assert longest(load.requests) <= DEADLINE + SLACK
            assert window.failed > 0  # the window exists: it is what is measured
            lost, acknowledged = await read_back(driver, users)
            if min_replicas_ack:
                assert lost == 0, f"{lost} of {acknowledged} acknowledged writes were lost"
            await assert_index_consistent(store, users, index_members(group))
            newcomer = await create_users(driver, 1)
            assert (await newcomer[0].write(driver)).ok
            measurements.append(
                f"Sentinel, {flavour} store, min_replicas_ack={min_replicas_ack}: {window} "
                f"after SIGKILL of the primary; new primary named after {promoted[0]:.2f} s; "
                f"longest request {longest(load.requests):.2f} s; acknowledged writes lost: "
                f"{lost} of {acknowledged}"
            )
        finally:
            await close(store)
