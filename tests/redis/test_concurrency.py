"""No lost updates: concurrent requests that change different keys of one session all keep
their change, on a standalone Redis and on a Redis Cluster.

Each racing request reads the session, then waits until all of them have read it before
it writes: every request saw the same old state, which is the interleaving that loses
updates when a store writes the whole session back.
"""

from __future__ import annotations

import anyio
import pytest

from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.conftest import DEPLOYMENTS
from tests.redis.deployments import Deployment
from tests.redis.harness import make_harness

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

RACERS = 50


@pytest.fixture(params=[name for name in DEPLOYMENTS if name in ("standalone", "cluster")])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """Standalone and cluster."""
    if request.param == "cluster":
        return Deployment("cluster", request.getfixturevalue("redis_cluster").url, cluster=True)
    return Deployment("standalone", request.getfixturevalue("redis_server").url)


async def test_concurrent_changes_to_different_keys_all_survive(
    adapter: str, adapter_store: RedisStore | AsyncRedisStore
) -> None:
    browser = make_harness(adapter, adapter_store, party=RACERS)
    await browser.request("POST", "/set/seed/1")
    statuses: list[int] = []

    async def race(index: int) -> None:
        response = await browser.request("POST", f"/race/key{index}", keep=False)
        statuses.append(response.status_code)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for index in range(RACERS):
                group.start_soon(race, index)

    assert statuses == [200] * RACERS
    expected = {"seed": "1"} | {f"key{index}": "1" for index in range(RACERS)}
    assert await browser.session() == expected
