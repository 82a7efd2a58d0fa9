"""Real redis-server processes for tests and benchmarks: standalone, TLS-only, a cluster
(with or without replicas) and a primary with replicas watched by Sentinels.

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
from typing import Any, TypeVar

from redis.client import Monitor, Redis

from tests.redis.certificates import TlsFiles, make_tls_files
from tests.support.binaries import require_binary
from tests.support.network import LOOPBACK, free_port, wait_for_port

__all__ = [
    "CommandMonitor",
    "RedisClusterServers",
    "RedisSentinelGroup",
    "RedisServer",
    "SentinelServer",
]

_Monitor: Any = Monitor  # redis-py leaves Monitor unannotated

START_TIMEOUT = 15.0
"""Seconds a server (or a cluster) gets to become ready."""
MEET_AGAIN_AFTER = 2.0
"""Seconds a cluster node may go on missing some nodes before it is introduced again."""
CLUSTER_NODE_TIMEOUT_MS = 5000
"""``cluster-node-timeout`` unless a test asks for another (failover tests go faster)."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to kill the server if the test process dies without cleaning up."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL))


Started = TypeVar("Started", bound="Running")


class Running:
    """Something `start` starts and `stop` stops; as a context manager, for a block."""

    def start(self) -> None:
        """Start it (and wait until it is ready)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop it."""
        raise NotImplementedError

    def __enter__(self: Started) -> Started:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class RedisServer(Running):
    """One ``redis-server`` process on a fixed loopback port, restartable on that port.

    ``tls`` makes it TLS-only (``--port 0``, ``--tls-port``); ``unix_socket`` adds a
    socket file in ``directory``; ``cluster`` enables cluster mode (with a bus port of
    its own, since ``port + 10000`` may not exist), with ``node_timeout_ms`` and
    ``full_coverage`` (``cluster-require-full-coverage``); ``replica_of`` starts it as a
    replica of that server. Full syncs start at once (no diskless-sync delay), and a
    primary pings its replicas every second, so that replicas of an idle primary soon
    count as available (a cluster lists a replica in ``CLUSTER SLOTS`` only once its
    replication offset is not 0).
    """

    def __init__(
        self,
        directory: Path,
        *,
        tls: TlsFiles | None = None,
        unix_socket: bool = False,
        cluster: bool = False,
        node_timeout_ms: int = CLUSTER_NODE_TIMEOUT_MS,
        full_coverage: bool = True,
        replica_of: RedisServer | None = None,
    ) -> None:
        self.binary = require_binary("redis-server")
        self.directory = directory
        self.port = free_port()
        self.tls = tls
        self.unix_socket = directory / "redis.sock" if unix_socket else None
        self.cluster_bus_port = free_port() if cluster else None
        self.node_timeout_ms = node_timeout_ms
        self.full_coverage = full_coverage
        self.replica_of = replica_of
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
            "--repl-diskless-sync-delay", "0",
            "--repl-ping-replica-period", "1",
        ]  # fmt: skip
        if self.replica_of is not None:
            args += ["--replicaof", LOOPBACK, str(self.replica_of.port)]
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
                "--tls-replication", "yes",
            ]  # fmt: skip
        if self.unix_socket is not None:
            args += ["--unixsocket", str(self.unix_socket), "--unixsocketperm", "700"]
        if self.cluster_bus_port is not None:
            args += [
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(self.directory / "nodes.conf"),
                "--cluster-node-timeout", str(self.node_timeout_ms),
                "--cluster-port", str(self.cluster_bus_port),
                "--cluster-require-full-coverage", "yes" if self.full_coverage else "no",
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

    def info(self, section: str) -> dict[str, str]:
        """``INFO section`` as text fields (for roles and replication state)."""
        with contextlib.closing(self.admin()) as client:
            reply: dict[str, Any] = client.info(section)
        return {name: str(value) for name, value in reply.items()}

    def wait_until_synced(self, timeout: float = START_TIMEOUT) -> None:
        """Block until this replica's link to its primary is up (after a full sync) and the
        primary counts it online (which ``WAIT`` needs: after its first acknowledgement)."""
        deadline = time.monotonic() + timeout
        while not self._synced():
            if time.monotonic() > deadline:
                raise TimeoutError(f"replica on port {self.port} never synced:\n{self.log_tail()}")
            time.sleep(0.02)

    def _synced(self) -> bool:
        replication = self.info("replication")
        if replication.get("master_link_status") != "up":
            return False
        primary_port = int(replication["master_port"])
        tls = {"ssl": True, **self.client_kwargs} if self.tls is not None else {}
        admin = Redis(host=LOOPBACK, port=primary_port, socket_timeout=5.0, **tls)
        with contextlib.closing(admin):
            seen: dict[str, Any] = admin.info("replication")
        return any(
            isinstance(entry, dict)
            and int(entry.get("port", 0)) == self.port
            and entry.get("state") == "online"
            for entry in seen.values()
        )

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

    def __repr__(self) -> str:
        return f"RedisServer({self.url})"


class RedisClusterServers(Running):
    """A Redis Cluster of ``size`` primaries, each with ``replicas`` replicas, made with
    ``redis-cli --cluster create``.

    ``node_timeout_ms`` is how long a silent node takes to be marked failed (and its
    replica promoted); ``full_coverage`` is ``cluster-require-full-coverage``: with
    ``True`` (Redis's default) the whole cluster refuses commands while any slot has no
    live primary, with ``False`` only the keys of those slots fail.
    """

    def __init__(
        self,
        directory: Path,
        *,
        size: int = 3,
        replicas: int = 0,
        node_timeout_ms: int = CLUSTER_NODE_TIMEOUT_MS,
        full_coverage: bool = True,
    ) -> None:
        self.redis_cli = require_binary("redis-cli")
        self.size = size
        self.replicas = replicas
        self.nodes = [
            RedisServer(
                directory / f"node{index}",
                cluster=True,
                node_timeout_ms=node_timeout_ms,
                full_coverage=full_coverage,
            )
            for index in range(size * (1 + replicas))
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
        """Start the nodes, assign the 16384 slots, wait until every replica is in sync."""
        try:
            for node in self.nodes:
                node.start()
            addresses = [f"{LOOPBACK}:{node.port}" for node in self.nodes]
            options = ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
            subprocess.run(
                [self.redis_cli, "--cluster", "create", *addresses, *options],
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
                meet_again = time.monotonic() + MEET_AGAIN_AFTER
                while True:
                    info: dict[str, Any] = client.cluster("INFO")
                    fields = {name: str(value) for name, value in info.items()}
                    if (
                        fields.get("cluster_state") == "ok"
                        and fields.get("cluster_slots_assigned") == "16384"
                        and fields.get("cluster_known_nodes") == str(len(self.nodes))
                        and fields.get("cluster_size") == str(self.size)
                    ):
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"the cluster is not ready: {fields}\n{self._nodes_seen_by(client)}"
                        )
                    if time.monotonic() > meet_again:
                        self._meet_missing(client)
                        meet_again = time.monotonic() + MEET_AGAIN_AFTER
                    time.sleep(0.05)
        for replica in self.replica_nodes():
            replica.wait_until_synced(max(0.1, deadline - time.monotonic()))
        # Clients discover replicas through CLUSTER SLOTS: wait until every node lists them.
        for node in self.nodes:
            with contextlib.closing(node.admin()) as client:
                while True:
                    shards: Any = client.cluster("SLOTS")
                    if all(len(shard) == 3 + self.replicas for shard in shards):
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"replicas are not listed yet: {shards}")
                    time.sleep(0.05)

    def role(self, node: RedisServer) -> str:
        """``"master"`` or ``"slave"``, as the node itself says."""
        return node.info("replication")["role"]

    def primaries(self) -> list[RedisServer]:
        """The running nodes that are primaries now."""
        return [node for node in self.nodes if node.running and self.role(node) == "master"]

    @staticmethod
    def _nodes_seen_by(client: Redis) -> str:
        """``CLUSTER NODES`` as ``client``'s node sees the cluster (for error messages)."""
        admin: Any = client  # redis-py leaves execute_command unannotated
        raw: Any = admin.execute_command("CLUSTER NODES", NEVER_DECODE=[])
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def _meet_missing(self, client: Redis) -> None:
        """Introduce ``client``'s node again to every node it does not know.

        ``redis-cli --cluster create`` meets the nodes once. On a busy machine a handshake
        can time out, and the node is then dropped; gossip usually brings it back, but
        not always before the start timeout. ``CLUSTER MEET`` is harmless for known nodes.
        """
        # A line reads "<id> <ip>:<port>@<bus port> ...", or ":0@0" for a node it knows
        # by id only (still in handshake, or gone).
        addresses = [line.split()[1] for line in self._nodes_seen_by(client).splitlines()]
        known_ports = {address.split("@")[0].rsplit(":", 1)[1] for address in addresses}
        admin: Any = client
        for other in self.nodes:
            if str(other.port) not in known_ports and other.cluster_bus_port is not None:
                admin.execute_command(
                    "CLUSTER", "MEET", LOOPBACK, other.port, other.cluster_bus_port
                )

    def replica_nodes(self) -> list[RedisServer]:
        """The running nodes that are replicas now."""
        return [node for node in self.nodes if node.running and self.role(node) == "slave"]

    def replicas_of(self, primary: RedisServer) -> list[RedisServer]:
        """The running replicas of ``primary``."""
        return [
            node
            for node in self.replica_nodes()
            if node.info("replication").get("master_port") == str(primary.port)
        ]

    def holder(self, key: bytes | str) -> RedisServer:
        """The node that serves ``key``'s slot as primary, as a running node sees it."""
        for node in self.nodes:
            if not node.running:
                continue
            with contextlib.closing(node.admin()) as client:
                slot = int(client.cluster("KEYSLOT", key))
                shards: Any = client.cluster("SLOTS")
            for first, last, primary, *_ in shards:
                if int(first) <= slot <= int(last):
                    return next(server for server in self.nodes if server.port == primary[1])
        raise LookupError(f"no running node knows who serves {key!r}")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()

    def keys_per_node(self, pattern: str = "*") -> list[int]:
        """How many keys matching ``pattern`` each primary holds."""
        counts = []
        for node in self.primaries():
            with contextlib.closing(node.admin()) as client:
                counts.append(sum(1 for _ in client.scan_iter(match=pattern, count=1000)))
        return counts

    def flush(self) -> None:
        """Remove every key from every primary."""
        for node in self.primaries():
            with contextlib.closing(node.admin()) as client:
                client.flushall()


class SentinelServer(RedisServer):
    """A ``redis-server --sentinel`` watching ``primary`` as ``service_name``.

    ``down_after_ms`` is how long the primary must be silent to be judged down;
    ``quorum`` how many Sentinels must agree. The configuration file (which Sentinel
    rewrites as it learns) is written once, so a restarted Sentinel remembers.
    """

    def __init__(
        self,
        directory: Path,
        primary: RedisServer,
        *,
        service_name: str,
        quorum: int,
        down_after_ms: int,
        failover_timeout_ms: int,
        tls: TlsFiles | None = None,
    ) -> None:
        super().__init__(directory, tls=tls)
        self.config = directory / "sentinel.conf"
        self.settings = [
            f"sentinel monitor {service_name} {LOOPBACK} {primary.port} {quorum}",
            f"sentinel down-after-milliseconds {service_name} {down_after_ms}",
            f"sentinel failover-timeout {service_name} {failover_timeout_ms}",
            f"sentinel parallel-syncs {service_name} 2",
        ]

    def arguments(self) -> list[str]:
        """``redis-server sentinel.conf --sentinel``, on loopback, logging in its directory."""
        if not self.config.exists():
            self.config.write_text("\n".join(self.settings) + "\n")
        args = [
            self.binary, str(self.config), "--sentinel",
            "--bind", LOOPBACK,
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        if self.tls is None:
            return [*args, "--port", str(self.port)]
        return [
            *args,
            "--port", "0",
            "--tls-port", str(self.port),
            "--tls-cert-file", str(self.tls.certificate),
            "--tls-key-file", str(self.tls.private_key),
            "--tls-ca-cert-file", str(self.tls.ca_certificate),
            "--tls-auth-clients", "no",
            "--tls-replication", "yes",
        ]  # fmt: skip

    def primary_port(self, service_name: str) -> int | None:
        """The port this Sentinel currently gives for the primary (``None`` if unknown)."""
        with contextlib.closing(self.admin()) as client:
            address: Any = client.sentinel_get_master_addr_by_name(service_name)
        return int(address[1]) if address else None

    def __repr__(self) -> str:
        return f"SentinelServer({LOOPBACK}:{self.port})"


class RedisSentinelGroup(Running):
    """A primary, ``replicas`` replicas and ``sentinels`` Sentinels watching them.

    The Sentinels judge the primary down after ``down_after_ms`` of silence, agree by a
    majority, and promote the most up-to-date replica. (Keep it well above 1000 ms, the
    Sentinels' ping period: at 1000 ms they sometimes judged the just-promoted replica
    down as well, and failed over a second time.) `url` is the store's
    ``redis+sentinel://`` URL for the group. With ``tls``, every process speaks TLS only
    (to clients and to each other) and `url` is ``rediss+sentinel://``.
    """

    SERVICE_NAME = "sessions"

    def __init__(
        self,
        directory: Path,
        *,
        replicas: int = 2,
        sentinels: int = 3,
        down_after_ms: int = 2000,
        failover_timeout_ms: int = 5000,
        tls: bool = False,
    ) -> None:
        if tls:
            (directory / "tls").mkdir(parents=True, exist_ok=True)
        self.tls = make_tls_files(directory / "tls") if tls else None
        self.primary = RedisServer(directory / "server0", tls=self.tls)
        self.servers = [self.primary] + [
            RedisServer(directory / f"server{index + 1}", tls=self.tls, replica_of=self.primary)
            for index in range(replicas)
        ]
        self.sentinels = [
            SentinelServer(
                directory / f"sentinel{index}",
                self.primary,
                service_name=self.SERVICE_NAME,
                quorum=sentinels // 2 + 1,
                down_after_ms=down_after_ms,
                failover_timeout_ms=failover_timeout_ms,
                tls=self.tls,
            )
            for index in range(sentinels)
        ]

    @property
    def url(self) -> str:
        """``redis+sentinel://`` URL naming every Sentinel and the service, database 0."""
        hosts = ",".join(f"{LOOPBACK}:{sentinel.port}" for sentinel in self.sentinels)
        scheme = "redis" if self.tls is None else "rediss"
        return f"{scheme}+sentinel://{hosts}/{self.SERVICE_NAME}/0"

    @property
    def client_kwargs(self) -> dict[str, Any]:
        """What a store needs besides the URL (the CA, with TLS)."""
        return self.primary.client_kwargs

    def start(self) -> None:
        """Start the servers, then the Sentinels; wait until they all know each other."""
        try:
            for server in self.servers:
                server.start()
            for server in self.servers[1:]:
                server.wait_until_synced()
            for sentinel in self.sentinels:
                sentinel.start()
            self._wait_until_watching()
        except BaseException:
            self.stop()
            raise

    def _wait_until_watching(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        for sentinel in self.sentinels:
            with contextlib.closing(sentinel.admin()) as client:
                while True:
                    state: Any = client.sentinel_master(self.SERVICE_NAME)
                    if (
                        state.get("num-other-sentinels") == len(self.sentinels) - 1
                        and state.get("num-slaves") == len(self.servers) - 1
                    ):
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{sentinel} does not see the whole group: {state}")
                    time.sleep(0.05)

    def current_primary(self) -> RedisServer:
        """The server the first answering Sentinel names as primary."""
        for sentinel in self.sentinels:
            if not sentinel.running:
                continue
            port = sentinel.primary_port(self.SERVICE_NAME)
            for server in self.servers:
                if server.port == port:
                    return server
        raise LookupError("no Sentinel names a primary")

    def replica_servers(self) -> list[RedisServer]:
        """The running servers that are replicas now."""
        return [
            server
            for server in self.servers
            if server.running and server.info("replication")["role"] == "slave"
        ]

    def stop(self) -> None:
        """Stop the Sentinels first (so they start no failover), then the servers."""
        for sentinel in self.sentinels:
            sentinel.stop()
        for server in self.servers:
            server.stop()


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
