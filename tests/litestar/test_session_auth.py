"""`CoatcheckSessionAuth`: Litestar's ``SessionAuth`` over coatcheck sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar, Request, WebSocket, get, post, websocket
from litestar.connection import ASGIConnection
from litestar.exceptions import WebSocketDisconnect
from litestar.openapi.config import OpenAPIConfig
from litestar.testing import TestClient

from coatcheck import MemoryStore, SessionConfig
from coatcheck_asgi import AnyStore
from coatcheck_asgi.litestar import CoatcheckSessionAuth

from .helpers import BASE_URL, session_config, set_cookies


@dataclass
class User:
    name: str


USERS = {"ada": User("Ada"), "grace": User("Grace")}


async def user_of(
    session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
) -> User | None:
    return USERS.get(session.get("user_id", ""))


@post("/login", status_code=200)
async def log_in(request: Request[Any, Any, Any]) -> dict[str, str]:
    name = request.query_params["name"]
    request.session["user_id"] = name
    return {"logged_in": name}


@get("/me")
async def me(request: Request[User, dict[str, Any], Any]) -> dict[str, str]:
    return {"name": request.user.name, "session_user": request.auth["user_id"]}


@post("/logout", status_code=200)
async def log_out(request: Request[Any, Any, Any]) -> dict[str, bool]:
    request.clear_session()
    return {"logged_out": True}


@websocket("/ws/me")
async def ws_me(socket: WebSocket[User, dict[str, Any], Any]) -> None:
    await socket.accept()
    await socket.send_text(socket.user.name)
    await socket.close()


def _app(store: AnyStore, **config: Any) -> tuple[Litestar, CoatcheckSessionAuth[User]]:
    auth = CoatcheckSessionAuth[User](
        session_backend_config=session_config(store, **config),
        retrieve_user_handler=user_of,
        exclude=["/login", "/schema"],
    )
    app = Litestar(
        route_handlers=[log_in, me, log_out, ws_me],
        on_app_init=[auth.on_app_init],
        openapi_config=OpenAPIConfig(title="t", version="1"),
        debug=False,
    )
    return app, auth


def test_a_logged_in_user_is_authenticated_and_others_get_401(store: AnyStore) -> None:
    app, _ = _app(store)
    with TestClient(app, base_url=BASE_URL) as client:
        assert client.get("/me").status_code == 401
        assert client.post("/login?name=ada").json() == {"logged_in": "ada"}
        answer = client.get("/me")
        assert answer.status_code == 200
        assert answer.json() == {"name": "Ada", "session_user": "ada"}
        assert client.post("/logout").json() == {"logged_out": True}
        assert client.get("/me").status_code == 401


def test_a_session_naming_no_user_is_cleared_with_the_401(store: AnyStore) -> None:
    app, _ = _app(store)
    with TestClient(app, base_url=BASE_URL) as client:
        client.post("/login?name=mallory")
        assert client.cookies.get("session")
        answer = client.get("/me")
        assert answer.status_code == 401
        # Litestar's rule: a session that names no user is emptied, so the store's record
        # goes and the cookie with it.
        assert any("Max-Age=0" in header for header in set_cookies(answer))
        assert not client.cookies.get("session")


def test_a_request_without_a_session_gets_401_and_no_cookie() -> None:
    store = MemoryStore()
    app, _ = _app(store)
    with TestClient(app, base_url=BASE_URL) as client:
        answer = client.get("/me")
        assert answer.status_code == 401
        assert set_cookies(answer) == []
    assert len(store) == 0


def test_a_login_with_a_subject_key_renews_the_session_and_indexes_it() -> None:
    store = MemoryStore()
    app, _ = _app(store, config=SessionConfig(subject_key="user_id"))
    with TestClient(app, base_url=BASE_URL) as client:
        client.post("/login?name=grace")
        assert client.get("/me").json()["name"] == "Grace"
        assert len(store.list_sessions("grace")) == 1


def test_the_openapi_scheme_names_coatcheck_s_cookie() -> None:
    app, auth = _app(MemoryStore(), config=SessionConfig(cookie_name="ticket"))
    scheme = app.openapi_schema.to_schema()["components"]["securitySchemes"]["sessionCookie"]
    assert scheme == {
        "type": "apiKey",
        "name": "ticket",
        "in": "cookie",
        "description": "Session cookie authentication.",
    }
    with pytest.raises(TypeError, match="no Litestar session backend"):
        _ = auth.session_backend


def test_a_websocket_is_authenticated_by_its_handshake_cookie(store: AnyStore) -> None:
    # The test client's websockets are ws://, where a Secure cookie is not sent.
    app, _ = _app(store, config=SessionConfig(cookie_secure=False))
    with TestClient(app, base_url=BASE_URL) as client:
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/me") as socket:
            socket.receive_text()
        client.post("/login?name=ada")
        with client.websocket_connect("/ws/me") as socket:
            assert socket.receive_text() == "Ada"
