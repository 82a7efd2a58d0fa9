"""Websockets: the session is readable, changes before ``websocket.accept`` ride on the
accept's headers, later changes raise."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from coatcheck import CookieStore, MemoryStore, SessionCommittedError
from coatcheck_asgi import AnyStore, Message, Scope, SessionMiddleware, load_session
from coatcheck_asgi.testing import read_session, session_cookie

from .helpers import (
    BACKENDS,
    KEY,
    Backend,
    RecordingStore,
    TestClient,
    WebSocketDenialResponse,
    async_store,
    recording,
    session_app,
)


async def echo_user(websocket: WebSocket) -> None:
    session = await load_session(websocket)
    await websocket.accept()
    await websocket.send_json({"user": session.get("user")})
    await websocket.close()


async def login_then_accept(websocket: WebSocket) -> None:
    session = await load_session(websocket)
    session["user"] = "ada"
    await websocket.accept()
    try:
        session["late"] = True
    except SessionCommittedError:
        await websocket.send_text("late change refused")
    await websocket.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    name: Backend = request.param
    return name


@pytest.mark.parametrize("store", [CookieStore(), RecordingStore(), async_store()])
@pytest.mark.parametrize("lazy", [False, True])
def test_a_websocket_reads_the_session(backend: Backend, store: AnyStore, lazy: bool) -> None:
    app = session_app(store, lazy=lazy, routes=[WebSocketRoute("/ws", echo_user)])
    with TestClient(app, backend=backend, base_url="https://testserver") as client:
        client.cookies.set(*session_cookie(app, {"user": "ada"}))
        with client.websocket_connect("/ws") as websocket:
            assert websocket.receive_json() == {"user": "ada"}


def test_changes_before_accept_are_committed_with_it(backend: Backend) -> None:
    store = MemoryStore()
    app = session_app(store, routes=[WebSocketRoute("/ws", login_then_accept)])
    with (
        TestClient(app, backend=backend, base_url="https://testserver") as client,
        client.websocket_connect("/ws") as websocket,
    ):
        assert websocket.receive_text() == "late change refused"
        headers = websocket.extra_headers or []
    [cookie] = [value.decode() for name, value in headers if name == b"set-cookie"]
    value = cookie.split(";", 1)[0].partition("=")[2]
    # The store holds what was there at the accept; the late change never got in.
    assert read_session(app, value) == {"user": "ada"}


async def _accept_message(store: AnyStore, app_messages: list[Message]) -> list[Message]:
    """Run a raw websocket app that sends ``app_messages``; return what the server got."""
    sent: list[Message] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        scope["session"]["user"] = "ada"
        for message in app_messages:
            await send(message)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = SessionMiddleware(app, store=store, key=KEY)
    await middleware({"type": "websocket", "headers": []}, receive, send)
    return sent


@pytest.mark.anyio
async def test_the_accept_keeps_its_headers_and_gains_the_cookie_but_no_vary(
    anyio_backend: str,
) -> None:
    sent = await _accept_message(
        CookieStore(), [{"type": "websocket.accept", "headers": [(b"x-app", b"1")]}]
    )
    [accept] = sent
    names = [name for name, _ in accept["headers"]]
    assert names == [b"x-app", b"set-cookie"]


@pytest.mark.anyio
async def test_a_refused_websocket_sets_no_cookie_and_freezes_the_session(
    anyio_backend: str,
) -> None:
    store = RecordingStore()
    sent = await _accept_message(store, [{"type": "websocket.close", "code": 1008}])
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert recording(store).counts == {}


@pytest.mark.anyio
async def test_a_store_failure_before_accept_closes_the_websocket(anyio_backend: str) -> None:
    sent = await _accept_message(
        RecordingStore(fail_on={"save"}),
        [{"type": "websocket.accept"}, {"type": "websocket.send", "text": "secret"}],
    )
    assert sent == [{"type": "websocket.close", "code": 1011}]


def test_a_store_failure_at_connect_denies_the_websocket_with_a_500(backend: Backend) -> None:
    """The client supports the denial-response extension: it gets the plain 500."""
    app = session_app(RecordingStore(fail_on={"load"}), routes=[WebSocketRoute("/ws", echo_user)])
    with TestClient(app, backend=backend, base_url="https://testserver") as client:
        client.cookies.set(*session_cookie(app, {"user": "ada"}))
        with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/ws"):
            pass
    assert refused.value.status_code == 500
    assert refused.value.text == "Internal Server Error"
