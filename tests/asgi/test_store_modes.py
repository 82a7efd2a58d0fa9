"""How each kind of store is run: awaited, inline on first access, or in a worker thread."""

from __future__ import annotations

import itertools
import threading
import time

import anyio
import httpx
import pytest

from coatcheck import CookieStore, MemoryStore
from coatcheck_asgi import SessionMiddleware, StoreMode

from .helpers import (
    BASE_URL,
    KEY,
    RecordingStore,
    async_store,
    recording,
    session_app,
)

pytestmark = pytest.mark.anyio


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)  # type: ignore[arg-type]


def test_the_mode_is_decided_by_the_store() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    def mode(store: object) -> StoreMode:
        return SessionMiddleware(app, store=store, key=KEY).mode  # type: ignore[arg-type]

    assert mode(CookieStore()) is StoreMode.COOKIE
    assert mode(MemoryStore()) is StoreMode.INLINE
    assert mode(RecordingStore()) is StoreMode.THREAD
    assert mode(async_store()) is StoreMode.ASYNC


def test_something_that_is_not_a_store_is_refused() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    with pytest.raises(TypeError, match="SessionStore or AsyncSessionStore"):
        SessionMiddleware(app, store=object(), key=KEY)  # type: ignore[arg-type]


async def test_an_inline_store_is_read_on_first_access_only() -> None:
    store = RecordingStore(performs_io=False)
    async with client(session_app(store)) as http:
        await http.post("/update", json={"user": "ada"})
        assert recording(store).counts == {"save": 1}
        await http.get("/untouched")
        assert recording(store).counts == {"save": 1}
        await http.get("/read")
        assert recording(store).counts == {"save": 1, "load": 1}


async def test_an_io_store_is_loaded_before_the_app_when_a_cookie_is_sent() -> None:
    for store in (RecordingStore(), async_store()):
        async with client(session_app(store)) as http:
            await http.get("/untouched")
            assert recording(store).counts == {}, "no cookie: nothing to load"
            await http.post("/update", json={"user": "ada"})
            assert recording(store).counts == {"save": 1}
            await http.get("/untouched")
            assert recording(store).counts == {"save": 1, "load": 1}


async def test_a_sync_io_store_runs_in_a_worker_thread() -> None:
    store = RecordingStore()
    loop_thread = threading.get_ident()
    async with client(session_app(store)) as http:
        await http.post("/update", json={"user": "ada"})
        await http.post("/update", json={"user": "bob"})
        assert (await http.get("/read")).json() == {"user": "bob"}
    assert len(store.threads) == 4  # save; load + update; load
    assert loop_thread not in store.threads


async def test_a_slow_sync_store_never_blocks_the_event_loop() -> None:
    delay = 0.3
    requests = 5
    store = RecordingStore(delay=delay)
    app = session_app(store)
    async with client(app) as http:
        await http.post("/update", json={"user": "ada"})  # one slow save

        async def read() -> None:
            response = await http.get("/read")
            assert response.json() == {"user": "ada"}

        async def concurrent_reads() -> None:
            async with anyio.create_task_group() as readers:
                for _ in range(requests):
                    readers.start_soon(read)

        # Warm up: starting the worker threads themselves briefly holds the loop.
        await concurrent_reads()

        ticks: list[float] = []
        finished = anyio.Event()

        async def ticker() -> None:
            while not finished.is_set():
                ticks.append(time.monotonic())
                await anyio.sleep(0.01)

        started = time.monotonic()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ticker)
            await concurrent_reads()
            finished.set()
        elapsed = time.monotonic() - started

    # Serially the loads would take requests * delay; in threads they overlap.
    assert elapsed < requests * delay * 0.6
    # A blocked loop would show a gap of a whole store call between ticks.
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert gaps and max(gaps) < delay / 2, "the loop stalled while the store slept"
