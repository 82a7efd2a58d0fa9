"""What a Litestar handler does with its session, on every kind of store.

Litestar's own session tests (tests/unit/test_middleware/test_session/ in its
repository) check these behaviours of its backends; these are ours, for coatcheck.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from litestar import Request, Response, delete, get, post
from litestar.types import Empty

from coatcheck import CookieStore, MemoryStore
from coatcheck_asgi import AnyStore
from coatcheck_asgi.litestar import CoatcheckSessionConfig, CoatcheckSessionMiddleware

from .helpers import KEY, client_for, session_config, set_cookies, vary_tokens


@get("/session")
async def has_session(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return {"has_session": request.session != {}}


@post("/session")
async def log_in(request: Request[Any, Any, Any]) -> None:
    request.session["username"] = "ada"


@delete("/session")
async def log_out(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


@get("/returned")
async def returned(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.session  # serialized by msgspec, which reads the raw dict


@post("/counter")
async def counter(request: Request[Any, Any, Any]) -> dict[str, int]:
    request.session["n"] = request.session.get("n", 0) + 1
    return {"n": request.session["n"]}


@dataclass
class Profile:
    user_id: int
    roles: list[str]


class Preferences(msgspec.Struct):
    theme: str


@post("/set/{kind:str}")
async def set_whole(request: Request[Any, Any, Any]) -> None:
    kind = request.path_params["kind"]
    value: Any = {
        "dict": {"user_id": 7, "roles": ["admin"]},
        "dataclass": Profile(user_id=7, roles=["admin"]),
        "struct": Preferences(theme="dark"),
        "empty-dict": {},
        "none": None,
    }.get(kind, Empty)
    request.set_session(value)


@get("/id")
async def session_id(request: Request[Any, Any, Any]) -> dict[str, str | None]:
    return {"id": request.get_session_id()}


@get("/untouched")
async def untouched() -> str:
    return "nothing to see"


HANDLERS = [has_session, log_in, log_out, returned, counter, set_whole, session_id, untouched]


def test_log_in_and_out_like_litestars_own_backends(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        assert client.get("/session").json() == {"has_session": False}
        client.post("/session")
        first = client.cookies.get("session")
        assert first
        assert client.get("/session").json() == {"has_session": True}
        client.delete("/session")
        assert client.cookies.get("session") is None
        assert client.get("/session").json() == {"has_session": False}
        client.post("/session")
        assert client.get("/session").json() == {"has_session": True}
        assert client.cookies.get("session") not in (None, first)


def test_a_returned_session_is_serialized_with_its_content(store: AnyStore) -> None:
    # msgspec reads a dict subclass through C-level access, skipping every overridden
    # method: the session must be filled before the handler, or this answers {}.
    with client_for(HANDLERS, session_config(store)) as client:
        client.post("/counter")
        client.post("/counter")
        response = client.get("/returned")
        assert response.json() == {"n": 2}
        # The handler read it without our knowing: the response varies on the cookie.
        assert "cookie" in vary_tokens(response)


def test_requests_without_a_session_do_not_vary(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        response = client.get("/returned")
        assert response.json() == {}
        assert "cookie" not in vary_tokens(response)
        assert set_cookies(response) == []


def test_an_untouched_request_writes_nothing(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        client.post("/counter")
        response = client.get("/untouched")
        assert response.text == "nothing to see"
        assert set_cookies(response) == []
        assert client.post("/counter").json() == {"n": 2}


@pytest.mark.parametrize("kind", ["dict", "dataclass"])
def test_set_session_replaces_the_content(store: AnyStore, kind: str) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        client.post("/counter")
        client.post(f"/set/{kind}")
        assert client.get("/returned").json() == {"user_id": 7, "roles": ["admin"]}


def test_set_session_takes_a_msgspec_struct(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        client.post("/set/struct")
        assert client.get("/returned").json() == {"theme": "dark"}


@pytest.mark.parametrize("kind", ["empty", "empty-dict", "none"])
def test_an_empty_set_session_ends_the_session(store: AnyStore, kind: str) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        client.post("/counter")
        response = client.post(f"/set/{kind}")
        (removal,) = set_cookies(response)
        assert removal.startswith("session=;") and "Max-Age=0" in removal
        assert client.get("/returned").json() == {}


def test_set_session_on_a_new_session_starts_one(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        response = client.post("/set/dict")
        assert len(set_cookies(response)) == 1
        assert client.get("/returned").json() == {"user_id": 7, "roles": ["admin"]}


def test_clearing_a_session_that_does_not_exist_sets_no_cookie(store: AnyStore) -> None:
    with client_for(HANDLERS, session_config(store)) as client:
        response = client.delete("/session")
        assert response.status_code == 204
        assert set_cookies(response) == []


def test_clear_session_deletes_the_record_in_the_store() -> None:
    store = MemoryStore()
    with client_for(HANDLERS, session_config(store)) as client:
        client.post("/session")
        assert len(store) == 1
        client.delete("/session")
        assert len(store) == 0


def test_set_session_keeps_the_session_id() -> None:
    # Replacing the content is a change, not a new session (no renewal, no new key).
    with client_for(HANDLERS, session_config(MemoryStore())) as client:
        client.post("/set/dict")
        first = client.get("/id").json()["id"]
        assert first is not None
        cookie = client.cookies.get("session")
        client.post("/set/dataclass")
        assert client.get("/id").json()["id"] == first
        assert client.cookies.get("session") == cookie


def test_get_session_id_is_the_coatcheck_session_id() -> None:
    seen: list[str | None] = []

    @get("/both")
    async def both(request: Request[Any, Any, Any]) -> None:
        seen.append(request.get_session_id())
        seen.append(request.session.id)  # type: ignore[attr-defined]

    with client_for([*HANDLERS, both], session_config(MemoryStore())) as client:
        client.get("/both")
        assert seen == [None, None]  # no session yet: no id
        client.post("/counter")
        client.get("/both")
        assert seen[2] is not None and seen[2] == seen[3]


def test_a_cookie_store_session_has_no_id() -> None:
    with client_for(HANDLERS, session_config(CookieStore())) as client:
        client.post("/counter")
        assert client.get("/id").json() == {"id": None}


def test_without_the_middleware_request_session_is_an_error() -> None:
    with client_for(HANDLERS) as client:
        assert client.get("/session").status_code == 500


def test_cookies_the_app_sets_are_kept(store: AnyStore) -> None:
    @post("/both-cookies")
    async def both_cookies(request: Request[Any, Any, Any]) -> Response[str]:
        request.session["a"] = 1
        return Response("hello", cookies={"foo": "bar"})

    with client_for([both_cookies], session_config(store)) as client:
        response = client.post("/both-cookies")
        assert response.cookies.get("foo") == "bar"
        assert response.cookies.get("session")


def test_the_session_is_a_coatcheck_session_in_a_dict(store: AnyStore) -> None:
    from coatcheck import Session

    kinds: list[tuple[bool, bool]] = []

    @get("/kind")
    async def kind(request: Request[Any, Any, Any]) -> None:
        kinds.append((isinstance(request.session, Session), isinstance(request.session, dict)))

    with client_for([kind], session_config(store)) as client:
        client.get("/kind")
    assert kinds == [(True, True)]


def test_the_middleware_can_sit_on_one_route_only() -> None:
    config = session_config(MemoryStore())

    @post("/with", middleware=[config.middleware])
    async def with_session(request: Request[Any, Any, Any]) -> None:
        request.session["a"] = 1

    @get("/without")
    async def without(request: Request[Any, Any, Any]) -> dict[str, bool]:
        return {"has_session": "session" in request.scope}

    with client_for([with_session, without]) as client:
        assert client.post("/with").cookies.get("session")
        assert client.get("/without").json() == {"has_session": False}


def test_config_is_checked() -> None:
    with pytest.raises(TypeError, match="needs a key"):
        CoatcheckSessionConfig(store=MemoryStore())
    config = session_config(MemoryStore())
    with pytest.raises(TypeError, match="not both"):
        CoatcheckSessionConfig(store=MemoryStore(), key=KEY, manager=config.session_manager)
    with pytest.raises(ValueError, match="scopes"):
        session_config(MemoryStore(), scopes=frozenset({"lifespan"}))
    assert isinstance(config.middleware, CoatcheckSessionMiddleware)
    assert "mode=inline" in repr(config.middleware)


def test_runs_on_trio_too() -> None:
    with client_for(HANDLERS, session_config(MemoryStore()), backend="trio") as client:
        client.post("/counter")
        assert client.post("/counter").json() == {"n": 2}
