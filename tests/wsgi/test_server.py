"""The generic middleware behind real WSGI servers on a loopback port, over real HTTP."""

from __future__ import annotations

import contextlib
import http.client
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as make_wsgiref_server

import pytest
from werkzeug.serving import make_server as make_werkzeug_server

from coatcheck import Key, SessionConfig
from coatcheck_testing import RecordingStore
from coatcheck_wsgi import SessionMiddleware, get_session
from tests.support.network import LOOPBACK, free_port

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

KEY = Key.generate()
CONFIG = SessionConfig(cookie_name="sid", cookie_secure=False)
TIMEOUT = 10.0


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(kind: str, app: WSGIApplication) -> Iterator[int]:
    """Serve ``app`` on a free loopback port with the named server, in a thread."""
    port = free_port()
    server: Any
    if kind == "werkzeug":
        server = make_werkzeug_server(LOOPBACK, port, app, threaded=True)
    else:
        server = make_wsgiref_server(
            LOOPBACK, port, app, server_class=WSGIServer, handler_class=QuietHandler
        )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=TIMEOUT)


class Browser:
    """A tiny HTTP client keeping one session cookie, like a browser would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie: str | None = None

    def get(self, path: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=TIMEOUT)
        try:
            headers = {"Cookie": f"sid={self.cookie}"} if self.cookie else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        for set_cookie in response.headers.get_all("Set-Cookie") or []:
            if set_cookie.startswith("sid="):
                value = set_cookie.split(";", 1)[0][len("sid=") :]
                self.cookie = None if "Max-Age=0" in set_cookie else value
        return response.status, response.headers, body


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/stream":
        return stream(environ, start_response)
    if path == "/error-page":
        return error_page(environ, start_response)
    session = get_session(environ)
    if path == "/incr":
        session["n"] = session.get("n", 0) + 1
    elif path == "/logout":
        session.purge()
    body = b"-" if path == "/untouched" else str(session.get("n")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [body]


def stream(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
    """A generator that changes the session, then starts the response late."""
    session = get_session(environ)
    session["n"] = 100
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one "
    yield b"two "
    yield str(session["n"]).encode()


def error_page(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Starts a 200, then replaces it with an error page before any body is sent."""
    get_session(environ)["n"] = 5
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise RuntimeError("template failed")
    except RuntimeError:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"sorry"]


SERVERS = pytest.mark.parametrize("kind", ["werkzeug", "wsgiref"])


@SERVERS
def test_a_session_over_real_http(kind: str) -> None:
    store = RecordingStore()
    with serving(kind, SessionMiddleware(app, store=store, key=KEY, config=CONFIG)) as port:
        browser = Browser(port)
        status, headers, body = browser.get("/incr")
        assert (status, body) == (200, b"1")
        [set_cookie] = headers.get_all("Set-Cookie") or []
        assert "HttpOnly" in set_cookie.split("; ")
        assert headers.get_all("Vary") == ["Accept-Encoding, Cookie"]
        assert browser.get("/incr")[2] == b"2"

        calls = len(store.calls)
        status, headers, body = browser.get("/untouched")
        assert (status, body) == (200, b"-")
        assert headers.get_all("Set-Cookie") is None
        assert len(store.calls) == calls

        status, headers, body = browser.get("/read")
        assert body == b"2"
        assert headers.get_all("Set-Cookie") is None
        assert store.counts["load"] == 2

        browser.get("/logout")
        assert browser.cookie is None
        assert browser.get("/read")[2] == b"None"


@SERVERS
def test_a_streaming_generator_starting_late(kind: str) -> None:
    store = RecordingStore()
    with serving(kind, SessionMiddleware(app, store=store, key=KEY, config=CONFIG)) as port:
        browser = Browser(port)
        status, _, body = browser.get("/stream")
        assert (status, body) == (200, b"one two 100")
        assert browser.cookie is not None
        assert browser.get("/read")[2] == b"100"


@SERVERS
def test_exc_info_replaces_unsent_headers_and_keeps_the_session_cookie(kind: str) -> None:
    store = RecordingStore()
    with serving(kind, SessionMiddleware(app, store=store, key=KEY, config=CONFIG)) as port:
        browser = Browser(port)
        status, headers, body = browser.get("/error-page")
        assert (status, body) == (503, b"sorry")
        assert len(headers.get_all("Set-Cookie") or []) == 1
        # The commit happened at the first start_response; the cookie points at it.
        assert browser.get("/read")[2] == b"5"


@SERVERS
def test_a_store_failure_is_a_clean_500_over_http(kind: str) -> None:
    store = RecordingStore()
    with serving(kind, SessionMiddleware(app, store=store, key=KEY, config=CONFIG)) as port:
        browser = Browser(port)
        browser.get("/incr")
        store.fail_on.add("update")
        status, headers, body = browser.get("/incr")
        assert (status, body) == (500, b"Internal Server Error")
        assert headers.get_all("Set-Cookie") is None
        store.fail_on.clear()
        assert browser.get("/read")[2] == b"1"
