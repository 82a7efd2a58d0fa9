"""The shared login in-process: both apps behind the dispatcher, sessions in a real Redis.

Log in on the Flask side, read the user on the FastAPI side, log out on the FastAPI side
and be logged out on the Flask side (and the other way round), with one cookie that both
apps write alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from redis import Redis

from coatcheck import MemoryStore
from coatcheck_asgi import Message, Receive, Scope, Send
from examples.shared_login import (
    COOKIE_NAME,
    PathDispatcher,
    SharedStores,
    create_app,
    shared_session_config,
)

from .conftest import BASE_URL

pytestmark = pytest.mark.anyio


def session_set_cookies(response: httpx.Response) -> list[str]:
    """The response's ``Set-Cookie`` headers for the session cookie."""
    return [
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith(f"{COOKIE_NAME}=")
    ]


def attributes(set_cookie: str) -> list[str]:
    """A ``Set-Cookie`` header without its value: the attributes, in order."""
    return set_cookie.split("; ")[1:]


def stored(redis: Redis, key_prefix: str) -> list[str]:
    """The keys the stores keep in Redis under this test's prefix."""
    return sorted(str(key) for key in redis.keys(f"{key_prefix}*"))


async def log_in(client: httpx.AsyncClient, name: str) -> httpx.Response:
    response = await client.post("/login", data={"name": name})
    assert response.status_code == 303
    return response


async def replayed(app: PathDispatcher, path: str, cookie: str) -> httpx.Response:
    """GET ``path`` from a client of its own that sends just ``cookie``."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as other:
        return await other.get(path, headers={"Cookie": f"{COOKIE_NAME}={cookie}"})


@pytest.mark.redis
async def test_log_in_on_flask_read_on_fastapi_log_out_on_fastapi(
    app: PathDispatcher, client: httpx.AsyncClient, redis_keys: Redis, key_prefix: str
) -> None:
    assert (await client.get("/api/me")).status_code == 401
    assert 'id="anonymous"' in (await client.get("/")).text
    assert stored(redis_keys, key_prefix) == []

    login = await log_in(client, "Ada")
    (cookie,) = session_set_cookies(login)
    assert attributes(cookie) == ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
    assert len(stored(redis_keys, key_prefix)) == 1  # one session, in the one store
    logged_in_cookie = client.cookies[COOKIE_NAME]
    assert (await replayed(app, "/api/me", logged_in_cookie)).status_code == 200

    me = await client.get("/api/me")
    assert me.status_code == 200
    assert me.json() == {"user": "Ada", "theme": "light"}
    assert session_set_cookies(me) == []  # reading changes nothing
    assert 'id="user">Ada<' in (await client.get("/")).text

    logout = await client.post("/api/logout")
    assert logout.json() == {"logged_out": True}
    (deletion,) = session_set_cookies(logout)
    assert "Max-Age=0" in attributes(deletion)
    assert COOKIE_NAME not in client.cookies
    assert stored(redis_keys, key_prefix) == []  # the store forgot the session

    home = await client.get("/")
    assert 'id="anonymous"' in home.text
    assert 'id="user"' not in home.text
    account = await client.get("/account")
    assert account.status_code == 303
    assert account.headers["location"] == "/login"
    assert (await client.get("/api/me")).status_code == 401

    # The old cookie, replayed, is no session on either side: the logout was server-side.
    assert 'id="anonymous"' in (await replayed(app, "/", logged_in_cookie)).text
    assert (await replayed(app, "/api/me", logged_in_cookie)).status_code == 401


@pytest.mark.redis
async def test_log_in_on_flask_log_out_on_flask_and_the_api_sees_it(
    client: httpx.AsyncClient, redis_keys: Redis, key_prefix: str
) -> None:
    await log_in(client, "Grace")
    assert (await client.get("/api/me")).json()["user"] == "Grace"
    logout = await client.post("/logout")
    assert logout.status_code == 303
    assert "Max-Age=0" in attributes(session_set_cookies(logout)[0])
    assert stored(redis_keys, key_prefix) == []
    assert (await client.get("/api/me")).status_code == 401


@pytest.mark.redis
async def test_a_change_made_by_the_api_is_what_flask_renders(client: httpx.AsyncClient) -> None:
    await log_in(client, "Ada")
    assert 'id="theme">light<' in (await client.get("/")).text
    changed = await client.post("/api/theme", json={"theme": "dark"})
    assert changed.json() == {"user": "Ada", "theme": "dark"}
    page = (await client.get("/")).text
    assert 'id="theme">dark<' in page
    assert '<body class="dark">' in page


@pytest.mark.redis
async def test_both_apps_write_the_same_cookie(client: httpx.AsyncClient) -> None:
    """Flask's login and the API's change set the cookie with the same name and attributes."""
    from_flask = session_set_cookies(await log_in(client, "Ada"))
    from_fastapi = session_set_cookies(await client.post("/api/theme", json={"theme": "dark"}))
    assert len(from_flask) == len(from_fastapi) == 1
    assert attributes(from_flask[0]) == attributes(from_fastapi[0])
    deleted_by_fastapi = session_set_cookies(await client.post("/api/logout"))
    await log_in(client, "Ada")
    deleted_by_flask = session_set_cookies(await client.post("/logout"))
    assert attributes(deleted_by_fastapi[0]) == attributes(deleted_by_flask[0])


@pytest.mark.redis
async def test_flask_tagged_values_survive_an_api_write(client: httpx.AsyncClient) -> None:
    """Flask's flash() stores tuples (tagged JSON); the API writing the same session
    between the redirect and the page leaves them readable: the welcome still shows."""
    await log_in(client, "Ada")  # not followed: the flash is still in the session
    assert (await client.post("/api/theme", json={"theme": "dark"})).status_code == 200
    page = (await client.get("/")).text
    assert "<li>Welcome, Ada!</li>" in page
    assert "<li>" not in (await client.get("/")).text  # shown once, then gone


@pytest.mark.redis
async def test_login_gives_a_new_session_key(client: httpx.AsyncClient) -> None:
    await log_in(client, "Ada")
    first = client.cookies[COOKIE_NAME]
    await log_in(client, "Grace")
    assert client.cookies[COOKIE_NAME] != first
    assert (await client.get("/api/me")).json()["user"] == "Grace"


@pytest.mark.redis
async def test_sessions_are_separate_per_client(
    app: PathDispatcher, client: httpx.AsyncClient
) -> None:
    await log_in(client, "Ada")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as other:
        assert (await other.get("/api/me")).status_code == 401
        await log_in(other, "Grace")
        assert (await other.post("/api/logout")).status_code == 200
    assert (await client.get("/api/me")).json()["user"] == "Ada"


class Recorder:
    """An ASGI app that only records the paths it was called with."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope.get("path", scope["type"]))


async def never_receive() -> Message:
    raise AssertionError("the dispatcher must not read the body")


async def never_send(message: Message) -> None:
    raise AssertionError("the dispatcher must not answer itself")


@pytest.mark.parametrize(
    ("path", "to_api"),
    [
        ("/api", True),
        ("/api/", True),
        ("/api/me", True),
        ("/apiary", False),
        ("/", False),
        ("/login", False),
        ("/static/api/me", False),
    ],
)
async def test_the_dispatcher_splits_on_the_prefix(path: str, to_api: bool) -> None:
    api, pages = Recorder(), Recorder()
    dispatcher = PathDispatcher(api, pages)
    assert dispatcher.routes_to_api(path) is to_api
    await dispatcher({"type": "http", "path": path}, never_receive, never_send)
    assert (api.paths, pages.paths) == (([path], []) if to_api else ([], [path]))


async def test_the_dispatcher_hands_lifespan_to_the_api() -> None:
    api, pages = Recorder(), Recorder()
    await PathDispatcher(api, pages)({"type": "lifespan"}, never_receive, never_send)
    assert (api.paths, pages.paths) == (["lifespan"], [])


def test_the_dispatcher_refuses_a_bad_prefix() -> None:
    for prefix in ("api", "/api/", ""):
        with pytest.raises(ValueError, match="prefix"):
            PathDispatcher(Recorder(), Recorder(), prefix=prefix)


@dataclass(frozen=True)
class ClosingStores(SharedStores):
    """The in-process stores, recording `aclose`."""

    closed: list[bool] = field(default_factory=list)

    async def aclose(self) -> None:
        self.closed.append(True)


async def run_lifespan(app: PathDispatcher) -> list[str]:
    """Start and stop ``app`` as a server does; the message types it sent."""
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> Message:
        return next(incoming)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


@pytest.mark.parametrize("close_stores", [True, False])
async def test_the_app_closes_its_stores_at_shutdown_if_asked(close_stores: bool) -> None:
    store = MemoryStore()
    stores = ClosingStores(pages=store, api=store)
    app = create_app(shared_session_config("x" * 32), stores, close_stores=close_stores)
    sent = await run_lifespan(app)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert stores.closed == ([True] if close_stores else [])
