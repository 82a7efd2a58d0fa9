"""`AsgiDriver`: calls an ASGI app directly, with a prepared scope and collecting ``send``."""

from __future__ import annotations

import asyncio
from time import perf_counter
from typing import Any

from .response import Response
from .scenarios import COOKIE_NAME
from .workload import Timing, Workload

__all__ = ["AsgiDriver"]

Message = dict[str, Any]

_BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"host", b"bench.local"),
    (b"user-agent", b"coatcheck-bench/1"),
    (b"accept", b"*/*"),
)
_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}
_DISCONNECT: Message = {"type": "http.disconnect"}
_COOKIE_PREFIX = COOKIE_NAME.encode("ascii") + b"="


def _scope(path: str, cookie: str | None) -> dict[str, Any]:
    headers = list(_BASE_HEADERS)
    if cookie is not None:
        headers.append((b"cookie", _COOKIE_PREFIX + cookie.encode("latin-1")))
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


def _cookie_in(headers: list[tuple[bytes, bytes]]) -> str | None:
    found = None
    for name, value in headers:
        if name.lower() == b"set-cookie" and value.startswith(_COOKIE_PREFIX):
            found = value[len(_COOKIE_PREFIX) :].split(b";", 1)[0].decode("latin-1")
    return found


class AsgiDriver:
    """Runs requests through ``app`` on ``loop`` (one loop for every app of a run).

    The scope is shallow-copied per request, since apps add keys to it; everything
    else is prepared once, so the driver's own cost is the same small constant for
    every app and cancels out in the overhead over the bare app.
    """

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop

    def request(self, path: str, cookie: str | None) -> Response:
        """One request, returning everything the app answered."""
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
        body = b"".join(
            message.get("body", b"")
            for message in messages
            if message["type"] == "http.response.body"
        )
        headers = tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]
        )
        return Response(start["status"], headers, body)

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
            if feed_back:
                cookie = _cookie_in(start["headers"])
                if cookie:
                    workload.cookie = cookie
                    scope = _scope(workload.path, cookie)
        elapsed = perf_counter() - began
        return Timing(elapsed, count, failures)
