"""The end-to-end run: each app served on 127.0.0.1 (uvicorn or gunicorn, one process
each), loaded by a bounded keep-alive generator, requests per second reported.

Every server is started up front and stays idle while the others are loaded, so the
runs can be interleaved in rounds like the in-process samples. The cookie is seeded
through the server's own create route; the write scenario sends the same cookie every
time (the generator does not feed cookies back), which changes nothing for the cost.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .app_spec import AppSpec, Interface, missing_modules
from .load import LOOPBACK, run_load
from .progress import progress as default_progress
from .scenarios import COOKIE_NAME, READ_KEY, Scenario, StateSize, state_for
from .serve import APP_VARIABLE, REDIS_VARIABLE, gunicorn_command

__all__ = ["EndToEndSettings", "ServedApp", "run_end_to_end"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class EndToEndSettings:
    """How long and how hard to load each app."""

    generator: str
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
        command = [sys.executable, "-m", "benchmarks.serve", "--app", spec.name,
                   "--port", str(port)]  # fmt: skip
        if redis_url is not None:
            command += ["--redis-url", redis_url]
    else:
        command = gunicorn_command(port)
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
    specs: Sequence[AppSpec],
    settings: EndToEndSettings,
    redis_url: str | None,
    *,
    progress: Callable[[str], None] = default_progress,
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
                     connections=settings.connections, generator=settings.generator)  # fmt: skip
        for round_index in range(settings.rounds):
            progress(f"  end-to-end round {round_index + 1}/{settings.rounds}")
            for scenario in settings.scenarios:
                shift = round_index % max(1, len(live))
                for app in live[shift:] + live[:shift]:
                    result = run_load(
                        app.port,
                        scenario.path(StateSize.SMALL),
                        app.cookie,
                        seconds=settings.seconds,
                        connections=settings.connections,
                        generator=settings.generator,
                    )
                    app.rates.setdefault(scenario, []).append(result.requests_per_second)
                    app.bad += result.bad
    return served
