"""The bench's own redis-server: a free loopback port, no persistence, stopped at the end.

It also counts the commands the apps send, from ``INFO commandstats``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ADMIN_COMMANDS", "BenchRedis", "CommandLog", "redis_server"]

LOOPBACK = "127.0.0.1"

ADMIN_COMMANDS = frozenset(
    {"info", "config", "config|resetstat", "config|set", "config|get", "ping", "hello",
     "select", "client", "client|setinfo", "client|setname", "flushall", "flushdb",
     "command", "command|docs", "dbsize", "echo", "monitor"}
)  # fmt: skip
"""What the harness and the clients' connection handshakes send: not counted."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {process.returncode}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server did not listen on port {port}") from None
            time.sleep(0.02)


def _is_admin(command: str) -> bool:
    return command in ADMIN_COMMANDS or command.split("|", 1)[0] in ("client", "config")


@dataclass
class CommandLog:
    """The commands clients sent while a `BenchRedis.command_log` block ran.

    ``sent`` counts the commands clients sent themselves; ``scripted`` the commands Lua
    scripts ran on their behalf (``INFO commandstats`` counts both).
    """

    sent: Counter[str] = field(default_factory=Counter)
    scripted: Counter[str] = field(default_factory=Counter)


class BenchRedis:
    """A running bench redis-server: its URL and its command counters."""

    def __init__(self, port: int) -> None:
        import redis

        self.port = port
        self.url = f"redis://{LOOPBACK}:{port}/0"
        self._admin: Any = redis.Redis(host=LOOPBACK, port=port)

    def reset_stats(self) -> None:
        """Zero the command counters (``CONFIG RESETSTAT``)."""
        self._admin.config_resetstat()

    def command_calls(self) -> dict[str, int]:
        """Calls per command since the last reset, without the admin commands."""
        stats = self._admin.info("commandstats")
        calls: dict[str, int] = {}
        for name, fields in stats.items():
            command = name.removeprefix("cmdstat_").lower()
            if _is_admin(command):
                continue
            calls[command] = int(fields["calls"])
        return calls

    @contextlib.contextmanager
    def command_log(self, *, timeout: float = 30.0) -> Iterator[CommandLog]:
        """Record every command the server runs during the block (through ``MONITOR``).

        ``MONITOR`` tells the commands a client sent apart from those a Lua script ran,
        which ``INFO commandstats`` cannot; it slows the server, so never time with it.
        """
        import redis

        log = CommandLog()
        marker = f"coatcheck-bench-end-{uuid.uuid4().hex}"
        client: Any = redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=timeout)
        monitor = client.monitor()
        monitor.__enter__()

        def listen() -> None:
            while True:
                entry = monitor.next_command()
                text = str(entry["command"])
                name = text.split(" ", 1)[0].lower()
                if entry["client_type"] == "lua":
                    log.scripted[name] += 1
                elif name == "echo" and marker in text:
                    return
                elif not _is_admin(name):
                    log.sent[name] += 1

        listener = threading.Thread(target=listen, name="bench-redis-monitor", daemon=True)
        listener.start()
        try:
            yield log
        finally:
            self._admin.echo(marker)
            listener.join(timeout)
            monitor.__exit__(None, None, None)
            client.close()

    def key_count(self) -> int:
        """Keys in the database (``DBSIZE``)."""
        return int(self._admin.dbsize())

    def close(self) -> None:
        """Close the admin connection."""
        self._admin.close()


@contextlib.contextmanager
def redis_server(binary: str | None = None, *, timeout: float = 10.0) -> Iterator[BenchRedis]:
    """Start redis-server on a free loopback port (no RDB, no AOF), yield it, stop it."""
    path = binary or shutil.which("redis-server")
    if path is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="coatcheck-bench-redis-") as workdir:
        args = [path, "--port", str(port), "--bind", LOOPBACK, "--save", "",
                "--appendonly", "no", "--dir", workdir, "--loglevel", "warning"]  # fmt: skip
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server: BenchRedis | None = None
        try:
            _wait_for_port(port, process, timeout)
            server = BenchRedis(port)
            yield server
        finally:
            if server is not None:
                server.close()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            if process.stderr is not None:
                process.stderr.close()
