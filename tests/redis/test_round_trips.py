"""The round-trip budget per request, counted on the server with ``MONITOR``.

Commands a Lua script runs on the server are not round trips and are not counted; every
command a client sends is. Connections and script caches are warmed up first: a new
connection costs its handshake once, and the first use of a script after a Redis restart
costs an ``EVAL`` (the script sent whole) after the refused ``EVALSHA``, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.deployments import Deployment
from tests.redis.harness import Harness, make_harness
from tests.redis.servers import CommandMonitor, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

LOAD = "HGETALL"
SCRIPT = "EVALSHA"


@pytest.fixture
def deployment(redis_server: RedisServer) -> Deployment:
    return Deployment("standalone", redis_server.url)


@pytest.fixture
def monitor(redis_server: RedisServer) -> Iterator[CommandMonitor]:
    with CommandMonitor([redis_server]) as command_monitor:
        yield command_monitor


async def warm_up(browser: Harness) -> None:
    """Open the store's connection and cache both scripts on the server."""
    for method, path in [
        ("POST", "/set/warm/1"),
        ("POST", "/set/warm/2"),
        ("POST", "/renew"),
        ("POST", "/purge"),
    ]:
        assert (await browser.request(method, path)).status_code == 200


async def measure(
    browser: Harness, monitor: CommandMonitor, method: str, path: str
) -> Counter[str]:
    monitor.take()
    response = await browser.request(method, path)
    assert response.status_code == 200, response.text
    return monitor.take()


async def test_the_budget_of_each_kind_of_request(
    adapter: str, adapter_store: RedisStore | AsyncRedisStore, monitor: CommandMonitor
) -> None:
    browser = make_harness(adapter, adapter_store)
    await warm_up(browser)

    assert await measure(browser, monitor, "POST", "/set/user/ada") == {SCRIPT: 1}  # create
    untouched = await measure(browser, monitor, "GET", "/untouched")
    # Only the eager ASGI middleware reads a session nobody uses.
    assert untouched == ({LOAD: 1} if adapter == "asgi" else {})
    assert await measure(browser, monitor, "GET", "/session") == {LOAD: 1}  # read
    assert await measure(browser, monitor, "POST", "/set/user/bob") == {LOAD: 1, SCRIPT: 1}
    # Assigning the value a key holds: nothing to write, except under Flask, whose rule is
    # that any assignment sends the cookie (the store then only moves the expiry).
    same = {LOAD: 1, SCRIPT: 1} if adapter == "flask" else {LOAD: 1}
    assert await measure(browser, monitor, "POST", "/set/user/bob") == same
    # A renewal moves the session and leaves the old key forwarding in one script.
    assert await measure(browser, monitor, "POST", "/renew") == {LOAD: 1, SCRIPT: 1}
    # A delete is a script too (it follows forwarding records and tidies the index).
    assert await measure(browser, monitor, "POST", "/purge") == {LOAD: 1, SCRIPT: 1}
    assert await measure(browser, monitor, "GET", "/session") == {}  # no cookie left


async def test_extending_every_request_costs_one_script_call(
    adapter: str, adapter_store: RedisStore | AsyncRedisStore, monitor: CommandMonitor
) -> None:
    browser = make_harness(adapter, adapter_store, every_request=True)
    await warm_up(browser)
    await browser.request("POST", "/set/user/ada")

    untouched = await measure(browser, monitor, "GET", "/untouched")
    # A blind expiry move: no load needed, except where the middleware loads eagerly.
    assert untouched == ({LOAD: 1, SCRIPT: 1} if adapter == "asgi" else {SCRIPT: 1})
    assert await measure(browser, monitor, "GET", "/session") == {LOAD: 1, SCRIPT: 1}
