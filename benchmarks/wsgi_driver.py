"""`WsgiDriver`: calls a WSGI app directly, with a prepared environ and collecting
``start_response``; the body is iterated and closed, as a server would."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import Any

from .response import Response
from .scenarios import COOKIE_NAME
from .workload import Timing, Workload

__all__ = ["WsgiDriver"]

Headers = list[tuple[str, str]]
_COOKIE_PREFIX = COOKIE_NAME + "="
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
        environ["HTTP_COOKIE"] = _COOKIE_PREFIX + cookie
    return environ


def _write(data: bytes) -> None:
    raise RuntimeError("the benchmarked apps return their body; write() is not expected")


def _cookie_in(headers: Headers) -> str | None:
    found = None
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith(_COOKIE_PREFIX):
            found = value[len(_COOKIE_PREFIX) :].split(";", 1)[0]
    return found


def _drain(body: Iterable[bytes]) -> bytes:
    try:
        return b"".join(body)
    finally:
        close: Callable[[], None] | None = getattr(body, "close", None)
        if close is not None:
            close()


class WsgiDriver:
    """Runs requests through ``app``, the way a single-threaded WSGI server would.

    The environ is copied per request (apps write into it); everything else is prepared
    once, so the driver's cost is a constant that cancels out in the overhead.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, path: str, cookie: str | None) -> Response:
        """One request, returning everything the app answered."""
        started: list[tuple[str, Headers]] = []

        def start_response(status: str, headers: Headers, exc_info: object = None) -> Any:
            started.append((status, headers))
            return _write

        body = _drain(self.app(_environ(path, cookie), start_response))
        status, headers = started[-1]
        return Response(int(status.split(" ", 1)[0]), tuple(headers), body)

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
            if feed_back:
                cookie = _cookie_in(headers)
                if cookie:
                    workload.cookie = cookie
                    environ = _environ(workload.path, cookie)
        elapsed = perf_counter() - began
        return Timing(elapsed, count, failures)
