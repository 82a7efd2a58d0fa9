"""What a Starlette user relies on, through Starlette's TestClient and httpx, on asyncio
and trio, with every kind of store (inline, awaited, in a worker thread)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as StarletteSessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from coatcheck import BrowserSession, CookieStore, MemoryStore, PersistentSession, SessionConfig
from coatcheck_asgi import AnyStore, Message, Receive, Scope, Send, SessionMiddleware
from coatcheck_asgi.testing import session_cookie

from .conftest import OpenClient
from .helpers import (
    INSECURE,
    KEY,
    OTHER_KEY,
    cookie_attributes,
    session_app,
    set_cookies,
    vary_tokens,
)


def test_a_write_sets_the_cookie_and_the_next_request_reads_it(
    client_for: OpenClient, store: AnyStore
) -> None:
    with client_for(session_app(store)) as client:
        response = client.post("/update", json={"user": "ada", "n": 1})
        assert response.json() == {"user": "ada", "n": 1}
        [header] = set_cookies(response)
        assert header.startswith("session=")
        assert vary_tokens(response) == ["cookie"]

        assert client.get("/read").json() == {"user": "ada", "n": 1}
        assert client.post("/update", json={"n": 2}).json() == {"user": "ada", "n": 2}
        assert client.get("/read").json() == {"user": "ada", "n": 2}


def test_an_untouched_request_sends_neither_cookie_nor_vary(
    client_for: OpenClient, store: AnyStore
) -> None:
    with client_for(session_app(store)) as client:
        client.post("/update", json={"user": "ada"})
        response = client.get("/untouched")
        assert response.text == "untouched"
        assert set_cookies(response) == []
        assert "vary" not in response.headers


def test_a_read_varies_on_cookie_and_sets_nothing(client_for: OpenClient, store: AnyStore) -> None:
    with client_for(session_app(store)) as client:
        client.post("/update", json={"user": "ada"})
        response = client.get("/read")
        assert response.json() == {"user": "ada"}
        assert set_cookies(response) == []
        assert vary_tokens(response) == ["cookie"]


def test_a_read_without_a_cookie_varies_and_sets_nothing(
    client_for: OpenClient, store: AnyStore
) -> None:
    with client_for(session_app(store)) as client:
        response = client.get("/read")
        assert response.json() == {}
        assert set_cookies(response) == []
        assert vary_tokens(response) == ["cookie"]


@pytest.mark.parametrize("empty_it", ["/clear", "/remove/user"])
def test_an_emptied_session_removes_the_cookie(
    client_for: OpenClient, store: AnyStore, empty_it: str
) -> None:
    with client_for(session_app(store)) as client:
        client.post("/update", json={"user": "ada"})
        response = client.post(empty_it)
        assert response.json() == {}
        [header] = set_cookies(response)
        assert header.startswith("session=;")
        attributes = cookie_attributes(header)
        assert attributes["max-age"] == "0"
        assert attributes["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
        assert "session" not in client.cookies
        assert client.get("/read").json() == {}


def test_writing_what_is_already_there_sets_no_cookie(
    client_for: OpenClient, store: AnyStore
) -> None:
    with client_for(session_app(store)) as client:
        client.post("/update", json={"user": "ada", "tags": ["x"]})
        response = client.post("/update", json={"user": "ada", "tags": ["x"]})
        assert response.json() == {"user": "ada", "tags": ["x"]}
        assert set_cookies(response) == []
        assert vary_tokens(response) == ["cookie"]


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        "a" * 5000,
        '"quoted\\"junk"',
        "eyJhbGciOiJub25lIn0.e30.",
    ],
)
def test_an_invalid_cookie_is_an_empty_session_and_is_left_alone(
    client_for: OpenClient, cookie: str
) -> None:
    with client_for(session_app(CookieStore())) as client:
        response = client.get("/read", headers={"cookie": f"session={cookie}"})
        assert response.status_code == 200
        assert response.json() == {}
        # It may belong to another app on the same domain: never deleted.
        assert set_cookies(response) == []


def test_a_cookie_sealed_with_another_key_is_an_empty_session(client_for: OpenClient) -> None:
    with client_for(session_app(CookieStore(), key=OTHER_KEY)) as other:
        other.post("/update", json={"user": "mallory"})
        foreign = other.cookies["session"]
    with client_for(session_app(CookieStore())) as client:
        response = client.get("/read", headers={"cookie": f"session={foreign}"})
        assert response.status_code == 200
        assert response.json() == {}
        assert set_cookies(response) == []


def test_a_starlette_cookie_is_an_empty_session(client_for: OpenClient) -> None:
    async def write(request: Request) -> PlainTextResponse:
        request.session["user"] = "ada"
        return PlainTextResponse("ok")

    starlette = Starlette(
        routes=[Route("/", write)],
        middleware=[Middleware(StarletteSessionMiddleware, secret_key="s" * 32)],
    )
    with client_for(starlette) as client:
        client.get("/")
        legacy = client.cookies["session"]
    with client_for(session_app(CookieStore())) as client:
        response = client.get("/read", headers={"cookie": f"session={legacy}"})
        assert response.json() == {}


def test_the_cookie_attributes_follow_the_config(client_for: OpenClient) -> None:
    config = SessionConfig(
        cookie_name="__Secure-sid",
        cookie_path="/app",
        cookie_domain="testserver.local",
        cookie_same_site="none",
        cookie_partitioned=True,
        lifecycle=PersistentSession(session_ttl=timedelta(days=14)),
    )

    async def write(request: Request) -> PlainTextResponse:
        request.session["user"] = "ada"
        return PlainTextResponse("ok")

    app = session_app(CookieStore(), config=config, routes=[Route("/app/write", write)])
    with client_for(app) as client:
        [header] = set_cookies(client.get("/app/write"))
    assert header.startswith("__Secure-sid=")
    attributes = cookie_attributes(header)
    assert attributes["path"] == "/app"
    assert attributes["domain"] == "testserver.local"
    assert attributes["samesite"] == "none"  # spelt as Starlette spells it
    assert attributes["max-age"] == str(14 * 24 * 3600)
    assert "expires" in attributes
    assert {"secure", "httponly", "partitioned"} <= attributes.keys()


def test_the_default_cookie_is_a_secure_browser_session_cookie(client_for: OpenClient) -> None:
    with client_for(session_app(CookieStore())) as client:
        [header] = set_cookies(client.post("/update", json={"user": "ada"}))
    attributes = cookie_attributes(header)
    assert "max-age" not in attributes
    assert "expires" not in attributes
    assert attributes["path"] == "/"
    assert attributes["samesite"] == "lax"
    assert {"secure", "httponly"} <= attributes.keys()
    assert "domain" not in attributes


def test_permanent_makes_the_cookie_outlive_the_browser(
    client_for: OpenClient, store: AnyStore
) -> None:
    config = SessionConfig(lifecycle=BrowserSession(state_ttl=timedelta(hours=2)))
    with client_for(session_app(store, config=config)) as client:
        client.post("/update", json={"user": "ada"})
        [header] = set_cookies(client.post("/permanent/on"))
        assert cookie_attributes(header)["max-age"] == str(2 * 3600)
        [header] = set_cookies(client.post("/permanent/off"))
        assert "max-age" not in cookie_attributes(header)
        assert client.get("/read").json() == {"user": "ada"}


def test_insecure_config_serves_plain_http(client_for: OpenClient, store: AnyStore) -> None:
    app = session_app(store, config=INSECURE)
    with client_for(app, base_url="http://testserver") as client:
        [header] = set_cookies(client.post("/update", json={"user": "ada"}))
        assert "secure" not in cookie_attributes(header)
        assert client.get("/read").json() == {"user": "ada"}


def test_renew_moves_the_state_to_a_new_cookie(client_for: OpenClient, store: AnyStore) -> None:
    with client_for(session_app(store)) as client:
        client.post("/update", json={"user": "ada"})
        before = client.cookies["session"]
        response = client.post("/renew")
        assert response.json() == {"user": "ada"}
        assert len(set_cookies(response)) == 1
        after = client.cookies["session"]
        assert after != before
        assert client.get("/read").json() == {"user": "ada"}
    if isinstance(store, MemoryStore):
        # Inside renew_grace, a request still in flight with the old cookie is served
        # the renewed session and handed its cookie.
        with client_for(session_app(store)) as late:
            response = late.get("/read", headers={"cookie": f"session={before}"})
            assert response.json() == {"user": "ada"}
            handed = late.cookies["session"]
            assert handed not in (before, after)  # sealed afresh, naming the new key
            assert late.get("/read").json() == {"user": "ada"}
        # Without a grace window the old server-side key is gone at once.
        config = SessionConfig(renew_grace=0)
        with client_for(session_app(store, config=config)) as client:
            client.post("/update", json={"user": "bob"})
            before = client.cookies["session"]
            client.post("/renew")
        with client_for(session_app(store, config=config)) as replay:
            assert replay.get("/read", headers={"cookie": f"session={before}"}).json() == {}


def test_purge_ends_the_session(client_for: OpenClient, store: AnyStore) -> None:
    with client_for(session_app(store)) as client:
        client.post("/update", json={"user": "ada"})
        before = client.cookies["session"]
        [header] = set_cookies(client.post("/purge"))
        assert header.startswith("session=;")
        assert client.get("/read").json() == {}
    if not isinstance(store, CookieStore):
        # Server-side state is deleted, so even a replayed cookie finds nothing.
        with client_for(session_app(store)) as replay:
            assert replay.get("/read", headers={"cookie": f"session={before}"}).json() == {}


def test_a_cookie_under_an_old_key_is_accepted_and_reissued(
    client_for: OpenClient, store: AnyStore
) -> None:
    with client_for(session_app(store, key=OTHER_KEY)) as old:
        old.post("/update", json={"user": "ada"})
        sealed_with_old = old.cookies["session"]
    with client_for(session_app(store, key=[KEY, OTHER_KEY])) as client:
        response = client.get("/read", headers={"cookie": f"session={sealed_with_old}"})
        assert response.json() == {"user": "ada"}
        [header] = set_cookies(response)
    reissued = header.split(";", 1)[0].partition("=")[2]
    with client_for(session_app(store, key=KEY)) as new_only:
        assert new_only.get("/read", headers={"cookie": f"session={reissued}"}).json() == {
            "user": "ada"
        }


def test_code_written_for_starlettes_middleware_runs_unchanged(client_for: OpenClient) -> None:
    """The same endpoints, behind Starlette's middleware and behind ours."""

    async def cart(request: Request) -> JSONResponse:
        session = request.session
        assert isinstance(session, dict)
        items = session.setdefault("items", [])
        if "add" in request.query_params:
            session["items"] = [*items, request.query_params["add"]]
        if "drop" in request.query_params:
            session.pop("items", None)
        return JSONResponse({"items": session.get("items", []), "keys": sorted(session)})

    routes = [Route("/cart", cart)]
    apps = [
        Starlette(
            routes=routes,
            middleware=[Middleware(StarletteSessionMiddleware, secret_key="s" * 32)],
        ),
        Starlette(
            routes=routes,
            middleware=[
                Middleware(SessionMiddleware, store=MemoryStore(), key=KEY, config=INSECURE)
            ],
        ),
    ]
    transcripts = []
    for app in apps:
        with client_for(app, base_url="http://testserver") as client:
            transcripts.append(
                [
                    client.get("/cart", params=params).json()
                    for params in ({"add": "tea"}, {"add": "jam"}, {}, {"drop": "1"}, {})
                ]
            )
    assert transcripts[0] == transcripts[1]
    assert transcripts[1][2] == {"items": ["tea", "jam"], "keys": ["items"]}


@pytest.mark.anyio
async def test_several_cookie_headers_are_read_as_one(anyio_backend: str) -> None:
    """HTTP/2 may split the Cookie header; the session cookie may be in any part."""
    seen: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(dict(scope["session"]))
        await PlainTextResponse("ok")(scope, receive, send)

    middleware = SessionMiddleware(app, store=CookieStore(), key=KEY)
    name, value = session_cookie(middleware, {"user": "ada"})
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [
            (b"cookie", b"theme=dark"),
            (b"accept", b"*/*"),
            (b"cookie", f"other=1; {name}={value}".encode("latin-1")),
        ],
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    await middleware(scope, receive, send)
    assert seen == [{"user": "ada"}]
