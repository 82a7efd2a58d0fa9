"""One header rule: the same response headers through ASGI, WSGI and Flask give one answer.

Each adapter wraps an app that answers with the given headers and writes the session; the
session's ``Set-Cookie`` and ``Vary`` must come out the same everywhere, and the same as
`coatcheck.sansio.session_headers` says (an app's cookie of the session's name replaced,
``Cookie`` merged into the first ``Vary`` that lacks it, never twice).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, MutableMapping
from typing import Any

import flask
import pytest

from coatcheck import CookieStore, Key, SessionConfig
from coatcheck.sansio import session_headers
from coatcheck_asgi import SessionMiddleware as ASGISessionMiddleware
from coatcheck_wsgi import SessionMiddleware as WSGISessionMiddleware
from coatcheck_wsgi.flask import FlaskSessionInterface

KEY = Key.from_bytes(bytes(range(64)))
SECRET = "a secret key that is long enough for hkdf"
Headers = list[tuple[str, str]]
Run = Callable[[Headers], Headers]

CASES: list[Headers] = [
    [],
    [("Cache-Control", "private"), ("X-Frame-Options", "DENY")],
    [("Vary", "Accept-Encoding")],
    [("Vary", "Accept"), ("Vary", "Origin")],
    [("Vary", "cookie")],
    [("Vary", "Origin"), ("Vary", "Accept, COOKIE")],
    [("Vary", "*")],
    [("Set-Cookie", "session=app-made; Path=/"), ("Set-Cookie", "theme=dark; Path=/")],
    [("Vary", ""), ("Set-Cookie", "sessionx=1")],
]


def via_asgi(headers: Headers) -> Headers:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["session"]["user"] = "ada"
        raw = [(name.lower().encode(), value.encode()) for name, value in headers]
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = ASGISessionMiddleware(app, store=CookieStore(), key=KEY)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(middleware({"type": "http", "headers": []}, receive, send))
    return [(name.decode(), value.decode()) for name, value in sent[0]["headers"]]


def via_wsgi(headers: Headers) -> Headers:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["coatcheck.session"]["user"] = "ada"
        start_response("200 OK", list(headers))
        return [b"ok"]

    middleware = WSGISessionMiddleware(app, store=CookieStore(), key=KEY)
    started: list[Headers] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Any:
        started.append(headers)
        return lambda data: None

    middleware({"REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}, start_response)
    return started[0]


def via_flask(headers: Headers) -> Headers:
    app = flask.Flask(__name__)
    app.secret_key = SECRET
    app.session_interface = FlaskSessionInterface()

    @app.get("/")
    def view() -> flask.Response:
        flask.session["user"] = "ada"
        response = flask.Response("ok")
        response.headers.clear()
        for name, value in headers:
            response.headers.add(name, value)
        return response

    response = app.test_client().get("/")
    return [(name, value) for name, value in response.headers.items()]


def session_part(headers: Headers) -> tuple[list[str], list[str]]:
    """The ``Vary`` values and the ``Set-Cookie`` names, in order (the cookie values differ:
    each carries a fresh nonce)."""
    varies = [value for name, value in headers if name.lower() == "vary"]
    cookies = [value.partition("=")[0] for name, value in headers if name.lower() == "set-cookie"]
    return varies, cookies


@pytest.mark.parametrize("headers", CASES)
def test_every_adapter_gives_the_rules_answer(headers: Headers) -> None:
    expected = session_part(session_headers(headers, "session=ours", True, "session"))
    for run in (via_asgi, via_wsgi, via_flask):
        assert session_part(run(headers)) == expected, run.__name__


def test_the_rule_replaces_merges_and_never_duplicates() -> None:
    headers = [("Vary", "Accept"), ("Set-Cookie", "session=app"), ("Vary", "Origin")]
    assert session_headers(headers, "session=ours", True, "session") == [
        ("Vary", "Accept, Cookie"),
        ("Vary", "Origin"),
        ("Set-Cookie", "session=ours"),
    ]
    assert session_headers([("vary", "*")], None, True, "session") == [("vary", "*")]
    assert session_headers([], None, True, "session") == [("Vary", "Cookie")]
    assert session_headers([("Set-Cookie", "session=app")], None, False, "session") == [
        ("Set-Cookie", "session=app")
    ]
    unchanged: Headers = [("Vary", "Accept")]
    assert session_headers(unchanged, None, False, "session") is not unchanged


@pytest.mark.parametrize("config", [SessionConfig(cookie_name="sid")])
def test_the_cookie_name_decides_what_is_replaced(config: SessionConfig) -> None:
    headers = [("Set-Cookie", "session=theirs"), ("Set-Cookie", "sid=app")]
    result = session_headers(headers, "sid=ours", False, config.cookie_name)
    assert [value for _, value in result] == ["session=theirs", "sid=ours"]
