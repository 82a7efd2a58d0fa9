"""Numbers in a record: Python and the Lua scripts read them by one rule, or not at all.

A stored ``expires_at`` is 1 to 15 ASCII digits (milliseconds). Anything else (``nan``,
``inf``, hex, exponents, signs, spaces, non-ASCII digits, too many digits) is a stale
session for `load` and for the update script alike: a planted record never loads, and
no request (not even an untouched one under ``ON_EVERY_REQUEST``) extends or rewrites it.
Lua's ``tonumber`` alone would accept most of these, and ``nan`` compares false with
everything, so such a record would have looked alive forever.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.client import Redis

from coatcheck import Delta, SessionMeta, session_id
from coatcheck.sansio import subject_family
from coatcheck_redis import RECORD_VERSION, AsyncRedisStore, RedisStore
from coatcheck_redis._index import index_key
from coatcheck_redis._record import MILLIS_DIGITS, millis, parse_millis, store_key
from coatcheck_redis._scripts import MILLIS_RULE
from tests.redis.calls import call
from tests.redis.deployments import Deployment
from tests.redis.harness import make_harness
from tests.redis.servers import RedisClusterServers, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

YEAR_2030 = "1900000000000"
"""A plausible expiry in milliseconds; the bad values below dress it up."""
BAD_NUMBERS = [
    "nan",
    "inf",
    "-inf",
    "0x7fffffff",
    "0x7fffffffffff",
    "1e3",
    "1e15",
    " 123",
    " " + YEAR_2030,
    "123 ",
    YEAR_2030 + " ",
    "+5",
    "+" + YEAR_2030,
    "-5",
    "-" + YEAR_2030,
    YEAR_2030 + ".5",
    "1_900_000_000_000",
    "\uff11\uff19\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10",
    "\u0661\u0669\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660",
    "9" * 40,
    "1" + "0" * 39,
    "9" * (MILLIS_DIGITS + 1),
    "",
]
"""Expiries that must read as "no session"; most of them Lua's ``tonumber`` accepts."""
PLANTED_TTL = 1000
"""Seconds the planted records live: an update would have moved this to its ``ttl``."""
UPDATE_TTL = 60


@pytest.fixture(params=["standalone", "cluster"])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """Standalone and Cluster: the scripts run on both."""
    if request.param == "cluster":
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        return Deployment("cluster", cluster.url, cluster=True)
    server: RedisServer = request.getfixturevalue("redis_server")
    return Deployment("standalone", server.url)


def store_name(key_prefix: str, session_key: str) -> str:
    return store_key(key_prefix.encode(), session_key).decode()


def raw(deployment: Deployment, name: str) -> tuple[Any, Any, int]:
    """Everything that could change under ``name``: its fields, its bytes, its TTL."""
    with deployment.admin() as admin:
        return admin.hgetall(name), admin.dump(name), admin.ttl(name)


@pytest.mark.parametrize("expires_at", BAD_NUMBERS)
async def test_a_record_with_a_bad_expiry_is_stale_for_every_command(
    store: RedisStore | AsyncRedisStore, deployment: Deployment, key_prefix: str, expires_at: str
) -> None:
    session_key = secrets.token_urlsafe(32)
    name = store_name(key_prefix, session_key)
    with deployment.admin() as admin:
        admin.hset(
            name,
            mapping={"version": RECORD_VERSION, "expires_at": expires_at, "s:user": '"mallory"'},
        )
        admin.expire(name, PLANTED_TTL)
    before = raw(deployment, name)
    now = time.time()

    assert await call(store.load(session_key, now=now)) is None
    delta = Delta({"user": '"eve"'}, frozenset({"user2"}))
    state = {"user": '"eve"'}
    assert await call(store.update(session_key, state, delta, ttl=UPDATE_TTL, now=now)) is False
    assert await call(store.update_ttl(session_key, ttl=UPDATE_TTL, now=now)) is False

    after = raw(deployment, name)
    assert after[:2] == before[:2]
    assert after[2] > UPDATE_TTL  # the expiry was not moved either
    assert await call(store.load(session_key, now=now)) is None


async def test_a_vanished_session_stays_absent_after_update_and_update_ttl(
    store: RedisStore | AsyncRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    never, deleted, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
    assert await call(store.save(deleted, {"a": "1"}, ttl=60, now=now)) is True
    await call(store.delete(deleted))
    for session_key in (never, deleted):
        delta = Delta({"a": "2"})
        assert await call(store.update(session_key, {"a": "2"}, delta, ttl=60, now=now)) is False
        assert await call(store.update_ttl(session_key, ttl=60, now=now)) is False
        with deployment.admin() as admin:
            assert admin.exists(store_name(key_prefix, session_key)) == 0


@pytest.mark.parametrize("field", ["created_at", "last_active"])
@pytest.mark.parametrize("number", ["nan", "1e3", "+5", "9" * (MILLIS_DIGITS + 1)])
async def test_a_session_of_a_subject_with_a_bad_number_is_stale_everywhere(
    store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
    field: str,
    number: str,
) -> None:
    """The metadata's numbers follow the same rule: such a session never loads, is never
    written, listed, counted or revoked, and its index entry is dropped when met."""
    now = time.time()
    session_key = f"{secrets.token_urlsafe(32)}.{subject_family('ada')}"
    meta = SessionMeta("ada", now, None)
    assert await call(store.save(session_key, {"a": "1"}, ttl=600, now=now, meta=meta))
    name = store_name(key_prefix, session_key)
    with deployment.admin() as admin:
        admin.hset(name, field, number)
    before = raw(deployment, name)
    assert await call(store.load(session_key, now=now)) is None
    delta = Delta({"a": "2"})
    assert await call(store.update(session_key, {"a": "2"}, delta, ttl=60, now=now)) is False
    assert await call(store.update_ttl(session_key, ttl=60, now=now)) is False
    assert raw(deployment, name)[:2] == before[:2]
    assert await call(store.list_sessions("ada", now=now)) == []
    assert await call(store.revoke("ada", session_id(session_key), now=now)) is False
    assert await call(store.revoke_all("ada", now=now)) == 0
    with deployment.admin() as admin:
        assert admin.zcard(index_key(key_prefix.encode(), "ada")) == 0


@pytest.mark.parametrize("adapter", ["asgi-lazy", "wsgi", "flask"])
async def test_an_untouched_request_does_not_revive_a_planted_record(
    adapter: str,
    adapter_store: RedisStore | AsyncRedisStore,
    deployment: Deployment,
    key_prefix: str,
) -> None:
    # The attack: an expiry Lua's tonumber() reads as "alive forever", then a
    # request that only extends the session (one UpdateTtl) would have made it valid.
    browser = make_harness(adapter, adapter_store, every_request=True)
    assert (await browser.request("POST", "/set/user/ada")).status_code == 200
    with deployment.admin() as admin:
        (name,) = admin.scan_iter(match=key_prefix + "*")
        admin.hset(name, mapping={"expires_at": "nan", "s:user": '"mallory"'})
    before = raw(deployment, name)

    assert (await browser.request("GET", "/untouched", keep=False)).status_code == 200
    after = raw(deployment, name)
    assert after[:2] == before[:2]
    assert after[2] <= before[2]
    response = await browser.request("GET", "/session", keep=False)
    assert response.status_code == 200
    assert response.json() == {}


# -- one rule, two languages -------------------------------------------------------------


@pytest.fixture(scope="module")
def lua_rule(redis_server: RedisServer) -> Iterator[Any]:
    """``MILLIS_RULE`` run alone on a real Redis: bytes in, number or ``None`` out."""
    client: Redis = redis_server.admin()
    script = client.register_script(MILLIS_RULE + "\nreturn parse_millis(ARGV[1])\n")
    try:
        yield lambda text: script(keys=[], args=[text])
    finally:
        client.close()


NUMBERISH = st.from_regex(
    rb"\A[ \t+\-]?(0[xX])?[0-9a-fA-F]{0,20}(\.[0-9]*)?([eE][+\-]?[0-9]{1,3})?[ \t\n]?\Z"
)
DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=18).map(str.encode)
WORDS = st.sampled_from(
    [b"nan", b"NaN", b"-nan", b"inf", b"-inf", b"Infinity", b"0x10", b"1e3", b"", b"0", b"00"]
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    st.one_of(
        NUMBERISH,
        DIGITS,
        WORDS,
        st.integers(min_value=0, max_value=10**20).map(lambda n: str(n).encode()),
        st.binary(max_size=24),
    )
)
def test_python_and_lua_agree_on_every_string(lua_rule: Any, text: bytes) -> None:
    assert lua_rule(text) == parse_millis(text)


def test_the_rule_takes_every_number_the_stores_write() -> None:
    for seconds in (0.0, 0.0004, 1_700_000_000.25, time.time(), 10.0**12 - 0.001):
        written = b"%d" % millis(seconds)
        assert parse_millis(written) == millis(seconds)
    assert millis(-5.0) == 0
    assert parse_millis(b"%d" % millis(10.0**15)) == 10**MILLIS_DIGITS - 1
