"""Redis going away and coming back, under each adapter.

A dead Redis gives 500s at once and no cookie; a hung one gives 500s after the socket
timeout; once Redis is back on the same port, the same application serves requests
again (its pooled connections are replaced and its scripts reloaded on the fly).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import ClusterDownError
from redis.exceptions import ConnectionError as RedisConnectionError

from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._record import store_key
from tests.redis.calls import call
from tests.redis.deployments import Deployment
from tests.redis.harness import make_harness, set_cookie_value
from tests.redis.servers import RedisClusterServers, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.faults, pytest.mark.anyio]

FAST = 1.5
"""Seconds a request may take to fail when Redis refuses connections (with slack)."""
SOCKET_TIMEOUT = 0.5


@pytest.fixture
def deployment(disposable_redis: RedisServer) -> Deployment:
    return Deployment("disposable", disposable_redis.url)


@pytest.fixture
async def short_timeout_store(
    adapter: str, deployment: Deployment, key_prefix: str, anyio_backend: str
) -> AsyncIterator[RedisStore | AsyncRedisStore]:
    """The adapter's store, with a short socket timeout to keep the hung case quick."""
    if adapter.startswith("asgi"):
        async_store = deployment.async_store(key_prefix, socket_timeout=SOCKET_TIMEOUT)
        yield async_store
        await async_store.aclose()
    else:
        sync_store = deployment.sync_store(key_prefix, socket_timeout=SOCKET_TIMEOUT)
        yield sync_store
        sync_store.close()


async def test_a_killed_redis_gives_500s_and_a_restarted_one_serves_again(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    disposable_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser = make_harness(adapter, adapter_store)
    assert (await browser.request("POST", "/set/user/ada")).status_code == 200
    cookie = browser.cookie

    disposable_redis.kill()
    with caplog.at_level(logging.ERROR, logger="coatcheck"):
        for method, path in [("GET", "/session"), ("POST", "/set/user/bob"), ("POST", "/purge")]:
            started = time.monotonic()
            response = await browser.request(method, path, keep=False)
            assert response.status_code == 500, (method, path)
            assert set_cookie_value(response) is None
            assert time.monotonic() - started < FAST
    assert any("session store failed" in record.getMessage() for record in caplog.records)
    # Requests that do not need the session do not need Redis (except eager loading).
    untouched = await browser.request("GET", "/untouched")
    assert untouched.status_code == (500 if adapter == "asgi" else 200)

    disposable_redis.start()
    # The data died with the server: the old cookie is a stale session now.
    assert (await browser.request("GET", "/session", cookie=cookie)).json() == {}
    assert (await browser.request("POST", "/set/user/carol")).status_code == 200
    assert (await browser.request("POST", "/set/theme/dark")).status_code == 200
    assert await browser.session() == {"user": "carol", "theme": "dark"}


async def test_a_hung_redis_gives_500s_after_the_socket_timeout(
    adapter: str,
    short_timeout_store: RedisStore | AsyncRedisStore,
    disposable_redis: RedisServer,
) -> None:
    browser = make_harness(adapter, short_timeout_store)
    assert (await browser.request("POST", "/set/user/ada")).status_code == 200

    disposable_redis.freeze()
    try:
        started = time.monotonic()
        response = await browser.request("GET", "/session")
        elapsed = time.monotonic() - started
    finally:
        disposable_redis.thaw()
    assert response.status_code == 500
    assert SOCKET_TIMEOUT - 0.1 <= elapsed < SOCKET_TIMEOUT + FAST
    assert await browser.session() == {"user": "ada"}


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_the_store_itself_recovers_after_a_restart(
    flavour: str, deployment: Deployment, disposable_redis: RedisServer, anyio_backend: str
) -> None:
    store = deployment.sync_store("p:") if flavour == "sync" else deployment.async_store("p:")
    try:
        now = time.time()
        assert await call(store.save("k", {"a": "1"}, ttl=60, now=now)) is True
        disposable_redis.restart()
        # Every pooled connection is dead and the server forgot the scripts.
        assert await call(store.load("k", now=now)) is None
        assert await call(store.save("k", {"a": "2"}, ttl=60, now=now)) is True
        assert await call(store.update_ttl("k", ttl=60, now=now)) is True
        assert (await call(store.load("k", now=now))).state == {"a": "2"}
    finally:
        if isinstance(store, AsyncRedisStore):
            await store.aclose()
        else:
            store.close()


def test_a_cluster_master_going_away_and_coming_back(
    disposable_cluster: RedisClusterServers,
) -> None:
    store = RedisStore.from_url(disposable_cluster.url, cluster=True)
    try:
        now = time.time()
        keys = [secrets.token_urlsafe(32) for _ in range(30)]
        for key in keys:
            store.save(key, {"a": "1"}, ttl=60, now=now)
        victim = disposable_cluster.nodes[1]
        with victim.admin() as admin:
            held = set(admin.scan_iter(match="session:*"))
        on_victim = {key for key in keys if store_key(b"session:", key) in held}
        assert 0 < len(on_victim) < len(keys)

        victim.kill()
        for key in keys:
            started = time.monotonic()
            if key in on_victim:
                with pytest.raises(RedisConnectionError):
                    store.load(key, now=now)
            else:
                assert store.load(key, now=now) is not None
            assert time.monotonic() - started < FAST

        victim.start()
        # The node rejoins with its slots (its nodes.conf survived); until the others
        # have seen it again the cluster may briefly answer CLUSTERDOWN.
        deadline = time.monotonic() + 15
        while True:
            try:
                loaded = {key: store.load(key, now=now) for key in keys}
                break
            except ClusterDownError:
                assert time.monotonic() < deadline, "the cluster did not recover"
                time.sleep(0.1)
        # Its sessions died with it (no persistence); the others are untouched.
        assert {key for key, state in loaded.items() if state is None} == on_victim
        assert store.save("after", {"a": "1"}, ttl=60, now=now)
    finally:
        store.close()
