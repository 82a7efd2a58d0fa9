"""Routes left without a session: ``exclude`` patterns, the ``opt`` key, ``scopes``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, WebSocket, get, websocket

from coatcheck import MemoryStore

from .helpers import client_for, session_config


def _installed(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return {"has_session": "session" in request.scope}


@get("/north")
async def north(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return _installed(request)


@get("/south")
async def south(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return _installed(request)


@get("/west")
async def west(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return _installed(request)


@get("/skipped", skip_session=True)
async def skipped(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return _installed(request)


@get("/mine", my_exclude_key=True)
async def mine(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return _installed(request)


HANDLERS = [north, south, west, skipped, mine]


def _answers(config_kwargs: dict[str, Any]) -> dict[str, bool]:
    with client_for(HANDLERS, session_config(MemoryStore(), **config_kwargs)) as client:
        return {
            path: client.get(path).json()["has_session"]
            for path in ("/north", "/south", "/west", "/skipped", "/mine")
        }


def test_a_list_of_exclude_patterns() -> None:
    assert _answers({"exclude": ["north", "south"]}) == {
        "/north": False,
        "/south": False,
        "/west": True,
        "/skipped": False,
        "/mine": True,
    }


def test_one_exclude_pattern() -> None:
    answers = _answers({"exclude": "^/we"})
    assert answers["/west"] is False
    assert answers["/north"] is True


def test_the_default_opt_key_is_skip_session() -> None:
    assert _answers({}) == {
        "/north": True,
        "/south": True,
        "/west": True,
        "/skipped": False,
        "/mine": True,
    }


def test_a_custom_opt_key() -> None:
    answers = _answers({"exclude_opt_key": "my_exclude_key"})
    assert answers["/mine"] is False
    assert answers["/skipped"] is True


def test_an_excluded_route_sets_no_cookie_even_with_one_incoming() -> None:
    from litestar import post

    @post("/write")
    async def write(request: Request[Any, Any, Any]) -> None:
        request.session["a"] = 1

    with client_for([write, skipped], session_config(MemoryStore())) as client:
        client.post("/write")
        response = client.get("/skipped")
        assert response.headers.get_list("set-cookie") == []
        assert "vary" not in response.headers


@websocket("/ws")
async def socket_handler(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    await socket.send_json({"has_session": "session" in socket.scope})
    await socket.close()


def test_scopes_http_only_leaves_websockets_without_a_session() -> None:
    config = session_config(MemoryStore(), scopes=frozenset({"http"}))
    with client_for([north, socket_handler], config) as client:
        assert client.get("/north").json() == {"has_session": True}
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_json() == {"has_session": False}


def test_scopes_websocket_only_leaves_http_without_a_session() -> None:
    config = session_config(MemoryStore(), scopes=frozenset({"websocket"}))
    with client_for([north, socket_handler], config) as client:
        assert client.get("/north").json() == {"has_session": False}
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_json() == {"has_session": True}


def test_on_a_router_only_its_routes_get_a_session() -> None:
    config = session_config(MemoryStore())
    router = Router("/inside", route_handlers=[north], middleware=[config.middleware])
    with client_for([router, south]) as client:
        assert client.get("/inside/north").json() == {"has_session": True}
        assert client.get("/south").json() == {"has_session": False}
