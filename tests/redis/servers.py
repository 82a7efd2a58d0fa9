"""Real redis-server processes for tests and benchmarks: standalone, TLS-only, a cluster.

Every server listens on 127.0.0.1 only, on a free port, in its own directory, with no
persistence (no RDB snapshots, no AOF). A server can be killed and started again on the
same port, which is what the fault tests do. Outside pytest, use them as context
managers::

    with RedisServer.standalone(Path("/tmp/x")) as server:
        store = RedisStore.from_url(server.url)

`CommandMonitor` records the commands clients send (with ``MONITOR``), which is how the
tests count round trips: unlike ``INFO commandstats`` it tells a client's command from
the commands a Lua script runs on the server.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from redis.client import Monitor, Redis

from tests.redis.certificates import TlsFiles, make_tls_files
from tests.support.binaries import require_binary
from tests.support.network import LOOPBACK, free_port, wait_for_port

__all__ = ["CommandMonitor", "RedisClusterServers", "RedisServer"]

_Monitor: Any = Monitor  # redis-py leaves Monitor unannotated

START_TIMEOUT = 15.0
"""Seconds a server (or a cluster) gets to become ready."""
CLUSTER_CREATE_OPTIONS = ("--cluster-replicas", "0", "--cluster-yes")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to kill the server if the test process dies without cleaning up."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL))


class RedisServer:
    """One ``redis-server`` process on a fixed loopback port, restartable on that port.

    ``tls`` makes it TLS-only (``--port 0``, ``--tls-port``); ``unix_socket`` adds a
    socket file in ``directory``; ``cluster`` enables cluster mode (with a bus port of
    its own, since ``port + 10000`` may not exist).
    """

    def __init__(
        self,
        directory: Path,
        *,
        tls: TlsFiles | None = None,
        unix_socket: bool = False,
        cluster: bool = False,
    ) -> None:
        self.binary = require_binary("redis-server")
        self.directory = directory
        self.port = free_port()
        self.tls = tls
        self.unix_socket = directory / "redis.sock" if unix_socket else None
        self.cluster_bus_port = free_port() if cluster else None
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    # -- factories -------------------------------------------------------------------------

    @classmethod
    def standalone(cls, directory: Path) -> RedisServer:
        """A plain server on TCP and a unix socket."""
        return cls(directory, unix_socket=True)

    @classmethod
    def tls_only(cls, directory: Path) -> RedisServer:
        """A server that speaks TLS only, with a CA and certificate made for it."""
        return cls(directory, tls=make_tls_files(directory))

    # -- addresses ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``redis://`` (or ``rediss://`` for a TLS server) URL of database 0."""
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{LOOPBACK}:{self.port}/0"

    @property
    def unix_url(self) -> str:
        """``unix://`` URL of the socket file."""
        assert self.unix_socket is not None, "started without unix_socket=True"
        return f"unix://{self.unix_socket}"

    @property
    def client_kwargs(self) -> dict[str, Any]:
        """What a redis-py client needs besides the URL (the CA for a TLS server)."""
        if self.tls is None:
            return {}
        return {"ssl_ca_certs": str(self.tls.ca_certificate)}

    def admin(self, **kwargs: Any) -> Redis:
        """A new sync client for inspecting the server (the caller closes it)."""
        options = {"socket_timeout": 5.0, "socket_connect_timeout": 5.0, **self.client_kwargs}
        return Redis.from_url(self.url, **options, **kwargs)

    # -- process control ----------------------------------------------------------------------

    def arguments(self) -> list[str]:
        """The command line: loopback only, no persistence, logs in ``directory``."""
        args = [
            self.binary,
            "--bind", LOOPBACK,
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "no",
        ]  # fmt: skip
        if self.tls is None:
            args += ["--port", str(self.port)]
        else:
            args += [
                "--port", "0",
                "--tls-port", str(self.port),
                "--tls-cert-file", str(self.tls.certificate),
                "--tls-key-file", str(self.tls.private_key),
                "--tls-ca-cert-file", str(self.tls.ca_certificate),
                "--tls-auth-clients", "no",
            ]  # fmt: skip
        if self.unix_socket is not None:
            args += ["--unixsocket", str(self.unix_socket), "--unixsocketperm", "700"]
        if self.cluster_bus_port is not None:
            args += [
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(self.directory / "nodes.conf"),
                "--cluster-node-timeout", "5000",
                "--cluster-port", str(self.cluster_bus_port),
            ]  # fmt: skip
        return args

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the server (again, on the same port) and wait until it answers PING."""
        if self.running:
            raise RuntimeError(f"redis-server on port {self.port} is already running")
        self.process = subprocess.Popen(
            self.arguments(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + START_TIMEOUT
        try:
            wait_for_port(self.port, timeout=START_TIMEOUT)
            with contextlib.closing(self.admin()) as client:
                while True:
                    try:
                        if client.ping():
                            return
                    except Exception:
                        if time.monotonic() > deadline or not self.running:
                            raise
                    time.sleep(0.02)
        except Exception:
            self.kill()
            raise RuntimeError(f"redis-server did not start:\n{self.log_tail()}") from None

    def kill(self) -> None:
        """SIGKILL the server (a crash: no goodbye to clients) and reap it."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP the server: connections stay open but nothing answers (a hung Redis)."""
        assert self.process is not None and self.running
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT a frozen server."""
        if self.process is not None and self.running:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server politely (SIGTERM), or kill it after a few seconds."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        self.thaw()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        """Kill and start again on the same port: all data and cached scripts are gone."""
        self.kill()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log file."""
        log = self.directory / "redis.log"
        if not log.exists():
            return "(no log file)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RedisServer({self.url})"


class RedisClusterServers:
    """A Redis Cluster of ``size`` masters (no replicas), made with ``redis-cli --cluster``."""

    def __init__(self, directory: Path, *, size: int = 3) -> None:
        self.redis_cli = require_binary("redis-cli")
        self.nodes = [
            RedisServer(directory / f"node{index}", cluster=True) for index in range(size)
        ]

    @property
    def url(self) -> str:
        """A ``redis://`` URL of one node (any node bootstraps a cluster client)."""
        return self.nodes[0].url

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """Host and port of every node."""
        return [(LOOPBACK, node.port) for node in self.nodes]

    def start(self) -> None:
        """Start the nodes, assign the 16384 slots among them, wait for ``cluster_state:ok``."""
        try:
            for node in self.nodes:
                node.start()
            addresses = [f"{LOOPBACK}:{node.port}" for node in self.nodes]
            subprocess.run(
                [self.redis_cli, "--cluster", "create", *addresses, *CLUSTER_CREATE_OPTIONS],
                check=True,
                capture_output=True,
                timeout=START_TIMEOUT,
            )
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        for node in self.nodes:
            with contextlib.closing(node.admin()) as client:
                while True:
                    info: dict[str, Any] = client.cluster("INFO")
                    fields = {name: str(value) for name, value in info.items()}
                    if (
                        fields.get("cluster_state") == "ok"
                        and fields.get("cluster_slots_assigned") == "16384"
                        and fields.get("cluster_known_nodes") == str(len(self.nodes))
                    ):
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the cluster is not ready: {fields}")
                    time.sleep(0.05)

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()

    def keys_per_node(self, pattern: str = "*") -> list[int]:
        """How many keys matching ``pattern`` each master holds."""
        counts = []
        for node in self.nodes:
            with contextlib.closing(node.admin()) as client:
                counts.append(sum(1 for _ in client.scan_iter(match=pattern, count=1000)))
        return counts

    def flush(self) -> None:
        """Remove every key from every node."""
        for node in self.nodes:
            with contextlib.closing(node.admin()) as client:
                client.flushall()

    def __enter__(self) -> RedisClusterServers:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class CommandMonitor:
    """Records the commands clients send to some servers, as seen by ``MONITOR``.

    Commands run by Lua scripts are left out: a script and everything it does is one
    round trip. `take` returns what was recorded since the last `take` (or the start);
    it knows it has seen everything when the marker it sends itself comes back.
    """

    def __init__(self, servers: Sequence[RedisServer]) -> None:
        self._clients = [server.admin() for server in servers]
        # Monitor is untyped in redis-py: handle it as Any.
        self._monitors: list[Any] = []
        for client in self._clients:
            monitor: Any = _Monitor(client.connection_pool)
            monitor.__enter__()
            self._monitors.append(monitor)
        # Connecting the clients that send the markers is itself traffic: absorb it now.
        self.take()

    def take(self) -> Counter[str]:
        """Commands (upper-case names) clients sent since the last call, with counts."""
        seen: Counter[str] = Counter()
        for client, monitor in zip(self._clients, self._monitors, strict=True):
            marker = f"coatcheck-monitor-marker-{uuid.uuid4().hex}"
            client.echo(marker)
            while True:
                entry = monitor.next_command()
                command: str = entry["command"]
                if marker in command:
                    break
                if entry["client_type"] != "lua":
                    seen[command.split(" ", 1)[0].upper()] += 1
        return seen

    def close(self) -> None:
        """Stop monitoring."""
        for monitor in self._monitors:
            monitor.__exit__(None, None, None)
        for client in self._clients:
            client.close()

    def __enter__(self) -> CommandMonitor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
