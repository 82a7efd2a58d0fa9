"""`AsyncRedisStore`: the asyncio twin of `RedisStore`.

Three things only an event loop needs:

- **The deadline is exact.** Each command runs under a timeout of ``deadline`` seconds
  (`Watchdog`: one timer for all of a store's commands) and fails with
  `SessionStoreError` when it expires. Cancelling a command is safe on one
  connection (redis-py closes that connection), but not while a cluster client re-reads
  the cluster's layout: redis-py then closes every node's connections, and failures
  cascade to other requests. So the store runs a cluster client's layout reads in tasks
  of their own: a request whose deadline expires meanwhile stops waiting, and the read
  it started completes for the requests that come next.
- **No request closes the others' connections.** When a cluster node answers
  ``CLUSTERDOWN`` (a restarted node, a cluster that lost coverage), when a slot is not
  covered, or after a run of ``MOVED`` answers (a failover), redis-py's async cluster
  client "heals" by closing every connection of every node, under the feet of the
  commands in flight on them (``Connection closed by server``, ``'NoneType' object has no
  attribute 'writelines'``): one failover of one shard failed requests on all of them.
  During the store's own commands, that close only asks for the layout to be read again,
  which is what the healing needs. Both changes are made to the client instance the store
  is given (`harden_cluster_client`), and nothing else.
- **A cluster client is initialised once, before its first command**, behind a lock:
  redis-py 8.1's async cluster client fails some of the first commands it gets
  concurrently (``'NoneType' object has no attribute 'writelines'``). Call `initialize`
  on application startup to do it before serving.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from redis.asyncio.client import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError

from coatcheck import Delta, Forwarded, SessionInfo, SessionMeta, StoredState
from coatcheck.sansio import MAX_FORWARDS, subject_text

from ._clients import async_client
from ._commands import check_prefix, id_argument, renew_keys, revoke_keys, save_keys, write_answer
from ._index import clock, index_arguments, index_key, session_infos
from ._options import ACK_TIMEOUT, DEADLINE, StoreOptions
from ._record import (
    Forward,
    decode_record,
    is_successor_name,
    millis,
    renew_arguments,
    save_arguments,
    store_key,
    update_arguments,
)
from ._redis_store import is_wrong_type, layout_changed
from ._scripts import CAP, DELETE, LIST, RENEW, REVOKE, REVOKE_ALL, SAVE, UPDATE, LuaScript
from ._watchdog import Watchdog

__all__ = ["AsyncRedisStore", "harden_cluster_client"]

AsyncClient = Redis | RedisCluster
"""A client `AsyncRedisStore` accepts."""

T = TypeVar("T")

_HARDENED = "_coatcheck_hardened"
_IN_COMMAND: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "coatcheck_redis_in_command", default=False
)
"""True while a store command runs (in its task and the tasks it starts)."""


def _collect(task: asyncio.Future[Any]) -> None:
    """Retrieve a background task's outcome, so asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()


def harden_cluster_client(client: RedisCluster) -> None:
    """Make ``client`` safe for concurrent requests with deadlines (see the module).

    - ``initialize`` (redis-py reads the layout with it, and closes every node's
      connections if interrupted): each call runs in a task of its own that the caller
      waits for through ``asyncio.shield``, so a cancelled caller only stops waiting.
    - ``aclose``: called by redis-py itself during a store command, it only marks the
      layout for a new read instead of closing every connection; called by anyone else
      (the application, `AsyncRedisStore.aclose`), it closes the client as always.

    Only this instance changes; calling it again is harmless.
    """
    if getattr(client, _HARDENED, False):
        return
    original_initialize = client.initialize
    original_aclose = client.aclose

    async def initialize(*args: Any, **kwargs: Any) -> RedisCluster:
        task = asyncio.ensure_future(original_initialize(*args, **kwargs))
        task.add_done_callback(_collect)
        return await asyncio.shield(task)

    async def aclose() -> None:
        if _IN_COMMAND.get():
            # What redis-py's aclose() does for healing, minus closing live connections:
            # the next attempt re-reads the layout (and reconnects what moved).
            client._initialize = True
            return
        await original_aclose()

    client.initialize = initialize  # type: ignore[method-assign]
    client.aclose = aclose  # type: ignore[method-assign]
    setattr(client, _HARDENED, True)


class AsyncRedisStore:
    """A session store in Redis, for async applications (ASGI: Starlette, FastAPI, ...).

    ``client`` is a ``redis.asyncio.Redis`` (one server, or a
    ``redis.asyncio.sentinel.Sentinel(...).master_for(...)``) or a
    ``redis.asyncio.cluster.RedisCluster``. Everything else is as in `RedisStore`, with
    coroutine methods, and ``deadline`` holds exactly: no command keeps a request waiting
    longer. redis.asyncio runs on asyncio only (not trio), and a client belongs to the
    event loop it first ran on. It keeps the session index (`coatcheck.AsyncSessionIndex`)
    and forwarding records, as `RedisStore` does.
    """

    performs_io = True
    """Every command is a network round trip (adapters await it)."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        key_prefix: str = "session:",
        deadline: float = DEADLINE,
        min_replicas_ack: int = 0,
        ack_timeout: float = ACK_TIMEOUT,
    ) -> None:
        self.client = client
        self.key_prefix = key_prefix
        self.options = StoreOptions(deadline, min_replicas_ack, ack_timeout)
        self._prefix = key_prefix.encode("utf-8")
        self._cluster = isinstance(client, RedisCluster)
        check_prefix(key_prefix, self._cluster)
        if isinstance(client, RedisCluster):
            harden_cluster_client(client)
        self._ready = not self._cluster
        self._watchdog = Watchdog(self.options.deadline)
        self._opening: asyncio.Lock | None = None
        self._sentinels: list[Redis] = []
        # Typed here: redis-py leaves execute_command unannotated.
        self._execute_command: Callable[..., Any] = client.execute_command

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key_prefix: str = "session:",
        cluster: bool | None = None,
        deadline: float | None = None,
        min_replicas_ack: int | None = None,
        ack_timeout: float | None = None,
        read_from_replicas: bool | None = None,
        **kwargs: Any,
    ) -> AsyncRedisStore:
        """A store with its own client for ``url``; see `RedisStore.from_url`.

        No connection is made until `initialize` or the first command. Call `aclose`
        when done.
        """
        explicit = {
            "deadline": deadline,
            "min_replicas_ack": min_replicas_ack,
            "ack_timeout": ack_timeout,
            "read_from_replicas": read_from_replicas,
        }
        built = async_client(url, cluster, explicit, kwargs)
        store = cls(built.client, key_prefix=key_prefix, **dataclasses.asdict(built.options))
        store._sentinels = built.sentinels
        return store

    async def initialize(self) -> None:
        """Read a cluster's layout now, once (a no-op for other clients).

        The first command does it anyway; calling it on application startup (an ASGI
        lifespan handler) moves that round trip out of the first requests.
        """
        if self._ready:
            return
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if not self._ready:
                await self.client.initialize()
                self._ready = True

    async def _bounded(self, command: str, work: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``work(*args)`` within the deadline (after initialising the client, once)."""
        # Only a hardened cluster client reads the mark; others skip the contextvar.
        token = _IN_COMMAND.set(True) if self._cluster else None
        try:
            if self._ready:
                return await self._watchdog.run(work, *args)
            return await self._watchdog.run(self._initialized, work, *args)
        except TimeoutError:
            raise self.options.expired(command) from None
        finally:
            if token is not None:
                _IN_COMMAND.reset(token)

    async def _initialized(self, work: Callable[..., Awaitable[T]], *args: Any) -> T:
        await self.initialize()
        return await work(*args)

    async def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key`` (or, inside a renewal's grace window, its successor,
        with the sealed pointers followed); ``None`` if missing, expired or foreign."""
        return await self._bounded("load", self._load, store_key(self._prefix, key), now)

    async def _load(self, name: bytes, now: float) -> StoredState | None:
        chain: list[str] = []
        for _ in range(MAX_FORWARDS + 1):
            try:
                # Raw bytes whatever the client's decode_responses: the record decodes itself.
                fields = await self._execute_command("HGETALL", name, keys=[name], NEVER_DECODE=[])
            except ResponseError as error:
                if is_wrong_type(error):
                    return None
                raise
            record = decode_record(fields, now)
            if type(record) is StoredState:
                return record._replace(forward=tuple(chain)) if chain else record
            if type(record) is not Forward or not is_successor_name(name, record.successor):
                return None
            chain.append(record.forward)
            name = record.successor
        return None

    async def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        """Create the session under the fresh ``key`` unless it is taken (then false);
        with ``meta``, record it as a session of ``meta.subject`` and index it."""
        keys = save_keys(self._prefix, key, meta)
        created = await self._write("save", keys, SAVE, save_arguments(state, ttl, now, meta))
        return bool(created)

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Apply ``delta`` and move the expiry if the session exists; else false.
        Through a renewed key, the change goes to the successor (`Forwarded`)."""
        name = store_key(self._prefix, key)
        arguments = update_arguments(delta, ttl, now)
        return write_answer(await self._write("update", (name,), UPDATE, arguments))

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Move the expiry if the session exists; else false (`Forwarded` as `update`)."""
        name = store_key(self._prefix, key)
        arguments = update_arguments(None, ttl, now)
        return write_answer(await self._write("update_ttl", (name,), UPDATE, arguments))

    async def renew(
        self,
        key: str,
        new_key: str,
        state: Mapping[str, str],
        delta: Delta,
        *,
        ttl: int,
        now: float,
        grace: int,
        forward: str,
    ) -> bool | Forwarded:
        """Move the session to the fresh ``new_key`` (of the same family) with ``delta``
        applied; ``key`` forwards to it for ``grace`` seconds. One atomic round trip."""
        keys = renew_keys(self._prefix, key, new_key)
        arguments = renew_arguments(delta, ttl, now, grace, forward)
        return write_answer(await self._write("renew", keys, RENEW, arguments))

    async def delete(self, key: str) -> None:
        """Remove the session (a missing one is fine); through a renewed key, the
        successor too."""
        await self._write("delete", (store_key(self._prefix, key),), DELETE, [])

    # -- the session index ----------------------------------------------------------------

    async def list_sessions(
        self, subject: str | int, *, now: float | None = None
    ) -> list[SessionInfo]:
        """The subject's live sessions, most recently active first (one round trip)."""
        text = subject_text(subject)
        arguments = index_arguments(text, millis(clock(now)))
        keys = (index_key(self._prefix, text),)
        reply = await self._bounded("list_sessions", self._run, LIST, keys, arguments)
        return session_infos(text, reply)

    async def count_sessions(self, subject: str | int, *, now: float | None = None) -> int:
        """How many live sessions the subject has (one round trip)."""
        text = subject_text(subject)
        arguments = index_arguments(text, millis(clock(now)), b"count")
        keys = (index_key(self._prefix, text),)
        return int(await self._bounded("count_sessions", self._run, LIST, keys, arguments))

    async def revoke(
        self, subject: str | int, session_id: str, *, now: float | None = None
    ) -> bool:
        """End that session of the subject; false (and nothing ends) if it is not a live
        one of theirs."""
        text = subject_text(subject)
        keys = revoke_keys(self._prefix, text, session_id)
        if keys is None:
            return False
        arguments = index_arguments(text, millis(clock(now)))
        return bool(await self._write("revoke", keys, REVOKE, arguments))

    async def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> int:
        """End every session of the subject but ``keep`` (a session id); how many ended."""
        text = subject_text(subject)
        arguments = index_arguments(text, millis(clock(now)), id_argument(keep))
        keys = (index_key(self._prefix, text),)
        return int(await self._write("revoke_all", keys, REVOKE_ALL, arguments))

    async def cap(self, subject: str, keep: str, limit: int, *, now: float) -> int:
        """End the least recently active sessions of ``subject`` but ``keep`` (an id)
        until at most ``limit`` remain; how many ended."""
        arguments = index_arguments(subject, millis(now), id_argument(keep), limit)
        keys = (index_key(self._prefix, subject),)
        return int(await self._write("cap", keys, CAP, arguments))

    # -- writing ------------------------------------------------------------------------

    async def _write(
        self, command: str, keys: tuple[bytes, ...], script: LuaScript, arguments: list[Any]
    ) -> Any:
        """Run ``script`` on ``keys`` (one slot) within the deadline, confirmed by
        replicas if asked."""
        if not self.options.waits:
            work = self._run
        elif self._cluster:
            work = self._run_on_cluster_and_wait
        else:
            work = self._run_and_wait
        return await self._bounded(command, work, script, keys, arguments)

    async def _run(self, script: LuaScript, keys: tuple[bytes, ...], arguments: list[Any]) -> Any:
        """One round trip, unless Redis lost the script (then it is sent whole, once)."""
        try:
            return await self._execute_command("EVALSHA", script.sha, len(keys), *keys, *arguments)
        except NoScriptError:
            # Redis restarted, failed over or flushed its scripts: EVAL runs the script
            # wherever the key now lives, and caches it there for the next EVALSHA.
            return await self._execute_command("EVAL", script.text, len(keys), *keys, *arguments)

    async def _run_and_wait(
        self, script: LuaScript, keys: tuple[bytes, ...], arguments: list[Any]
    ) -> Any:
        """The write and its ``WAIT``, pipelined on one connection: one round trip."""
        command = ("EVALSHA", script.sha, len(keys), *keys)
        result, replicas = await self._pipelined(command, arguments)
        if isinstance(result, NoScriptError):
            command = ("EVAL", script.text, len(keys), *keys)
            result, replicas = await self._pipelined(command, arguments)
        for outcome in (result, replicas):
            if isinstance(outcome, Exception):
                raise outcome
        self.options.check_acknowledged(replicas)
        return result

    async def _pipelined(self, command: tuple[Any, ...], arguments: list[Any]) -> list[Any]:
        """``command`` with ``arguments``, then ``WAIT``, in one pipeline (no transaction)."""
        client: Any = self.client
        pipeline = client.pipeline(transaction=False)
        pipeline.execute_command(*command, *arguments)
        pipeline.execute_command(*self.options.wait_arguments)
        replies: list[Any] = await pipeline.execute(raise_on_error=False)
        return replies

    async def _run_on_cluster_and_wait(
        self, script: LuaScript, keys: tuple[bytes, ...], arguments: list[Any]
    ) -> Any:
        """The write, then ``WAIT`` on the node that holds the keys (as `RedisStore`)."""
        cluster: Any = self.client
        before = cluster.get_node_from_key(keys[0])
        result = await self._run(script, keys, arguments)
        node = cluster.get_node_from_key(keys[0])
        if node.name != before.name:
            raise layout_changed()
        replicas = await self._execute_command(*self.options.wait_arguments, target_nodes=node)
        self.options.check_acknowledged(replicas)
        return result

    async def aclose(self) -> None:
        """Close the client's connections (and the Sentinels' for stores made by `from_url`)."""
        await self.client.aclose()
        for sentinel in self._sentinels:
            await sentinel.aclose()
        self._ready = not self._cluster

    def __repr__(self) -> str:
        return f"AsyncRedisStore({type(self.client).__name__}, key_prefix={self.key_prefix!r})"
