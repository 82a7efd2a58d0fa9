"""Websockets: the session of the handshake's cookie, written when the socket is accepted."""

from __future__ import annotations

from typing import Any

from litestar import Request, WebSocket, get, post, websocket

from coatcheck import SessionCommittedError, SessionConfig
from coatcheck_asgi import AnyStore

from .helpers import client_for, session_config


@post("/login")
async def login(request: Request[Any, Any, Any]) -> None:
    request.session["user"] = "ada"


@get("/state")
async def state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.session


@websocket("/ws/read")
async def read(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    await socket.send_json(socket.session)
    await socket.close()


@websocket("/ws/write")
async def write_before_accept(socket: WebSocket[Any, Any, Any]) -> None:
    socket.session["seen_by_socket"] = True
    await socket.accept()
    await socket.close()


@websocket("/ws/replace")
async def replace_before_accept(socket: WebSocket[Any, Any, Any]) -> None:
    socket.set_session({"replaced": 1})
    await socket.accept()
    await socket.close()


@websocket("/ws/clear")
async def clear_before_accept(socket: WebSocket[Any, Any, Any]) -> None:
    socket.clear_session()
    await socket.accept()
    await socket.close()


# Litestar's test client opens websockets on ws://, where a Secure cookie is not sent.
PLAIN = SessionConfig(cookie_secure=False)
HANDLERS = [login, state, read, write_before_accept, replace_before_accept, clear_before_accept]


def test_a_websocket_reads_the_session_of_its_cookie(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store, config=PLAIN)) as client:
        with client.websocket_connect("/ws/read") as ws:
            assert ws.receive_json() == {}
        client.post("/login")
        with client.websocket_connect("/ws/read") as ws:
            assert ws.receive_json() == {"user": "ada"}


def _server_side(store: AnyStore) -> bool:
    from coatcheck import CookieStore

    return not isinstance(store, CookieStore)


def test_changes_before_accept_reach_the_store(store: AnyStore) -> None:
    # The handshake's response carries the cookie (the test client drops it): with a
    # server-side store the existing session's record is updated under the same key.
    if not _server_side(store):
        return  # the cookie store's new state lives only in the dropped cookie
    with client_for(HANDLERS, session_config(store, config=PLAIN)) as client:
        client.post("/login")
        with client.websocket_connect("/ws/write"):
            pass
        assert client.get("/state").json() == {"user": "ada", "seen_by_socket": True}
        with client.websocket_connect("/ws/replace"):
            pass
        assert client.get("/state").json() == {"replaced": 1}
        with client.websocket_connect("/ws/clear"):
            pass
        assert client.get("/state").json() == {}


@websocket("/ws/late")
async def write_after_accept(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    try:
        socket.session["late"] = True
    except SessionCommittedError:
        await socket.send_json({"refused": True})
    else:
        await socket.send_json({"refused": False})
    await socket.close()


def test_changes_after_accept_are_refused(store: AnyStore) -> None:
    config = session_config(store, config=PLAIN)
    with (
        client_for([write_after_accept], config) as client,
        client.websocket_connect("/ws/late") as ws,
    ):
        assert ws.receive_json() == {"refused": True}
