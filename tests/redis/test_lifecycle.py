"""A session's whole life through each adapter, over a real Redis.

Starlette with `AsyncRedisStore` (eager and lazy), plain WSGI and Flask with `RedisStore`:
create, read, change, renew, purge, expiry by TTL, extension on every request, key
rotation, and bad data under the session's key. Then the lifecycle machine
(`coatcheck_testing.hypothesis.SessionLifecycle`) against `RedisStore` and
`AsyncRedisStore`: it expects forwarding and the session index exactly when the store
offers them.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_testing.hypothesis import SessionLifecycle
from tests.redis.deployments import Deployment
from tests.redis.harness import make_harness, set_cookie_value
from tests.redis.servers import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

OLD_SECRET = "the old secret, long enough for HKDF to not mind"
NEW_SECRET = "the new secret, long enough for HKDF to not mind"


@pytest.fixture
def deployment(redis_server: RedisServer) -> Deployment:
    return Deployment("standalone", redis_server.url)


def stored(deployment: Deployment, key_prefix: str) -> dict[Any, dict[Any, Any]]:
    """Every session record under ``key_prefix``, by store key."""
    with deployment.admin() as admin:
        return {name: admin.hgetall(name) for name in admin.scan_iter(match=key_prefix + "*")}


def ttl_of_only_session(deployment: Deployment, key_prefix: str) -> int:
    with deployment.admin() as admin:
        (name,) = admin.scan_iter(match=key_prefix + "*")
        ttl: int = admin.ttl(name)
        return ttl


async def test_create_read_change_renew_purge(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
) -> None:
    browser = make_harness(adapter, adapter_store)

    created = await browser.request("POST", "/set/user/ada")
    assert created.status_code == 200
    assert browser.cookie
    assert "Cookie" in created.headers["vary"]
    (record,) = stored(deployment, key_prefix).values()
    assert record[b"s:user"] == b'"ada"'

    read = await browser.request("GET", "/session")
    assert read.json() == {"user": "ada"}
    assert set_cookie_value(read) is None

    await browser.request("POST", "/set/theme/dark")
    await browser.request("POST", "/remove/user")
    assert await browser.session() == {"theme": "dark"}
    (store_key,) = stored(deployment, key_prefix)

    before_renewal = browser.cookie
    renewed = await browser.request("POST", "/renew")
    assert set_cookie_value(renewed) not in (None, "", before_renewal)
    after = stored(deployment, key_prefix)
    # The renewed session, and the old key as a forwarding record for the grace window
    # (it holds no state: only the sealed pointer and where the successor lives).
    assert len(after) == 2
    forwarding = after[store_key]
    assert b"forward" in forwarding
    assert not any(field.startswith(b"s:") for field in forwarding)
    assert await browser.session() == {"theme": "dark"}
    # A request in flight with the old cookie is served the successor and handed its cookie.
    old_cookie_session = await browser.request("GET", "/session", cookie=before_renewal, keep=False)
    assert old_cookie_session.json() == {"theme": "dark"}
    handed = set_cookie_value(old_cookie_session)
    assert handed
    follow_up = await browser.request("GET", "/session", cookie=handed, keep=False)
    assert follow_up.json() == {"theme": "dark"}
    assert set_cookie_value(follow_up) is None

    purged = await browser.request("POST", "/purge")
    assert set_cookie_value(purged) == ""
    assert not browser.cookie
    # Only the forwarding record may remain until its window ends, leading nowhere.
    left = stored(deployment, key_prefix)
    assert set(left) <= {store_key}
    assert not any(field.startswith(b"s:") for record in left.values() for field in record)
    old_after_purge = await browser.request("GET", "/session", cookie=before_renewal, keep=False)
    assert old_after_purge.json() == {}


async def test_a_session_expires_with_its_ttl(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
) -> None:
    browser = make_harness(adapter, adapter_store, ttl=1)
    await browser.request("POST", "/set/user/ada")
    assert await browser.session() == {"user": "ada"}
    await anyio.sleep(1.1)
    assert await browser.session() == {}
    assert stored(deployment, key_prefix) == {}


async def test_every_request_extends_the_session_when_configured(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
) -> None:
    browser = make_harness(adapter, adapter_store, ttl=1000, every_request=True)
    await browser.request("POST", "/set/user/ada")
    for path in ("/untouched", "/session"):
        age_the_session(deployment, key_prefix, seconds_left=10)
        response = await browser.request("GET", path)
        assert response.status_code == 200
        assert ttl_of_only_session(deployment, key_prefix) > 900, path
    assert await browser.session() == {"user": "ada"}


async def test_only_changes_extend_the_session_by_default(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
) -> None:
    browser = make_harness(adapter, adapter_store, ttl=1000)
    await browser.request("POST", "/set/user/ada")
    age_the_session(deployment, key_prefix, seconds_left=10)
    await browser.request("GET", "/untouched")
    await browser.request("GET", "/session")
    assert ttl_of_only_session(deployment, key_prefix) <= 10
    await browser.request("POST", "/set/theme/dark")
    assert ttl_of_only_session(deployment, key_prefix) > 900


async def test_key_rotation_reissues_the_cookie_and_keeps_the_session(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
) -> None:
    old_app = make_harness(adapter, adapter_store, secrets=[OLD_SECRET])
    await old_app.request("POST", "/set/user/ada")
    old_cookie = old_app.cookie
    assert old_cookie is not None

    rotating = make_harness(adapter, adapter_store, secrets=[NEW_SECRET, OLD_SECRET])
    read = await rotating.request("GET", "/session", cookie=old_cookie)
    assert read.json() == {"user": "ada"}
    new_cookie = set_cookie_value(read)
    assert new_cookie not in (None, "", old_cookie)
    assert len(stored(deployment, key_prefix)) == 1  # same session, new envelope

    new_app = make_harness(adapter, adapter_store, secrets=[NEW_SECRET])
    assert (await new_app.request("GET", "/session", cookie=new_cookie)).json() == {"user": "ada"}
    assert (await new_app.request("GET", "/session", cookie=old_cookie)).json() == {}


@pytest.mark.parametrize("garbage", ["string", "foreign hash", "future version"])
async def test_bad_data_under_the_key_is_an_empty_session(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
    garbage: str,
) -> None:
    browser = make_harness(adapter, adapter_store)
    await browser.request("POST", "/set/user/ada")
    (name,) = stored(deployment, key_prefix)
    with deployment.admin() as admin:
        admin.delete(name)
        if garbage == "string":
            admin.set(name, b"\x80\x81 not a hash")
        elif garbage == "foreign hash":
            admin.hset(name, mapping={"user": "mallory"})
        else:
            admin.hset(name, mapping={"version": "99", "expires_at": "1e12", "s:user": '"x"'})

    response = await browser.request("GET", "/session")
    assert response.status_code == 200
    assert response.json() == {}
    created = await browser.request("POST", "/set/user/bob")
    assert created.status_code == 200
    assert await browser.session() == {"user": "bob"}


def age_the_session(deployment: Deployment, key_prefix: str, *, seconds_left: int) -> None:
    """Make the only session look old: Redis will drop it in ``seconds_left``."""
    with deployment.admin() as admin:
        (name,) = admin.scan_iter(match=key_prefix + "*")
        admin.expire(name, seconds_left)


# -- the lifecycle machine -------------------------------------------------------------------

CI = settings.get_current_profile_name() == "ci"
MACHINE = settings(
    max_examples=25 if CI else 8,
    stateful_step_count=40 if CI else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_the_lifecycle_machine_on_redis(deployment: Deployment, flavour: str) -> None:
    """Every run gets a key prefix of its own; Redis keeps its own clock (``real_clock``)."""

    class RedisLifecycle(SessionLifecycle):
        real_clock = True

        def make_store(self) -> RedisStore | AsyncRedisStore:
            prefix = f"test:{uuid.uuid4().hex[:12]}:"
            if flavour == "sync":
                return deployment.sync_store(prefix)
            return deployment.async_store(prefix)

        def close_store(self, store: RedisStore | AsyncRedisStore) -> None:
            if isinstance(store, AsyncRedisStore):
                self.run_async(store.aclose())
            else:
                store.close()

    run_state_machine_as_test(RedisLifecycle, settings=MACHINE)
