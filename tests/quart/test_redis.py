"""Quart on a real Redis: `AsyncRedisStore` awaited, `RedisStore` in a worker thread,
against a redis-server of the test run's own (no mock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import quart
from redis.client import Redis

from coatcheck.sansio import AnyStore
from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.servers import RedisServer

from .helpers import SECRET, jar, make_app

pytestmark = [pytest.mark.redis, pytest.mark.anyio]


@pytest.fixture(params=["async", "sync"])
async def store(
    request: pytest.FixtureRequest, redis_server: RedisServer, key_prefix: str
) -> AsyncIterator[AnyStore]:
    """An `AsyncRedisStore` and a `RedisStore` on the run's redis-server, closed after."""
    if request.param == "async":
        async_store = AsyncRedisStore.from_url(redis_server.url, key_prefix=key_prefix)
        yield async_store
        await async_store.aclose()
    else:
        sync_store = RedisStore.from_url(redis_server.url, key_prefix=key_prefix)
        yield sync_store
        sync_store.close()


def keys(server: RedisServer, prefix: str) -> list[bytes]:
    """The keys the store wrote under ``prefix``."""
    client = Redis.from_url(server.url)
    try:
        return sorted(client.scan_iter(match=f"{prefix}*"))
    finally:
        client.close()


def ttl(server: RedisServer, key: bytes) -> int:
    client = Redis.from_url(server.url)
    try:
        return int(client.ttl(key))
    finally:
        client.close()


async def _text(response: quart.Response) -> str:
    body: str = await response.get_data(as_text=True)
    return body


async def test_round_trip(store: AnyStore, redis_server: RedisServer, key_prefix: str) -> None:
    client = make_app(store).test_client()
    assert await _text(await client.get("/untouched")) == "-"
    assert keys(redis_server, key_prefix) == []
    assert await _text(await client.get("/incr")) == "1"
    assert await _text(await client.get("/incr")) == "2"
    assert await _text(await client.get("/read")) == "2"
    assert len(keys(redis_server, key_prefix)) == 1
    await client.get("/clear")
    assert keys(redis_server, key_prefix) == []
    assert await _text(await client.get("/read")) == "None"


async def test_a_permanent_session_lives_in_redis_for_the_lifetime(
    store: AnyStore, redis_server: RedisServer, key_prefix: str
) -> None:
    app = make_app(store, PERMANENT_SESSION_LIFETIME=timedelta(hours=2))
    client = app.test_client()
    await client.get("/incr")
    [key] = keys(redis_server, key_prefix)
    browser_ttl = ttl(redis_server, key)
    await client.get("/remember")
    [key] = keys(redis_server, key_prefix)
    assert 7000 < ttl(redis_server, key) <= 7200
    assert browser_ttl <= 7200
    assert await _text(await client.get("/read")) == "1"


async def test_key_rotation_keeps_redis_sessions(store: AnyStore) -> None:
    app = make_app(store)
    client = app.test_client()
    await client.get("/incr")
    app.config.update(SECRET_KEY="the new secret key, long enough", SECRET_KEY_FALLBACKS=[SECRET])
    assert await _text(await client.get("/incr")) == "2"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert await _text(await client.get("/read")) == "2"  # the cookie was re-issued


async def test_flash_through_redis(store: AnyStore) -> None:
    app = make_app(store)

    @app.post("/save")
    async def save() -> quart.ResponseReturnValue:
        await quart.flash("saved")
        return quart.redirect("/show")

    @app.get("/show")
    async def show() -> list[str]:
        return [str(message) for message in quart.get_flashed_messages()]

    client = app.test_client()
    response = await client.post("/save", follow_redirects=True)
    assert await response.get_json() == ["saved"]
    assert await (await client.get("/show")).get_json() == []


async def test_a_websocket_saves_into_redis_after_it_closes(store: AnyStore) -> None:
    app = make_app(store)

    @app.websocket("/ws")
    async def ws() -> None:
        await quart.websocket.accept()
        await quart.websocket.receive()
        quart.session["n"] = quart.session.get("n", 0) + 10
        await quart.websocket.send("done")

    client = app.test_client()
    await client.get("/incr")
    cookie = jar(client)["session"]
    async with client.websocket("/ws") as websocket:
        await websocket.send("go")
        assert await websocket.receive() == "done"
        with pytest.raises(quart.testing.connections.WebsocketDisconnectError):
            await websocket.receive()
    assert jar(client)["session"] == cookie
    assert await _text(await client.get("/read")) == "11"


async def test_logging_in_rotates_the_redis_session(
    store: AnyStore, redis_server: RedisServer, key_prefix: str
) -> None:
    app = make_app(store, SESSION_SUBJECT_KEY="user")
    client = app.test_client()
    await client.get("/incr")
    anonymous = jar(client)["session"]
    await client.get("/login/ada")
    assert jar(client)["session"] != anonymous
    assert await _text(await client.get("/whoami")) == "ada"
    assert await _text(await client.get("/read")) == "1"
    # The pre-login cookie names no session any more (session fixation).
    client.set_cookie("localhost", "session", anonymous)
    assert await _text(await client.get("/whoami")) == "None"
    # The Redis store keeps the session index: one session of ada's.
    if isinstance(store, AsyncRedisStore):
        assert await store.count_sessions("ada") == 1
    else:
        assert isinstance(store, RedisStore)
        assert store.count_sessions("ada") == 1


async def test_the_cap_ends_the_other_redis_sessions_of_the_subject(store: AnyStore) -> None:
    app = make_app(store, SESSION_SUBJECT_KEY="user", SESSION_MAX_PER_SUBJECT=1)
    phone, laptop = app.test_client(), app.test_client()
    await phone.get("/login/ada")
    await laptop.get("/login/ada")
    assert await _text(await laptop.get("/whoami")) == "ada"
    assert await _text(await phone.get("/whoami")) == "None"
