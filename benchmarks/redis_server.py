"""The bench's own redis-server, started with the test suite's launcher
(`tests.redis.servers.RedisServer`: a free loopback port, no persistence), and what the
bench adds: a replica (for ``min_replicas_ack``) and delay proxies (a slower network),
each started on first use, and counting the commands a request costs.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tests.redis.servers import CommandMonitor, RedisServer

__all__ = ["BenchRedis", "Commands", "redis_server"]

_ADMIN = frozenset({"INFO", "CONFIG", "PING", "HELLO", "SELECT", "CLIENT", "ECHO", "MONITOR",
                    "COMMAND", "REPLCONF", "PSYNC", "SYNC"})  # fmt: skip
"""What the harness, connection handshakes and a replica send: never counted."""


class Commands:
    """The Redis commands ``requests`` requests cost: those clients sent (``MONITOR``) and
    those the server ran (``INFO commandstats``, which includes what Lua scripts run)."""

    def __init__(self, sent: Counter[str], executed: Counter[str], requests: int) -> None:
        self.sent = sent
        self.scripted = executed - sent
        self.requests = requests
        self.server_samples: list[float] = []
        """The server's own time per request of each timed block, in microseconds (see
        `BenchRedis.timing`)."""
        self.idle_samples: list[float] = []
        """How long the client process sat idle per request in each timed block (its wall
        time less its CPU time), in microseconds: waiting for replies that were not there
        yet when it asked for them."""

    @property
    def server_micros(self) -> float | None:
        """The median of `server_samples` (``None`` before any)."""
        return statistics.median(self.server_samples) if self.server_samples else None

    @property
    def idle_micros(self) -> float | None:
        """The median of `idle_samples` (``None`` before any): a block in which the
        machine preempted the process weighs no more than any other."""
        return statistics.median(self.idle_samples) if self.idle_samples else None

    def _per_request(self, counts: Counter[str]) -> str:
        parts = []
        for name, count in sorted(counts.items()):
            share = count / self.requests
            parts.append(name if share == 1 else f"{share:g}\u00d7{name}")
        return " + ".join(parts)

    @property
    def sent_per_request(self) -> float:
        """Commands sent per request."""
        return sum(self.sent.values()) / self.requests

    @property
    def executed_per_request(self) -> float:
        """Commands run per request, with those run by scripts."""
        return (sum(self.sent.values()) + sum(self.scripted.values())) / self.requests

    def detail(self) -> str:
        """``EVALSHA + HGETALL [EXPIRE + HSET], 31 µs server, 40 µs idle``: sent, what
        scripts ran in brackets, and the server's time and the client's idle time per
        request once measured."""
        text = self._per_request(self.sent) or "none"
        if self.scripted:
            text += f" [{self._per_request(self.scripted)}]"
        server, idle = self.server_micros, self.idle_micros
        if server is not None and idle is not None and self.sent:
            text += f", {server:.0f} \u00b5s server, {idle:.0f} \u00b5s idle"
        return text


class BenchRedis:
    """A running bench redis-server: its URL, its command counts and its variants."""

    def __init__(self, server: RedisServer, directory: Path) -> None:
        self.server = server
        self.url = server.url
        self._directory = directory
        self._admin = server.admin()
        self._extras = contextlib.ExitStack()
        self._proxies: dict[float, int] = {}
        self._replica: RedisServer | None = None

    def url_with(self, *, rtt: float = 0.0, replica: bool = False) -> str:
        """This server's URL behind a proxy adding ``rtt`` seconds per round trip, and
        with a replica attached if ``replica`` (both started once, on first use)."""
        if replica and self._replica is None:
            self._replica = RedisServer(self._directory / "replica", replica_of=self.server)
            self._extras.enter_context(self._replica)
            self._replica.wait_until_synced()
        if rtt <= 0:
            return self.url
        if rtt not in self._proxies:
            from .delay_proxy import delay_proxy_process

            proxy = delay_proxy_process(self.server.port, rtt=rtt)
            self._proxies[rtt] = self._extras.enter_context(proxy)
        return f"redis://127.0.0.1:{self._proxies[rtt]}/0"

    def _executed(self) -> Counter[str]:
        calls: Counter[str] = Counter()
        for name, fields in self._admin.info("commandstats").items():
            command = name.removeprefix("cmdstat_").upper()
            if command.split("|", 1)[0] not in _ADMIN:
                calls[command] += int(fields["calls"])
        return calls

    @contextlib.contextmanager
    def counting(self, requests: int) -> Iterator[list[Commands]]:
        """Count the commands of the block, which makes ``requests`` requests; the list
        it yields holds the `Commands` afterwards. ``MONITOR`` slows the server: never
        time requests inside."""
        counted: list[Commands] = []
        with contextlib.closing(CommandMonitor([self.server])) as monitor:
            self._admin.config_resetstat()
            monitor.take()
            yield counted
            sent = Counter({n: c for n, c in monitor.take().items() if n not in _ADMIN})
        counted.append(Commands(sent, self._executed(), requests))

    @contextlib.contextmanager
    def timing(self, commands: Commands, requests: int) -> Iterator[None]:
        """Measure the block, which makes ``requests`` requests like those ``commands``
        counted, into one sample of each of its timings:

        - the server's own time per request: the ``INFO commandstats`` time of the
          commands the client sent (a script's time includes what it ran), in a block
          without ``MONITOR``, whose feed would bill every command a script runs to the
          script;
        - the client's idle time per request: its wall time less its CPU time. A reply
          that is not there yet when the client asks for it puts the process to sleep,
          and on a virtual machine waking it up costs more than the server's time itself.

        Time a pass as several short blocks: their medians shrug off a block in which
        the machine preempted the client or the server.
        """
        self._admin.config_resetstat()
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        stats = self._admin.info("commandstats")
        total = 0.0
        for name, count in commands.sent.items():
            fields = stats.get(f"cmdstat_{name.lower()}")
            if fields and int(fields["calls"]):
                # A command both sent and run by scripts: the sent share of its time (the
                # counting pass may have made more requests than this block).
                sent = count * requests / commands.requests
                total += float(fields["usec"]) * min(1.0, sent / int(fields["calls"]))
        commands.server_samples.append(total / requests)
        commands.idle_samples.append(max(0.0, wall - cpu) / requests * 1e6)

    def close(self) -> None:
        """Close the admin connection, stop the replica and the proxies."""
        self._admin.close()
        self._extras.close()


@contextlib.contextmanager
def redis_server() -> Iterator[BenchRedis | None]:
    """The bench's redis-server for the block, or ``None`` if it is not installed."""
    if shutil.which("redis-server") is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="coatcheck-bench-redis-") as name:
        directory = Path(name)
        with RedisServer(directory / "primary") as server:
            bench = BenchRedis(server, directory)
            try:
                yield bench
            finally:
                bench.close()
