"""Bad data under a session's key is a stale session, never an error.

Whatever sits under the key (another type, a hash in another layout, bytes that are not
UTF-8, a record version from the future), `load` says "no session", `update` and
`update_ttl` say "vanished" and leave it alone, and `save` calls the key taken.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest

from coatcheck import Delta
from coatcheck_redis import RECORD_VERSION, AsyncRedisStore, RedisStore
from coatcheck_redis._record import millis, store_key
from tests.redis.calls import call
from tests.redis.deployments import Deployment
from tests.redis.servers import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

FUTURE = str(millis(time.time() + 3600))
NEXT_VERSION = str(int(RECORD_VERSION) + 1)

Writer = Callable[[Any, str], None]

NOT_A_RECORD: dict[str, Writer] = {
    "string": lambda admin, name: admin.set(name, b"\x00\xffgarbage"),
    "list": lambda admin, name: admin.rpush(name, b"a", b"b"),
    "set": lambda admin, name: admin.sadd(name, b"a"),
    "sorted set": lambda admin, name: admin.zadd(name, {b"a": 1.0}),
    "stream": lambda admin, name: admin.xadd(name, {b"a": b"1"}),
    "hash without version": lambda admin, name: admin.hset(
        name, mapping={"expires_at": FUTURE, "s:a": "1"}
    ),
    "unknown version": lambda admin, name: admin.hset(
        name, mapping={"version": NEXT_VERSION, "expires_at": FUTURE, "s:a": "1"}
    ),
    "version 1 (float seconds)": lambda admin, name: admin.hset(
        name, mapping={"version": "1", "expires_at": repr(time.time() + 3600), "s:a": "1"}
    ),
}
"""Not a session record at all: the update script must leave these alone."""

DAMAGED_RECORD: dict[str, Writer] = {
    "unreadable expiry": lambda admin, name: admin.hset(
        name, mapping={"version": RECORD_VERSION, "expires_at": "tomorrow", "s:a": "1"}
    ),
    "infinite expiry": lambda admin, name: admin.hset(
        name, mapping={"version": RECORD_VERSION, "expires_at": "inf", "s:a": "1"}
    ),
    "foreign field": lambda admin, name: admin.hset(
        name, mapping={"version": RECORD_VERSION, "expires_at": FUTURE, "user_id": "1"}
    ),
    "invalid UTF-8 value": lambda admin, name: admin.hset(
        name, mapping={"version": RECORD_VERSION, "expires_at": FUTURE, "s:a": b"\xc3\x28"}
    ),
    "invalid UTF-8 field": lambda admin, name: admin.hset(
        name, mapping={"version": RECORD_VERSION, "expires_at": FUTURE, b"s:\xff": "1"}
    ),
    "unreadable last_active": lambda admin, name: admin.hset(
        name,
        mapping={"version": RECORD_VERSION, "expires_at": FUTURE, "last_active": "1e3"},
    ),
    "forward out of its family": lambda admin, name: admin.hset(
        name,
        mapping={
            "version": RECORD_VERSION,
            "expires_at": FUTURE,
            "forward": "F",
            "next": "elsewhere:" + "A" * 22,
        },
    ),
    "forward with state": lambda admin, name: admin.hset(
        name,
        mapping={
            "version": RECORD_VERSION,
            "expires_at": FUTURE,
            "forward": "F",
            "next": name[:-22] + "B" * 22,
            "s:a": "1",
        },
    ),
}
"""A current record with damaged fields: `load` refuses them (`test_record_numbers` covers
what `update` does with a damaged expiry)."""

BAD_DATA = NOT_A_RECORD | DAMAGED_RECORD


@pytest.fixture
def deployment(redis_server: RedisServer) -> Deployment:
    """Only standalone: the layout is the same everywhere."""
    return Deployment("standalone", redis_server.url)


def write_bad_data(deployment: Deployment, key_prefix: str, writer: Writer) -> tuple[str, str]:
    """A session key whose store key holds what ``writer`` writes, and that store key."""
    session_key = f"{secrets.token_urlsafe(32)}.{secrets.token_hex(4)}"
    name = store_key(key_prefix.encode(), session_key).decode()
    with deployment.admin() as admin:
        writer(admin, name)
    return session_key, name


@pytest.fixture(params=list(BAD_DATA))
def bad_key(
    request: pytest.FixtureRequest, deployment: Deployment, key_prefix: str
) -> tuple[str, str]:
    """A session key whose store key holds bad data, and that store key."""
    return write_bad_data(deployment, key_prefix, BAD_DATA[request.param])


@pytest.fixture(params=list(NOT_A_RECORD))
def foreign_key(
    request: pytest.FixtureRequest, deployment: Deployment, key_prefix: str
) -> tuple[str, str]:
    """A session key whose store key holds something that is no session record."""
    return write_bad_data(deployment, key_prefix, NOT_A_RECORD[request.param])


async def test_bad_data_loads_as_no_session(
    store: RedisStore | AsyncRedisStore, bad_key: tuple[str, str]
) -> None:
    session_key, _ = bad_key
    assert await call(store.load(session_key, now=time.time())) is None


async def test_what_is_no_session_record_is_not_updated(
    store: RedisStore | AsyncRedisStore, foreign_key: tuple[str, str], deployment: Deployment
) -> None:
    session_key, name = foreign_key
    with deployment.admin() as admin:
        before = admin.dump(name)
    now = time.time()
    delta = Delta({"a": "2"}, frozenset({"b"}))
    assert not await call(store.update(session_key, {"a": "2"}, delta, ttl=60, now=now))
    assert not await call(store.update_ttl(session_key, ttl=60, now=now))
    with deployment.admin() as admin:
        assert admin.dump(name) == before


async def test_a_key_holding_bad_data_counts_as_taken(
    store: RedisStore | AsyncRedisStore, bad_key: tuple[str, str]
) -> None:
    session_key, _ = bad_key
    assert not await call(store.save(session_key, {"a": "1"}, ttl=60, now=time.time()))


async def test_delete_removes_bad_data(
    store: RedisStore | AsyncRedisStore, bad_key: tuple[str, str], deployment: Deployment
) -> None:
    session_key, name = bad_key
    await call(store.delete(session_key))
    with deployment.admin() as admin:
        assert admin.exists(name) == 0
