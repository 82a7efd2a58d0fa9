"""A real redis-server behind a Litestar app: `AsyncRedisStore` and `RedisStore`.

Counts the commands the server sees (``MONITOR``): Litestar's own server-side backend
reads and writes the session on every request; coatcheck sends none for an untouched
request in lazy mode, one read for a read, and deletes the record on ``clear_session``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Request, delete, get, post

from coatcheck_asgi import AnyStore
from coatcheck_asgi.litestar import loaded_session
from coatcheck_redis import AsyncRedisStore, RedisStore
from tests.redis.servers import CommandMonitor, RedisServer

from .helpers import client_for, session_config

pytestmark = pytest.mark.redis


@post("/login")
async def login(request: Request[Any, Any, Any]) -> None:
    await loaded_session(request)
    request.set_session({"user": "ada", "roles": ["admin"]})


@get("/me")
async def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
    await loaded_session(request)
    return request.session


@get("/static")
async def static() -> str:
    return "static"


@delete("/logout")
async def logout(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


HANDLERS = [login, me, static, logout]


@pytest.fixture(params=["async", "sync"])
def redis_store(request: pytest.FixtureRequest, litestar_redis: RedisServer) -> Iterator[AnyStore]:
    """`AsyncRedisStore` or `RedisStore` on the folder's server, under a fresh prefix."""
    prefix = f"litestar-{uuid.uuid4().hex}:"
    if request.param == "async":
        yield AsyncRedisStore.from_url(litestar_redis.url, key_prefix=prefix)
    else:
        store = RedisStore.from_url(litestar_redis.url, key_prefix=prefix)
        yield store
        store.close()


def _shutdown_hooks(store: AnyStore) -> dict[str, Any]:
    # An async client belongs to the app's event loop: close it there.
    return {"on_shutdown": [store.aclose]} if isinstance(store, AsyncRedisStore) else {}


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_log_in_read_and_log_out(
    redis_store: AnyStore, litestar_redis: RedisServer, lazy: bool
) -> None:
    admin = litestar_redis.admin()
    prefix = redis_store.key_prefix  # type: ignore[union-attr]
    config = session_config(redis_store, lazy=lazy)
    with client_for(HANDLERS, config, **_shutdown_hooks(redis_store)) as client:
        client.post("/login")
        assert len(admin.keys(f"{prefix}*")) == 1
        assert client.get("/me").json() == {"user": "ada", "roles": ["admin"]}
        client.delete("/logout")
        assert admin.keys(f"{prefix}*") == []
        assert client.get("/me").json() == {}
    admin.close()


def test_commands_per_request(redis_store: AnyStore, litestar_redis: RedisServer) -> None:
    config = session_config(redis_store, lazy=True)
    with client_for(HANDLERS, config, **_shutdown_hooks(redis_store)) as client:
        client.post("/login")
        with CommandMonitor([litestar_redis]) as monitor:
            client.get("/static")
            untouched = monitor.take()
            client.get("/me")
            read = monitor.take()
    assert sum(untouched.values()) == 0
    assert sum(read.values()) == 1, read


def test_a_large_session_needs_one_small_cookie(redis_store: AnyStore) -> None:
    # Litestar's cookie backend splits a session over 4 KB into session-0, session-1...;
    # a server-side store keeps any size behind one short cookie.
    @post("/big")
    async def big(request: Request[Any, Any, Any]) -> None:
        await loaded_session(request)
        request.session["blob"] = "x" * 20_000

    with client_for(
        [big, me], session_config(redis_store), **_shutdown_hooks(redis_store)
    ) as client:
        (cookie,) = client.post("/big").headers.get_list("set-cookie")
        assert len(cookie) < 200
        assert len(client.get("/me").json()["blob"]) == 20_000
