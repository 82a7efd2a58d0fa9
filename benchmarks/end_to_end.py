"""The end-to-end run: each app served on 127.0.0.1 (uvicorn or gunicorn, one process
each), loaded by ``wrk`` with keep-alive connections, requests per second reported.

Every server is started up front and stays idle while the others are loaded, so the
runs can be interleaved in rounds like the in-process samples. The cookie is seeded
through the server's own create route; the write scenario sends the same cookie every
time (wrk does not feed cookies back), which changes nothing for the cost.

The servers are this module run as a program (ASGI apps, under uvicorn: one process,
uvloop and httptools when installed, as in production)::

    python -m benchmarks.end_to_end --app coatcheck-asgi-cookie --port 8001

and gunicorn (WSGI apps: one process, the ``gthread`` worker for keep-alive), which
builds the app named by the environment through `wsgi_app`::

    BENCH_APP=flask-session python -m gunicorn 'benchmarks.end_to_end:wsgi_app()' ...
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .app_spec import AppSpec, BuildContext, Interface, app_named, missing_modules
from .scenarios import COOKIE_NAME, READ_KEY, Scenario, StateSize, state_for

__all__ = ["EndToEndSettings", "LoadResult", "ServedApp", "main", "run_end_to_end", "wsgi_app"]

logger = logging.getLogger("benchmarks")
ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
APP_VARIABLE = "BENCH_APP"
REDIS_VARIABLE = "BENCH_REDIS_URL"


@dataclass(frozen=True)
class EndToEndSettings:
    """How long and how hard to load each app."""

    seconds: int = 2
    rounds: int = 2
    connections: int = 16
    warmup_seconds: int = 1
    scenarios: tuple[Scenario, ...] = (Scenario.UNTOUCHED, Scenario.READ, Scenario.WRITE)


@dataclass
class ServedApp:
    """One served app: where it listens and what it achieved."""

    spec: AppSpec
    port: int = 0
    cookie: str | None = None
    note: str | None = None
    rates: dict[Scenario, list[float]] = field(default_factory=dict)
    """Requests per second, one value per round."""
    bad: int = 0
    """Non-2xx responses and socket errors over every run."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str, cookie: str | None) -> tuple[int, str | None, bytes]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        found = None
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith(COOKIE_NAME + "="):
                found = value.split(";", 1)[0]
        return response.status, found, body
    finally:
        connection.close()


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _tail(log: IO[bytes]) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-600:].strip()


@contextmanager
def _serving(spec: AppSpec, port: int, redis_url: str | None) -> Iterator[str | None]:
    """Serve ``spec`` on ``port``; yields ``None``, or why it did not start."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", APP_VARIABLE: spec.name}
    if redis_url is not None:
        env[REDIS_VARIABLE] = redis_url
    if spec.interface is Interface.ASGI:
        command = [sys.executable, "-m", "benchmarks.end_to_end", "--app", spec.name,
                   "--port", str(port)]  # fmt: skip
        if redis_url is not None:
            command += ["--redis-url", redis_url]
    else:
        command = [
            sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread",
            "--threads", "2", "--keep-alive", "30", "--bind", f"{LOOPBACK}:{port}",
            "--log-level", "warning", "benchmarks.end_to_end:wsgi_app()",
        ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            if _wait_until_listening(port, process, timeout=30):
                yield None
            else:
                yield f"server did not start: {_tail(log) or 'no output'}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _seed(served: ServedApp) -> None:
    if served.spec.is_floor:
        return
    status, cookie, _ = _get(served.port, Scenario.CREATE.path(StateSize.SMALL), None)
    if status != 200 or cookie is None:
        served.note = f"create answered {status} without a session cookie"
        return
    status, _, body = _get(served.port, Scenario.READ.path(StateSize.SMALL), cookie)
    if status != 200 or body != str(state_for(StateSize.SMALL)[READ_KEY]).encode():
        served.note = f"read answered {status} {body[:80]!r}"
        return
    served.cookie = cookie


def run_end_to_end(
    specs: Sequence[AppSpec], settings: EndToEndSettings, redis_url: str | None
) -> list[ServedApp]:
    """Serve every app in ``specs`` and load each scenario, interleaved in rounds."""
    served = [ServedApp(spec) for spec in specs]
    with ExitStack() as stack:
        for app in served:
            server = "uvicorn" if app.spec.interface is Interface.ASGI else "gunicorn"
            missing = missing_modules(app.spec)
            if importlib.util.find_spec(server) is None:
                missing.append(server)
            if missing:
                app.note = f"not installed: {', '.join(missing)}"
                continue
            if app.spec.uses_redis and redis_url is None:
                app.note = "no redis-server binary"
                continue
            app.port = _free_port()
            app.note = stack.enter_context(_serving(app.spec, app.port, redis_url))
        live = []
        for app in served:
            if app.note is None:
                _seed(app)
            if app.note is None:
                live.append(app)
        for app in live if settings.warmup_seconds > 0 else ():
            path = settings.scenarios[0].path(StateSize.SMALL)
            run_load(app.port, path, app.cookie, seconds=settings.warmup_seconds,
                     connections=settings.connections)  # fmt: skip
        for round_index in range(settings.rounds):
            logger.info(f"  end-to-end round {round_index + 1}/{settings.rounds}")
            for scenario in settings.scenarios:
                shift = round_index % max(1, len(live))
                for app in live[shift:] + live[:shift]:
                    result = run_load(
                        app.port,
                        scenario.path(StateSize.SMALL),
                        app.cookie,
                        seconds=settings.seconds,
                        connections=settings.connections,
                    )
                    app.rates.setdefault(scenario, []).append(result.requests_per_second)
                    app.bad += result.bad
    return served


# -- the load generator -------------------------------------------------------------------

_REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_TOTAL = re.compile(r"(\d+) requests in")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class LoadResult:
    """Throughput of one load run."""

    requests_per_second: float
    requests: int
    bad: int
    """Responses that were not 2xx/3xx, plus socket errors."""


def run_load(
    port: int, path: str, cookie: str | None, *, seconds: int, connections: int
) -> LoadResult:
    """``wrk`` on ``http://127.0.0.1:{port}{path}`` for ``seconds`` with ``connections``."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    if cookie is not None:
        args += ["-H", f"Cookie: {cookie}"]
    args.append(f"http://{LOOPBACK}:{port}{path}")
    completed = subprocess.run(
        args, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    output = completed.stdout
    rate = _REQUESTS_PER_SECOND.search(output)
    total = _TOTAL.search(output)
    if rate is None or total is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}\n{completed.stderr}")
    bad = 0
    if (non_2xx := _NON_2XX.search(output)) is not None:
        bad += int(non_2xx.group(1))
    if (errors := _ERRORS.search(output)) is not None:
        bad += sum(int(group) for group in errors.groups())
    return LoadResult(float(rate.group(1)), int(total.group(1)), bad)


# -- the servers ----------------------------------------------------------------------------


def wsgi_app() -> Any:
    """Gunicorn's app factory: the WSGI app named by ``BENCH_APP``."""
    spec = app_named(os.environ[APP_VARIABLE])
    return spec.build(BuildContext(redis_url=os.environ.get(REDIS_VARIABLE)))


def main(argv: list[str] | None = None) -> int:
    """Serve an ASGI app with uvicorn until terminated."""
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve one benchmarked ASGI app.")
    parser.add_argument("--app", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url")
    args = parser.parse_args(argv)
    spec = app_named(args.app)
    if spec.interface is not Interface.ASGI:
        raise SystemExit(f"{spec.name} is a WSGI app: it is served by gunicorn")
    app = spec.build(BuildContext(redis_url=args.redis_url))
    uvicorn.run(
        app, host=LOOPBACK, port=args.port, log_level="warning", access_log=False, lifespan="off"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
