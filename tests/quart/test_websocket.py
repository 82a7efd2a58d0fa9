"""Websockets, as Quart handles them: the session is opened with the websocket and saved
after it closes, when no response can carry a cookie any more."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
import pytest
import quart
from quart.testing.connections import WebsocketDisconnectError

from coatcheck import CookieStore, MemoryStore
from coatcheck.sansio import AnyStore
from coatcheck_testing import AsyncStoreWrapper, RecordingStore

from .helpers import jar, make_app

pytestmark = pytest.mark.anyio

SERVER_SIDE: dict[str, Callable[[], AnyStore]] = {
    "memory": MemoryStore,
    "async": lambda: AsyncStoreWrapper(MemoryStore()),
    "sync-io": lambda: RecordingStore(MemoryStore()),
}


@pytest.fixture(params=list(SERVER_SIDE))
def server_store(request: pytest.FixtureRequest) -> AnyStore:
    """Each kind of server-side store: inline, awaited, in a worker thread."""
    made: AnyStore = SERVER_SIDE[request.param]()
    return made


def websocket_app(store: AnyStore | None, **config: object) -> quart.Quart:
    """`make_app` plus websockets that read, change, clear and log in."""
    app = make_app(store, **config)

    @app.websocket("/ws/read")
    async def ws_read() -> None:
        await quart.websocket.accept()
        await quart.websocket.send(repr(quart.session.get("n")))

    @app.websocket("/ws/incr")
    async def ws_incr() -> None:
        await quart.websocket.accept()
        for _ in range(2):
            await quart.websocket.receive()
            quart.session["n"] = quart.session.get("n", 0) + 1
            await quart.websocket.send(str(quart.session["n"]))

    @app.websocket("/ws/clear")
    async def ws_clear() -> None:
        await quart.websocket.accept()
        quart.session.clear()
        await quart.websocket.send("cleared")

    @app.websocket("/ws/login")
    async def ws_login() -> None:
        await quart.websocket.accept()
        quart.session["user"] = "ada"
        await quart.websocket.send("in")

    return app


async def closed_by_server(websocket: Any) -> None:
    """Wait for Quart's close: it comes once the handler returned and the session was saved
    (leaving earlier cancels the handler, and with it whatever Quart had still to run)."""
    with pytest.raises(WebsocketDisconnectError):
        await websocket.receive()


async def _text(response: quart.Response) -> str:
    body: str = await response.get_data(as_text=True)
    return body


@pytest.mark.parametrize("store", [CookieStore(), *(make() for make in SERVER_SIDE.values())])
async def test_a_websocket_reads_the_session(store: AnyStore) -> None:
    client = websocket_app(store).test_client()
    await client.get("/incr")
    async with client.websocket("/ws/read") as websocket:
        assert await websocket.receive() == "1"


async def test_changes_to_a_live_server_side_session_are_saved_after_close(
    server_store: AnyStore,
) -> None:
    client = websocket_app(server_store).test_client()
    await client.get("/incr")
    cookie = jar(client)["session"]
    async with client.websocket("/ws/incr") as websocket:
        for expected in ("2", "3"):
            await websocket.send("go")
            assert await websocket.receive() == expected
        await closed_by_server(websocket)
    assert jar(client)["session"] == cookie  # the browser's cookie is unchanged, and valid
    assert await _text(await client.get("/read")) == "3"


async def test_clearing_a_live_server_side_session_in_a_websocket_ends_it(
    server_store: AnyStore,
) -> None:
    client = websocket_app(server_store).test_client()
    await client.get("/incr")
    async with client.websocket("/ws/clear") as websocket:
        assert await websocket.receive() == "cleared"
        await closed_by_server(websocket)
    assert await _text(await client.get("/read")) == "None"


async def test_with_the_state_in_the_cookie_changes_are_lost_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = websocket_app(CookieStore()).test_client()
    await client.get("/incr")
    with caplog.at_level(logging.ERROR):
        async with client.websocket("/ws/incr") as websocket:
            await websocket.send("go")
            assert await websocket.receive() == "2"
            await websocket.send("go")
            assert await websocket.receive() == "3"
            await closed_by_server(websocket)
    assert await _text(await client.get("/read")) == "1"
    [record] = [r for r in caplog.records if "websocket" in r.getMessage()]
    assert "lost" in record.getMessage()


async def test_a_session_begun_in_a_websocket_is_lost_and_never_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore(MemoryStore())
    client = websocket_app(store).test_client()
    with caplog.at_level(logging.ERROR):
        async with client.websocket("/ws/login") as websocket:
            assert await websocket.receive() == "in"
            await closed_by_server(websocket)
    assert store.calls == []  # no record no cookie could ever name
    assert any("lost" in r.getMessage() for r in caplog.records)


async def test_a_login_in_a_websocket_cannot_renew_and_leaves_the_session_as_it_was(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore(MemoryStore())
    client = websocket_app(store, SESSION_SUBJECT_KEY="user").test_client()
    await client.get("/incr")
    store.clear()
    with caplog.at_level(logging.ERROR):
        async with client.websocket("/ws/login") as websocket:
            assert await websocket.receive() == "in"
            await closed_by_server(websocket)
    assert store.methods == ["load"]  # the renewal needs a new cookie: nothing written
    assert await _text(await client.get("/whoami")) == "None"
    assert await _text(await client.get("/read")) == "1"
    assert any("renewed" in r.getMessage() for r in caplog.records)


async def test_a_save_begun_when_the_client_leaves_is_finished() -> None:
    # Quart cancels the websocket's task when the client disconnects; a save under way
    # (here, a slow store in a worker thread) is completed all the same.
    store = RecordingStore(MemoryStore(), delay=0.05)
    client = websocket_app(store).test_client()
    await client.get("/incr")
    store.clear()
    async with client.websocket("/ws/incr") as websocket:
        for expected in ("2", "3"):
            await websocket.send("go")
            assert await websocket.receive() == expected
    # The save lands in a worker thread after the client left: wait for it (bounded).
    with anyio.fail_after(10):
        while await _text(await client.get("/read")) != "3":
            await anyio.sleep(0.01)
    assert store.counts["update"] == 1
