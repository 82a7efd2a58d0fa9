"""Lazy mode: a counting store proves each request does the minimum of store work."""

from __future__ import annotations

from collections import Counter

import anyio
import httpx
import pytest
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from coatcheck import (
    BrowserSession,
    CookieStore,
    SessionConfig,
    SessionNotLoadedError,
    TtlExtensionPolicy,
)
from coatcheck_asgi import AnyStore, load_session
from coatcheck_asgi.testing import session_cookie_async

from .helpers import (
    BASE_URL,
    AsyncStoreWrapper,
    RecordingStore,
    async_store,
    coatcheck_session,
    recording,
    session_app,
)

pytestmark = pytest.mark.anyio


def lazy_routes() -> list[Route]:
    async def untouched(request: Request) -> Response:
        return PlainTextResponse("untouched")

    async def read(request: Request) -> Response:
        session = await load_session(request)
        return JSONResponse(dict(session))

    async def write(request: Request) -> Response:
        session = await load_session(request)
        session["n"] = session.get("n", 0) + 1
        return JSONResponse(dict(session))

    async def renew(request: Request) -> Response:
        await load_session(request)
        coatcheck_session(request).renew()
        return PlainTextResponse("renewed")

    async def purge(request: Request) -> Response:
        await load_session(request)
        coatcheck_session(request).purge()
        return PlainTextResponse("purged")

    async def twice(request: Request) -> Response:
        async with anyio.create_task_group() as tasks:
            for _ in range(3):
                tasks.start_soon(load_session, request)
        await load_session(request.scope)
        return JSONResponse(dict(request.session))

    async def careless(request: Request) -> Response:
        return JSONResponse(dict(request.session))

    async def peek(request: Request) -> Response:
        request.session  # noqa: B018  (Starlette's accessor marks it accessed, loads nothing)
        return PlainTextResponse("peeked")

    return [
        Route("/untouched", untouched),
        Route("/read", read),
        Route("/write", write, methods=["POST"]),
        Route("/renew", renew, methods=["POST"]),
        Route("/purge", purge, methods=["POST"]),
        Route("/twice", twice),
        Route("/careless", careless),
        Route("/peek", peek),
    ]


@pytest.fixture(params=["thread", "async"])
def counting_store(request: pytest.FixtureRequest) -> RecordingStore | AsyncStoreWrapper:
    return RecordingStore() if request.param == "thread" else async_store()


async def calls_for(
    store: RecordingStore | AsyncStoreWrapper, method: str, path: str, *, seeded: bool = True
) -> Counter[str]:
    """The store calls one request makes (after seeding a live session if asked)."""
    app = session_app(store, lazy=True, routes=lazy_routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        if seeded:
            client.cookies.set(*await session_cookie_async(app, {"n": 1}))
        recording(store).clear()
        response = await client.request(method, path)
        assert response.status_code == 200, response.text
    return recording(store).counts


async def test_an_untouched_request_costs_no_store_call(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    assert await calls_for(counting_store, "GET", "/untouched") == {}
    assert await calls_for(counting_store, "GET", "/peek") == {}


async def test_a_read_costs_one_load(counting_store: RecordingStore | AsyncStoreWrapper) -> None:
    assert await calls_for(counting_store, "GET", "/read") == {"load": 1}


async def test_loading_twice_or_concurrently_loads_once(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    assert await calls_for(counting_store, "GET", "/twice") == {"load": 1}


async def test_a_write_costs_a_load_and_an_update(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    assert await calls_for(counting_store, "POST", "/write") == {"load": 1, "update": 1}


async def test_a_new_session_costs_one_save(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    calls = await calls_for(counting_store, "POST", "/write", seeded=False)
    assert calls == {"save": 1}


async def test_renew_costs_load_and_one_renew(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    """With a grace window, renewing is one command: move the state, forward the old key."""
    calls = await calls_for(counting_store, "POST", "/renew")
    assert calls == {"load": 1, "renew": 1}


async def test_purge_costs_load_and_delete(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    assert await calls_for(counting_store, "POST", "/purge") == {"load": 1, "delete": 1}


async def test_using_an_unloaded_session_says_how_to_load_it(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    with pytest.raises(
        SessionNotLoadedError, match=r"await coatcheck_asgi\.load_session\(request\)"
    ):
        await calls_for(counting_store, "GET", "/careless")


async def test_lazy_is_moot_for_a_store_without_io() -> None:
    """The cookie store is read inline on first access, lazy or not: nothing to await."""
    store: AnyStore = CookieStore()
    app = session_app(store, lazy=True, routes=lazy_routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        client.cookies.set(*await session_cookie_async(app, {"n": 1}))
        assert (await client.get("/careless")).json() == {"n": 1}
        assert (await client.post("/write")).json() == {"n": 2}


async def test_load_session_needs_the_middleware() -> None:
    with pytest.raises(RuntimeError, match="SessionMiddleware"):
        await load_session({"type": "http"})


async def test_every_request_extension_costs_one_blind_ttl_update(
    counting_store: RecordingStore | AsyncStoreWrapper,
) -> None:
    config = SessionConfig(
        lifecycle=BrowserSession(ttl_extension_policy=TtlExtensionPolicy.ON_EVERY_REQUEST)
    )
    app = session_app(counting_store, lazy=True, config=config, routes=lazy_routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        client.cookies.set(*await session_cookie_async(app, {"n": 1}))
        recording(counting_store).clear()
        assert (await client.get("/untouched")).status_code == 200
        assert recording(counting_store).counts == {"update_ttl": 1}


async def test_a_background_task_may_load_and_read_after_the_response() -> None:
    store = async_store()
    seen: list[object] = []

    async def later(request: Request) -> None:
        session = await load_session(request)
        seen.append(session.get("n"))

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("ok", background=BackgroundTask(later, request))

    app = session_app(store, lazy=True, routes=[Route("/", endpoint)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        client.cookies.set(*await session_cookie_async(app, {"n": 1}))
        recording(store).clear()
        response = await client.get("/")
    assert response.text == "ok"
    assert "set-cookie" not in response.headers
    assert seen == [1]
    assert recording(store).counts == {"load": 1}
