"""Calling an app in-process: `AsgiDriver` (a prepared scope, ``send`` collected) and
`WsgiDriver` (a prepared environ, ``start_response`` collected, the body iterated and
closed as a server would), both repeating a `Workload` in a timed loop.

Everything but the per-request copy of the scope or environ (apps write into it) is
prepared once, so a driver's own cost is the same small constant for every app and
cancels out in the overhead over the bare app.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import perf_counter
from typing import Any, NamedTuple, Protocol

from .app_spec import Interface
from .scenarios import COOKIE_NAME

__all__ = ["AsgiDriver", "Driver", "Response", "Timing", "Workload", "WsgiDriver", "driver_for"]

_PREFIX = COOKIE_NAME + "="


@dataclass
class Workload:
    """One path requested again and again, with the session cookie to send (if any).

    With ``feed_back`` the cookie a response sets replaces ``cookie`` for the next
    request, as a browser would do; the last one stays here after the loop.
    """

    path: str
    cookie: str | None
    feed_back: bool = False


class Timing(NamedTuple):
    """What one timed loop measured."""

    seconds: float
    requests: int
    failures: int
    """Responses whose status was not 200 (a correct run has none)."""


class Response(NamedTuple):
    """Status, body and the session cookie (``None``: not set) of one request."""

    status: int
    body: bytes
    cookie: str | None


class Driver(Protocol):
    """Calls one app in-process, bypassing any server and network stack."""

    def request(self, path: str, cookie: str | None) -> Response:
        """One request."""
        ...

    def time(self, workload: Workload, count: int) -> Timing:
        """``count`` requests of ``workload`` back to back, timed as a whole."""
        ...


def _cookie_in(set_cookies: Iterable[str]) -> str | None:
    """The value the ``Set-Cookie`` headers give the session cookie (the last one wins)."""
    found = None
    for header in set_cookies:
        if header.startswith(_PREFIX):
            found = header[len(_PREFIX) :].split(";", 1)[0]
    return found


# -- ASGI ----------------------------------------------------------------------------------

Message = dict[str, Any]
_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}
_DISCONNECT: Message = {"type": "http.disconnect"}


def _scope(path: str, cookie: str | None) -> dict[str, Any]:
    headers = [
        (b"host", b"bench.local"),
        (b"user-agent", b"coatcheck-bench/1"),
        (b"accept", b"*/*"),
    ]
    if cookie is not None:
        headers.append((b"cookie", (_PREFIX + cookie).encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


class _Receive:
    """One request's ``receive``: the (empty) body once, then a disconnect."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = False

    async def __call__(self) -> Message:
        if self.sent:
            return _DISCONNECT
        self.sent = True
        return _REQUEST


def _asgi_cookie(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    return _cookie_in(
        value.decode("latin-1") for name, value in headers if name.lower() == b"set-cookie"
    )


class AsgiDriver:
    """Runs requests through an ASGI ``app`` on ``loop`` (one loop for every app of a run)."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop

    def request(self, path: str, cookie: str | None) -> Response:
        """One request."""
        return self.loop.run_until_complete(self._request(path, cookie))

    def time(self, workload: Workload, count: int) -> Timing:
        """``count`` requests of ``workload`` back to back, timed as a whole."""
        return self.loop.run_until_complete(self._time(workload, count))

    async def _request(self, path: str, cookie: str | None) -> Response:
        messages: list[Message] = []

        async def send(message: Message) -> None:
            messages.append(message)

        await self.app(_scope(path, cookie), _Receive(), send)
        start = next(message for message in messages if message["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return Response(start["status"], body, _asgi_cookie(start["headers"]))

    async def _time(self, workload: Workload, count: int) -> Timing:
        app = self.app
        scope = _scope(workload.path, workload.cookie)
        starts: list[Message] = []
        feed_back = workload.feed_back
        failures = 0

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                starts.append(message)

        began = perf_counter()
        for _ in range(count):
            await app(dict(scope), _Receive(), send)
            start = starts.pop()
            if start["status"] != 200:
                failures += 1
            if feed_back and (cookie := _asgi_cookie(start["headers"])):
                workload.cookie = cookie
                scope = _scope(workload.path, cookie)
        return Timing(perf_counter() - began, count, failures)


# -- WSGI ----------------------------------------------------------------------------------

Headers = list[tuple[str, str]]
_EMPTY_INPUT = io.BytesIO(b"")


def _environ(path: str, cookie: str | None) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench.local",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "bench.local",
        "HTTP_USER_AGENT": "coatcheck-bench/1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": _EMPTY_INPUT,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if cookie is not None:
        environ["HTTP_COOKIE"] = _PREFIX + cookie
    return environ


def _write(data: bytes) -> None:
    raise RuntimeError("the benchmarked apps return their body; write() is not expected")


def _wsgi_cookie(headers: Headers) -> str | None:
    return _cookie_in(value for name, value in headers if name.lower() == "set-cookie")


def _drain(body: Iterable[bytes]) -> bytes:
    try:
        return b"".join(body)
    finally:
        close: Callable[[], None] | None = getattr(body, "close", None)
        if close is not None:
            close()


class WsgiDriver:
    """Runs requests through a WSGI ``app``, the way a single-threaded server would."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, path: str, cookie: str | None) -> Response:
        """One request."""
        started: list[tuple[str, Headers]] = []

        def start_response(status: str, headers: Headers, exc_info: object = None) -> Any:
            started.append((status, headers))
            return _write

        body = _drain(self.app(_environ(path, cookie), start_response))
        status, headers = started[-1]
        return Response(int(status.split(" ", 1)[0]), body, _wsgi_cookie(headers))

    def time(self, workload: Workload, count: int) -> Timing:
        """``count`` requests of ``workload`` back to back, timed as a whole."""
        app = self.app
        environ = _environ(workload.path, workload.cookie)
        started: list[tuple[str, Headers]] = []
        feed_back = workload.feed_back
        failures = 0

        def start_response(status: str, headers: Headers, exc_info: object = None) -> Any:
            started.append((status, headers))
            return _write

        began = perf_counter()
        for _ in range(count):
            _drain(app(dict(environ), start_response))
            status, headers = started.pop()
            if not status.startswith("200"):
                failures += 1
            if feed_back and (cookie := _wsgi_cookie(headers)):
                workload.cookie = cookie
                environ = _environ(workload.path, cookie)
        return Timing(perf_counter() - began, count, failures)


def driver_for(interface: Interface, app: Any, loop: asyncio.AbstractEventLoop) -> Driver:
    """The driver that calls ``app``."""
    return AsgiDriver(app, loop) if interface is Interface.ASGI else WsgiDriver(app)
