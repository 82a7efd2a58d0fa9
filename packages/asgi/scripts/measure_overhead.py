"""Per-request overhead of coatcheck-asgi vs Starlette's SessionMiddleware, in-process.

    python packages/asgi/scripts/measure_overhead.py [--requests 4000] [--rounds 9]

Every app is the same Starlette app (three routes) called directly with a prepared scope:
bare (no session middleware: the floor), Starlette's ``SessionMiddleware`` and
coatcheck's with the cookie and memory stores. Scenarios: *untouched* (a valid session
cookie is sent, the handler ignores the session), *read* (reads one key), *write* (changes
one key). Overhead is the median time per request minus the bare app's; the ratio is ours
over Starlette's. Apps are interleaved round by round so machine drift hits all alike.
This is a developer's measuring stick, not a test; ``nox -s bench`` is the full harness.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as StarletteSessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from coatcheck import CookieStore, Key, MemoryStore, SessionConfig
from coatcheck_asgi import SessionMiddleware
from coatcheck_asgi.testing import session_cookie

STATE = {"user": "ada", "n": 1, "roles": ["admin"]}
SCENARIOS = ("untouched", "read", "write")
_counter = itertools.count()


async def untouched(request: Request) -> PlainTextResponse:
    """Ignore the session."""
    return PlainTextResponse("ok")


def _session(request: Request) -> dict[str, Any]:
    # The bare app has no session middleware: the same work on a plain dict.
    return request.session if "session" in request.scope else dict(STATE)


async def read(request: Request) -> PlainTextResponse:
    """Read one key."""
    return PlainTextResponse(str(_session(request).get("user")))


async def write(request: Request) -> PlainTextResponse:
    """Change one key (to a new value every time)."""
    _session(request)["n"] = next(_counter)
    return PlainTextResponse("ok")


def build_app(middleware: list[Middleware]) -> Starlette:
    """The measured app, with the given middleware."""
    routes = [Route("/untouched", untouched), Route("/read", read), Route("/write", write)]
    return Starlette(routes=routes, middleware=middleware)


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Any) -> None:
    return None


def starlette_cookie() -> bytes:
    """A Starlette session cookie holding STATE, made by the app itself."""
    holder: list[bytes] = []

    async def capture(message: Any) -> None:
        for name, value in message.get("headers", ()):
            if name == b"set-cookie":
                holder.append(value.split(b";", 1)[0])

    async def seed(scope: Any, receive: Any, send: Any) -> None:
        scope["session"].update(STATE)
        await PlainTextResponse("ok")(scope, receive, send)

    seeded = StarletteSessionMiddleware(seed, secret_key="x" * 32)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    asyncio.run(seeded(scope, _receive, capture))
    assert holder
    return holder[0]


def make_variants() -> dict[str, tuple[Starlette, bytes]]:
    """Each variant's app and the Cookie header value it is sent."""
    key = Key.generate()
    config = SessionConfig(cookie_secure=False)
    variants: dict[str, tuple[Starlette, bytes]] = {}
    bare = build_app([])
    variants["bare"] = (bare, b"")
    starlette = build_app([Middleware(StarletteSessionMiddleware, secret_key="x" * 32)])
    variants["starlette"] = (starlette, starlette_cookie())
    for name, store in (("coatcheck-cookie", CookieStore()), ("coatcheck-memory", MemoryStore())):
        app = build_app([Middleware(SessionMiddleware, store=store, key=key, config=config)])
        cookie_name, value = session_cookie(app, STATE)
        variants[name] = (app, f"{cookie_name}={value}".encode())
    # Both sessions are valid: the bare app gets the same header as ours to parse nothing.
    variants["bare"] = (bare, variants["coatcheck-cookie"][1])
    return variants


async def time_requests(app: Starlette, path: str, cookie: bytes, count: int) -> float:
    """Seconds per request, over ``count`` requests."""
    base = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    # CPU time of this process: on a shared, busy machine it leaves out the time spent
    # waiting for a core, which wall-clock time would charge to whichever app was running.
    clock: Callable[[], float] = time.process_time
    started = clock()
    for _ in range(count):
        await app(dict(base), _receive, _send)
    return (clock() - started) / count


async def measure(
    variants: dict[str, tuple[Starlette, bytes]], count: int, rounds: int
) -> dict[tuple[str, str], float]:
    """Median seconds per request for every (variant, scenario)."""
    samples: dict[tuple[str, str], list[float]] = {}
    for app, cookie in variants.values():
        for scenario in SCENARIOS:  # warm-up
            await time_requests(app, "/" + scenario, cookie, count // 10)
    for _ in range(rounds):
        for scenario in SCENARIOS:
            for variant, (app, cookie) in variants.items():
                seconds = await time_requests(app, "/" + scenario, cookie, count)
                samples.setdefault((variant, scenario), []).append(seconds)
    return {key: statistics.median(values) for key, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    """Measure and print a table of overheads and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    medians = asyncio.run(measure(make_variants(), args.requests, args.rounds))
    out = sys.stdout.write
    out(f"{'app':<18} {'scenario':<10} {'total µs':>9} {'overhead µs':>12} {'ratio':>6}\n")
    for scenario in SCENARIOS:
        floor = medians[("bare", scenario)]
        reference = medians[("starlette", scenario)] - floor
        for variant in ("bare", "starlette", "coatcheck-cookie", "coatcheck-memory"):
            total = medians[(variant, scenario)]
            overhead = total - floor
            ratio = overhead / reference if variant != "bare" else 0.0
            out(
                f"{variant:<18} {scenario:<10} {total * 1e6:>9.2f} {overhead * 1e6:>12.2f} "
                f"{ratio:>6.2f}\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
