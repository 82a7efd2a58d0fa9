"""The store contract, command by command, against real servers.

Every test runs for `RedisStore` and `AsyncRedisStore` on each deployment: TCP, unix
socket, TLS (``rediss://``) and a 3-master Redis Cluster.
"""

from __future__ import annotations

import math
import secrets
import time

import pytest

from coatcheck import Delta, StoredState, session_id
from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._record import millis, store_key
from tests.redis.calls import call
from tests.redis.deployments import Deployment

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

STATE = {"user_id": "42", "cart": '["apple","pear"]', "name": '"Zoë"'}


def new_key() -> str:
    """A session key as the core draws it: a token, ``.``, its family."""
    return f"{secrets.token_urlsafe(32)}.{secrets.token_hex(4)}"


def expiry(seconds: float) -> float:
    """``seconds`` as the record keeps it: whole milliseconds."""
    return millis(seconds) / 1000


async def test_save_then_load_returns_the_state_and_its_expiry(
    store: RedisStore | AsyncRedisStore,
) -> None:
    key, now = new_key(), time.time()
    assert await call(store.save(key, STATE, ttl=60, now=now)) is True
    assert await call(store.load(key, now=now)) == StoredState(STATE, expiry(now + 60))


async def test_load_of_a_missing_session_is_none(store: RedisStore | AsyncRedisStore) -> None:
    assert await call(store.load(new_key(), now=time.time())) is None


async def test_save_refuses_a_taken_key_and_keeps_the_first_state(
    store: RedisStore | AsyncRedisStore,
) -> None:
    key, now = new_key(), time.time()
    await call(store.save(key, STATE, ttl=60, now=now))
    assert await call(store.save(key, {"intruder": "1"}, ttl=60, now=now)) is False
    assert await call(store.load(key, now=now)) == StoredState(STATE, expiry(now + 60))


async def test_update_applies_the_delta_and_keeps_the_other_keys(
    store: RedisStore | AsyncRedisStore,
) -> None:
    key, now = new_key(), time.time()
    await call(store.save(key, STATE, ttl=60, now=now))
    delta = Delta({"user_id": "43", "theme": '"dark"'}, frozenset({"cart"}))
    full = {"user_id": "43", "name": '"Zoë"', "theme": '"dark"'}
    assert await call(store.update(key, full, delta, ttl=120, now=now + 1)) is True
    assert await call(store.load(key, now=now + 1)) == StoredState(full, expiry(now + 121))


async def test_two_updates_of_different_keys_both_survive(
    store: RedisStore | AsyncRedisStore,
) -> None:
    # Both requests loaded {"a"}; each sends its own delta with its view of the full state.
    key, now = new_key(), time.time()
    await call(store.save(key, {"a": "1"}, ttl=60, now=now))
    await call(store.update(key, {"a": "1", "b": "2"}, Delta({"b": "2"}), ttl=60, now=now))
    await call(store.update(key, {"a": "1", "c": "3"}, Delta({"c": "3"}), ttl=60, now=now))
    loaded = await call(store.load(key, now=now))
    assert loaded.state == {"a": "1", "b": "2", "c": "3"}


async def test_update_of_a_vanished_session_is_none_and_creates_nothing(
    store: RedisStore | AsyncRedisStore,
) -> None:
    key, now = new_key(), time.time()
    assert await call(store.update(key, {"a": "1"}, Delta({"a": "1"}), ttl=60, now=now)) is False
    assert await call(store.load(key, now=now)) is None


async def test_update_ttl_moves_the_expiry_only(
    store: RedisStore | AsyncRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    key, now = new_key(), time.time()
    await call(store.save(key, STATE, ttl=60, now=now))
    assert await call(store.update_ttl(key, ttl=3600, now=now + 5)) is True
    assert await call(store.load(key, now=now + 5)) == StoredState(STATE, expiry(now + 3605))
    with deployment.admin() as admin:
        assert 3590 <= admin.ttl(key_prefix + name_of(key)) <= 3600


async def test_update_ttl_of_a_vanished_session_is_none(
    store: RedisStore | AsyncRedisStore,
) -> None:
    key = new_key()
    assert await call(store.update_ttl(key, ttl=60, now=time.time())) is False
    assert await call(store.load(key, now=time.time())) is None


async def test_delete_removes_the_session_and_a_missing_one_is_fine(
    store: RedisStore | AsyncRedisStore,
) -> None:
    key, now = new_key(), time.time()
    await call(store.save(key, STATE, ttl=60, now=now))
    await call(store.delete(key))
    assert await call(store.load(key, now=now)) is None
    await call(store.delete(key))


async def test_a_session_is_dead_once_now_reaches_its_expiry(
    store: RedisStore | AsyncRedisStore,
) -> None:
    # Half a second past a whole second: now + 59.999 s stays a whole millisecond short of
    # the expiry after float rounding (at an arbitrary clock reading, about 1 in 15,000
    # fell on the expiry's millisecond and read as dead).
    key, now = new_key(), math.floor(time.time()) + 0.5
    await call(store.save(key, STATE, ttl=60, now=now))
    assert await call(store.load(key, now=now + 59.999)) is not None
    dead = now + 60
    assert await call(store.load(key, now=dead)) is None
    assert await call(store.update(key, STATE, Delta({"a": "1"}), ttl=60, now=dead)) is False
    assert await call(store.update_ttl(key, ttl=60, now=dead)) is False
    assert await call(store.load(key, now=now)) == StoredState(STATE, expiry(now + 60))


async def test_redis_expires_the_hash_with_the_session(
    store: RedisStore | AsyncRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    # Redis drops a dead session by itself (the lifecycle tests wait for it to happen).
    saved, updated, now = new_key(), new_key(), time.time()
    await call(store.save(saved, STATE, ttl=600, now=now))
    await call(store.save(updated, STATE, ttl=5, now=now))
    await call(store.update(updated, STATE, Delta({"a": "1"}), ttl=900, now=now))
    with deployment.admin() as admin:
        assert 590 <= admin.ttl(key_prefix + name_of(saved)) <= 600
        assert 890 <= admin.ttl(key_prefix + name_of(updated)) <= 900


async def test_ttl_zero_keeps_nothing(store: RedisStore | AsyncRedisStore) -> None:
    saved, updated, now = new_key(), new_key(), time.time()
    assert await call(store.save(saved, STATE, ttl=0, now=now)) is True
    assert await call(store.load(saved, now=now - 1)) is None
    await call(store.save(updated, STATE, ttl=60, now=now))
    assert await call(store.update(updated, STATE, Delta({"x": "1"}), ttl=0, now=now)) is True
    assert await call(store.load(updated, now=now - 1)) is None
    await call(store.save(updated, STATE, ttl=60, now=now))
    assert await call(store.update_ttl(updated, ttl=0, now=now)) is True
    assert await call(store.load(updated, now=now - 1)) is None


async def test_any_text_round_trips(store: RedisStore | AsyncRedisStore) -> None:
    # Keys that look like metadata, empty strings, non-ASCII and a lone surrogate (which a
    # JSON body can carry into a session) all come back exactly.
    state = {
        "version": '"mine"',
        "expires_at": "0",
        "s:nested": "1",
        "": '""',
        "日本": '"語"',
        "emoji": '"\U0001f600"',
        "lone": '"\ud800"',
        "nul": '"\x00"',
    }
    key, now = new_key(), time.time()
    await call(store.save(key, state, ttl=60, now=now))
    assert await call(store.load(key, now=now)) == StoredState(state, expiry(now + 60))
    delta = Delta({"lone": '"\udfff"'}, frozenset({"version", "日本"}))
    await call(store.update(key, {}, delta, ttl=60, now=now))
    loaded = await call(store.load(key, now=now))
    assert loaded.state == {
        **{k: v for k, v in state.items() if k not in ("version", "日本")},
        "lone": '"\udfff"',
    }


async def test_large_sessions_are_written_in_one_command(
    store: RedisStore | AsyncRedisStore,
) -> None:
    # More fields than one Lua unpack() can take (its stack holds 8000 values).
    state = {f"key{index}": str(index) for index in range(6000)}
    removed = frozenset(f"key{index}" for index in range(0, 6000, 2))
    changed = {f"new{index}": "1" for index in range(4500)}
    key, now = new_key(), time.time()
    await call(store.save(key, state, ttl=60, now=now))
    assert (await call(store.load(key, now=now))).state == state
    await call(store.update(key, {}, Delta(changed, removed), ttl=60, now=now))
    expected = {k: v for k, v in state.items() if k not in removed} | changed
    assert (await call(store.load(key, now=now))).state == expected


@pytest.mark.parametrize("changed_count", [0, 1, 499, 500, 501, 1000, 1001])
async def test_a_delta_at_the_edges_of_a_chunk_is_applied_whole(
    store: RedisStore | AsyncRedisStore, changed_count: int
) -> None:
    # The update script sends the expiry with the first chunk of pairs (500 of them) and
    # the rest in further calls: every pair lands, on either side of the edge.
    state = {"kept": "1", "gone": "2"}
    changed = {f"new{index}": str(index) for index in range(changed_count)}
    key, now = new_key(), time.time()
    await call(store.save(key, state, ttl=60, now=now))
    delta = Delta(changed, frozenset({"gone"}))
    assert await call(store.update(key, {}, delta, ttl=120, now=now + 1)) is True
    loaded = await call(store.load(key, now=now + 100))
    assert loaded is not None
    assert loaded.state == {"kept": "1", **changed}
    assert loaded.expires_at == pytest.approx(now + 121, abs=0.002)


async def test_store_keys_are_the_family_and_the_public_id_of_session_keys(
    store: RedisStore | AsyncRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    key, now = new_key(), time.time()
    token, _, family = key.rpartition(".")
    assert name_of(key) == "{" + family + "}" + session_id(key)
    await call(store.save(key, STATE, ttl=60, now=now))
    with deployment.admin() as admin:
        names = [name.decode() for name in admin.scan_iter(match=key_prefix + "*")]
        fields = admin.hgetall(key_prefix + name_of(key))
    assert names == [key_prefix + name_of(key)]
    assert token not in names[0]
    assert {b"version", b"expires_at", b"s:user_id", b"s:cart", b"s:name"} == set(fields)


async def test_scripts_are_reloaded_after_a_script_flush(
    store: RedisStore | AsyncRedisStore, deployment: Deployment
) -> None:
    key, now = new_key(), time.time()
    await call(store.save(key, STATE, ttl=60, now=now))
    with deployment.admin() as admin:
        admin.script_flush()
    assert await call(store.update(key, {}, Delta({"after": "1"}), ttl=60, now=now)) is True
    assert (await call(store.load(key, now=now))).state == {**STATE, "after": "1"}
    assert await call(store.save(new_key(), STATE, ttl=60, now=now)) is not None


def name_of(key: str) -> str:
    """The store's Redis name for ``key`` (after the key prefix)."""
    return store_key(b"", key).decode()
