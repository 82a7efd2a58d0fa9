"""coatcheck_asgi.testing: seed a session into a client, read back what a response left."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coatcheck import CookieStore, MemoryStore, SessionConfig
from coatcheck_asgi import AnyStore, SessionMiddleware
from coatcheck_asgi.testing import (
    find_middleware,
    read_session,
    read_session_async,
    seed_session,
    seed_session_async,
    session_cookie,
)

from .conftest import OpenClient
from .helpers import (
    BASE_URL,
    KEY,
    async_store,
    coatcheck_session,
    recording,
    session_app,
)


def session_cookies_in(client: Any) -> int:
    jar = client.cookies.jar
    return sum(1 for cookie in jar if cookie.name == "session")


def test_a_seeded_session_is_what_the_app_reads(client_for: OpenClient, store: AnyStore) -> None:
    app = session_app(store)
    with client_for(app) as client:
        seed_session(client, app, {"user": "ada", "roles": ["admin"]})
        assert client.get("/read").json() == {"user": "ada", "roles": ["admin"]}
        # The app's own cookie replaces the seeded one: never two of the same name.
        client.post("/update", json={"n": 1})
        assert session_cookies_in(client) == 1
        assert client.get("/read").json() == {"user": "ada", "roles": ["admin"], "n": 1}


def test_read_session_follows_each_response(client_for: OpenClient, store: AnyStore) -> None:
    app = session_app(store)
    with client_for(app) as client:
        seed_session(client, app, {"user": "ada"})
        assert read_session(app, client.get("/untouched")) == {"user": "ada"}
        assert read_session(app, client.post("/update", json={"n": 2})) == {"user": "ada", "n": 2}
        assert read_session(app, client) == {"user": "ada", "n": 2}
        assert read_session(app, client.cookies) == {"user": "ada", "n": 2}
        assert read_session(app, client.cookies["session"]) == {"user": "ada", "n": 2}
        assert read_session(app, client.post("/purge")) == {}
        assert read_session(app, client) == {}


def test_a_seeded_permanent_session_is_permanent(client_for: OpenClient) -> None:
    async def show(request: Request) -> Response:
        return JSONResponse({"permanent": coatcheck_session(request).permanent})

    app = session_app(MemoryStore(), routes=[Route("/", show)])
    with client_for(app) as client:
        seed_session(client, app, {"user": "ada"}, permanent=True)
        assert client.get("/").json() == {"permanent": True}


def test_seeding_honours_a_configured_domain_and_path(client_for: OpenClient) -> None:
    config = SessionConfig(cookie_domain="example.org", cookie_path="/app")
    app = session_app(CookieStore(), config=config, routes=[])
    with client_for(app, base_url="https://www.example.org") as client:
        seed_session(client, app, {"user": "ada"})
        [cookie] = [cookie for cookie in client.cookies.jar if cookie.name == "session"]
    assert (cookie.domain, cookie.path) == (".example.org", "/app")


def test_seeding_an_empty_session_is_refused() -> None:
    with pytest.raises(ValueError, match="empty session"):
        session_cookie(session_app(CookieStore()), {})


@pytest.mark.anyio
async def test_the_async_helpers_use_the_running_loop(anyio_backend: str) -> None:
    store = async_store()
    app = session_app(store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        await seed_session_async(client, app, {"user": "ada"})
        assert recording(store).counts == {"save": 1}
        response = await client.post("/update", json={"n": 1})
        assert await read_session_async(app, response) == {"user": "ada", "n": 1}


def test_the_sync_helpers_run_an_async_store_too() -> None:
    store = async_store()
    app = session_app(store)
    name, value = session_cookie(app, {"user": "ada"})
    assert name == "session"
    assert read_session(app, value) == {"user": "ada"}
    assert recording(store).counts == {"save": 1, "load": 1}


def test_find_middleware_in_apps_built_or_not(client_for: OpenClient) -> None:
    app = session_app(MemoryStore())
    before = find_middleware(app)
    assert isinstance(before, SessionMiddleware)
    with client_for(app) as client:
        client.get("/untouched")
    built = find_middleware(app)
    assert find_middleware(built) is built
    # Built from the declaration or found in the stack: the same store either way.
    assert before.store is built.store

    fastapi = FastAPI()
    fastapi.add_middleware(SessionMiddleware, store=CookieStore(), key=KEY)
    assert isinstance(find_middleware(fastapi), SessionMiddleware)

    with pytest.raises(TypeError, match=r"no coatcheck_asgi\.SessionMiddleware"):
        find_middleware(Starlette())
