"""One small application, served by each adapter over a Redis store, and a browser for it.

The same routes exist in a Starlette app (``coatcheck_asgi`` with `AsyncRedisStore`, eager
or lazy), a plain WSGI app (``coatcheck_wsgi`` with `RedisStore`) and a Flask app
(``coatcheck_wsgi.flask`` with `RedisStore`), so one test covers all of them:

- ``GET /untouched``: never touches the session;
- ``GET /session``: returns the session as JSON;
- ``POST /set/<name>/<value>`` and ``POST /remove/<name>``: change one key;
- ``POST /renew`` and ``POST /purge``;
- ``POST /race/<name>``: reads the session, waits until ``party`` requests have read it,
  then sets ``name`` (the worst interleaving for lost updates, on purpose).

`Harness.request` plays a browser with one cookie: it sends the cookie it holds and keeps
what ``Set-Cookie`` says. WSGI apps run in worker threads, as a threaded server would.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import httpx
from flask import Flask
from flask import session as flask_session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from coatcheck import BrowserSession, Key, Session, SessionConfig, TtlExtensionPolicy
from coatcheck_asgi import SessionMiddleware as AsgiSessionMiddleware
from coatcheck_asgi import load_session
from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_wsgi import SessionMiddleware as WsgiSessionMiddleware
from coatcheck_wsgi import get_session
from coatcheck_wsgi.flask import FlaskSessionInterface

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ADAPTERS", "Harness", "make_harness"]

ADAPTERS = ("asgi", "asgi-lazy", "wsgi", "flask")
"""Every adapter the harness serves: Starlette eager and lazy, plain WSGI, Flask."""
BASE_URL = "https://testserver"
COOKIE_NAME = "session"
BARRIER_TIMEOUT = 20.0
"""Seconds a racing request waits for the others before giving up (and failing)."""


def snapshot(session: Mapping[str, Any]) -> dict[str, Any]:
    """The session's contents, read through its own methods (so a lazy one loads)."""
    return {key: session[key] for key in session}


class AsyncBarrier:
    """``parties`` tasks wait until all of them have arrived (anyio has no barrier)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.event = anyio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.event.set()
        with anyio.fail_after(BARRIER_TIMEOUT):
            await self.event.wait()


def apply(session: Session, action: str, argument: Sequence[str], *, permanent: bool) -> None:
    """Perform one of the routes' session actions (after any waiting)."""
    if action == "set":
        session[argument[0]] = argument[1]
        if permanent:
            session.permanent = True
    elif action == "race":
        session[argument[0]] = "1"
    elif action == "remove":
        del session[argument[0]]
    elif action == "renew":
        session.renew()
    elif action == "purge":
        session.purge()
    else:
        raise LookupError(action)


def starlette_app(
    store: AsyncRedisStore, keys: list[Key], config: SessionConfig, *, lazy: bool, party: int
) -> AsgiSessionMiddleware:
    barrier = AsyncBarrier(party)

    async def untouched(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def read(request: Request) -> Response:
        return JSONResponse(snapshot(await load_session(request)))

    async def act(request: Request) -> Response:
        session = await load_session(request)
        action, *argument = request.url.path.strip("/").split("/")
        if action == "race":
            snapshot(session)
            await barrier.wait()
        apply(session, action, argument, permanent=False)
        return JSONResponse(snapshot(session))

    routes = [
        Route("/untouched", untouched),
        Route("/session", read),
        Route("/{path:path}", act, methods=["POST"]),
    ]
    return AsgiSessionMiddleware(
        Starlette(routes=routes), store=store, key=keys, config=config, lazy=lazy
    )


def wsgi_app(
    store: RedisStore, keys: list[Key], config: SessionConfig, *, party: int
) -> WSGIApplication:
    barrier = threading.Barrier(party, timeout=BARRIER_TIMEOUT)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/untouched":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        session = get_session(environ)
        if environ["REQUEST_METHOD"] == "POST":
            action, *argument = path.strip("/").split("/")
            if action == "race":
                snapshot(session)
                barrier.wait()
            apply(session, action, argument, permanent=False)
        body = json.dumps(snapshot(session)).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return WsgiSessionMiddleware(app, store=store, key=keys, config=config)


def flask_app(
    store: RedisStore, secrets: list[str], ttl: int, *, every_request: bool, party: int
) -> Flask:
    barrier = threading.Barrier(party, timeout=BARRIER_TIMEOUT)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets[0],
        SECRET_KEY_FALLBACKS=secrets[1:],
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=ttl),
        SESSION_REFRESH_EACH_REQUEST=every_request,
        SESSION_COOKIE_SECURE=True,
    )
    # Flask extends only permanent sessions on every request; the routes make them so.
    app.session_interface = FlaskSessionInterface(store=store)

    @app.get("/untouched")
    def untouched() -> str:
        return "ok"

    @app.get("/session")
    def read() -> dict[str, Any]:
        return snapshot(flask_session)

    @app.post("/<path:path>")
    def act(path: str) -> dict[str, Any]:
        action, *argument = path.split("/")
        if action == "race":
            snapshot(flask_session)
            barrier.wait()
        session: Session = flask_session._get_current_object()  # type: ignore[attr-defined]
        apply(session, action, argument, permanent=every_request)
        return snapshot(session)

    return app


def set_cookie_value(response: httpx.Response, name: str = COOKIE_NAME) -> str | None:
    """The session cookie a response sets: its value, ``""`` for a removal, else ``None``."""
    for header in response.headers.get_list("set-cookie"):
        pair, _, attributes = header.partition(";")
        cookie_name, _, value = pair.strip().partition("=")
        if cookie_name == name:
            return "" if "max-age=0" in attributes.lower() else value
    return None


@dataclass
class Harness:
    """One adapter's app over a Redis store, and the one cookie a browser would keep."""

    adapter: str
    app: Any
    store: RedisStore | AsyncRedisStore
    cookie: str | None = None
    limiter: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(100))

    @property
    def is_asgi(self) -> bool:
        return self.adapter.startswith("asgi")

    async def request(
        self, method: str, path: str, *, cookie: str | None = None, keep: bool = True
    ) -> httpx.Response:
        """Send a request with ``cookie`` (default: the one held); keep what it sets."""
        sent = self.cookie if cookie is None else cookie
        headers = {"cookie": f"{COOKIE_NAME}={sent}"} if sent else {}
        if self.is_asgi:
            # As a server would: an exception the app lets out (Starlette has already sent
            # its 500 then) is logged, not raised into the client.
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                response = await client.request(method, path, headers=headers)
        else:
            call = functools.partial(self._wsgi_request, method, path, headers)
            response = await anyio.to_thread.run_sync(call, limiter=self.limiter)
        if keep:
            value = set_cookie_value(response)
            if value is not None:
                self.cookie = value or None
        return response

    def _wsgi_request(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        transport = httpx.WSGITransport(app=self.app)
        with httpx.Client(transport=transport, base_url=BASE_URL) as client:
            return client.request(method, path, headers=headers)

    async def session(self) -> dict[str, Any]:
        """What ``GET /session`` shows (asserting a 200)."""
        response = await self.request("GET", "/session")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def make_harness(
    adapter: str,
    store: RedisStore | AsyncRedisStore,
    *,
    secrets: Sequence[str] = ("the first secret, long enough for HKDF to not mind",),
    ttl: int = 3600,
    every_request: bool = False,
    party: int = 1,
) -> Harness:
    """The app for ``adapter`` (one of `ADAPTERS`) over ``store``.

    ``secrets[0]`` signs and encrypts, all are accepted (key rotation); ``ttl`` is how long
    the store keeps a session, extended on every request if ``every_request``; ``party``
    is how many ``/race`` requests meet before writing.
    """
    keys = [Key.derive_from(secret) for secret in secrets]
    policy = TtlExtensionPolicy.ON_STATE_CHANGES
    if every_request:
        policy = TtlExtensionPolicy.ON_EVERY_REQUEST
    config = SessionConfig(lifecycle=BrowserSession(state_ttl=ttl, ttl_extension_policy=policy))
    app: Callable[..., Any]
    if adapter.startswith("asgi"):
        assert isinstance(store, AsyncRedisStore)
        app = starlette_app(store, keys, config, lazy=adapter == "asgi-lazy", party=party)
    elif adapter == "wsgi":
        assert isinstance(store, RedisStore)
        app = wsgi_app(store, keys, config, party=party)
    elif adapter == "flask":
        assert isinstance(store, RedisStore)
        app = flask_app(store, list(secrets), ttl, every_request=every_request, party=party)
    else:
        raise LookupError(adapter)
    return Harness(adapter, app, store)
