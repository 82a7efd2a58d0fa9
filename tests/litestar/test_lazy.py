"""``lazy=True``: an I/O store is read only when the handler awaits `loaded_session`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from litestar import Request, get, post

from coatcheck import CookieStore, MemoryStore
from coatcheck_asgi import AnyStore
from coatcheck_asgi.litestar import UnloadedSession, loaded_session

from .helpers import client_for, make_store, recording, session_config, set_cookies


@post("/login")
async def login(request: Request[Any, Any, Any]) -> None:
    session = await loaded_session(request)
    session["user"] = "ada"


@get("/untouched")
async def untouched() -> str:
    return "static"


@get("/loaded")
async def loaded(request: Request[Any, Any, Any]) -> dict[str, Any]:
    await loaded_session(request)
    return request.session  # the loaded session took the placeholder's place


@get("/unloaded")
async def unloaded(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.session  # a mistake in lazy mode: must not answer {}


@get("/read-unloaded")
async def read_unloaded(request: Request[Any, Any, Any]) -> str:
    return str(request.session.get("user"))


@get("/kind")
async def kind(request: Request[Any, Any, Any]) -> str:
    return type(request.session).__name__


@post("/replace")
async def replace(request: Request[Any, Any, Any]) -> None:
    request.set_session({"user": "grace"})


@post("/logout")
async def logout(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


@get("/twice")
async def twice(request: Request[Any, Any, Any]) -> bool:
    return await loaded_session(request) is await loaded_session(request)


HANDLERS = [login, untouched, loaded, unloaded, read_unloaded, kind, replace, logout, twice]


@pytest.fixture(params=["async", "thread"])
def io_store(request: pytest.FixtureRequest) -> AnyStore:
    """A recording store that does I/O, awaited or in a worker thread."""
    return make_store(request.param)


def test_untouched_requests_do_not_read_the_store(io_store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(io_store, lazy=True)) as client:
        client.post("/login")
        calls = recording(io_store).calls
        before = len(calls)
        assert client.get("/untouched").text == "static"
        assert client.get("/kind").text == "UnloadedSession"
        assert len(calls) == before
        assert client.get("/loaded").json() == {"user": "ada"}
        assert [method for method, _ in calls[before:]] == ["load"]


def test_returning_an_unloaded_session_fails_instead_of_answering_empty(
    io_store: AnyStore,
) -> None:
    with client_for(HANDLERS, session_config(io_store, lazy=True)) as client:
        client.post("/login")
        response = client.get("/unloaded")
        assert response.status_code == 500
        assert set_cookies(response) == []
        assert client.get("/read-unloaded").status_code == 500
        assert client.get("/loaded").json() == {"user": "ada"}


def test_set_and_clear_session_work_without_loading_first(io_store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(io_store, lazy=True)) as client:
        client.post("/login")
        client.post("/replace")
        assert client.get("/loaded").json() == {"user": "grace"}
        response = client.post("/logout")
        assert "Max-Age=0" in set_cookies(response)[0]
        assert client.get("/loaded").json() == {}
        assert recording(io_store).counts["delete"] == 1


def test_loading_twice_loads_once(io_store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(io_store, lazy=True)) as client:
        client.post("/login")
        before = recording(io_store).counts["load"]
        assert client.get("/twice").json() is True
        assert recording(io_store).counts["load"] == before + 1


@pytest.mark.parametrize("store", [CookieStore(), MemoryStore()], ids=["cookie", "memory"])
def test_stores_without_io_ignore_lazy(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store, lazy=True)) as client:
        client.post("/login")
        assert client.get("/kind").text == "Session"
        assert client.get("/unloaded").json() == {"user": "ada"}


def test_without_lazy_load_session_is_a_no_op(io_store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(io_store)) as client:
        client.post("/login")
        assert client.get("/unloaded").json() == {"user": "ada"}
        assert client.get("/loaded").json() == {"user": "ada"}


def test_the_placeholder_refuses_every_use() -> None:
    from coatcheck import SessionNotLoadedError

    placeholder: Any = UnloadedSession()
    uses: list[Callable[[], object]] = [
        lambda: placeholder["a"],
        lambda: placeholder.get("a"),
        lambda: "a" in placeholder,
        lambda: len(placeholder),
        lambda: bool(placeholder),
        lambda: list(placeholder),
    ]
    for use in uses:
        with pytest.raises(SessionNotLoadedError, match="loaded_session"):
            use()
    assert "loaded_session" in repr(placeholder)


def test_load_session_without_the_middleware_says_so() -> None:
    import anyio

    with pytest.raises(RuntimeError, match=r"CoatcheckSessionConfig\.middleware"):
        anyio.run(loaded_session, {"type": "http", "session": {}})
