"""`RedisStore`: the synchronous Redis session store (one server, Sentinel or Cluster)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from redis.client import Redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError

from coatcheck import Delta, Forwarded, SessionInfo, SessionMeta, SessionStoreError, StoredState
from coatcheck.sansio import MAX_FORWARDS, subject_text

from ._clients import sync_client
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
from ._scripts import CAP, DELETE, LIST, RENEW, REVOKE, REVOKE_ALL, SAVE, UPDATE, LuaScript

__all__ = ["RedisStore", "close_client", "is_wrong_type", "layout_changed"]

SyncClient = Redis | RedisCluster
"""A client `RedisStore` accepts."""


def is_wrong_type(error: ResponseError) -> bool:
    """True if Redis refused a command because the key holds another type (bad data)."""
    return str(error).startswith("WRONGTYPE")


def layout_changed() -> SessionStoreError:
    """The error for a cluster write whose node changed before ``WAIT`` could confirm it."""
    return SessionStoreError(
        "the cluster's layout changed during the write, so it cannot be confirmed "
        "(min_replicas_ack): the request fails rather than claim a write that may be lost"
    )


def close_client(client: SyncClient) -> None:
    """Close ``client`` and every connection it holds.

    ``RedisCluster.close`` (redis-py 5 to 8) leaves the nodes' pooled sockets open until
    garbage collection, so their pools are disconnected here explicitly.
    """
    if isinstance(client, RedisCluster):
        nodes = client.get_nodes()  # type: ignore[no-untyped-call]
        client.close()
        for node in nodes:
            if node.redis_connection is not None:
                node.redis_connection.connection_pool.disconnect()
    else:
        client.close()


class RedisStore:
    """A session store in Redis, for sync applications (WSGI, Flask).

    ``client`` is a ``redis.Redis`` (one server, or ``Sentinel(...).master_for(...)``) or
    a ``redis.cluster.RedisCluster``; build one with `from_url` to get timeouts and retries
    suited to a session store. Each session is a hash under ``key_prefix`` + its family's
    hash tag + its public `coatcheck.session_id` (never the key itself), expiring with the
    session. Every method is one round trip; `update` writes only the delta, so
    concurrent requests that change different keys of one session both keep their
    change.

    It keeps the session index (`coatcheck.SessionIndex`: ``list_sessions``, ``revoke``,
    ``revoke_all``, ``count_sessions``; one round trip each, however many sessions the
    subject has, their ``now`` defaulting to the wall clock) and forwarding records for
    renewals with a grace window (`renew`). A ``key_prefix`` on Redis Cluster may not hold
    braces: the store places its own hash tag.

    ``deadline`` bounds each command in seconds: the store starts no further round trip
    (a script reload, a ``WAIT``) once it has passed, and `from_url` cuts the client's
    socket timeouts from it; a client you built yourself needs timeouts that fit it. With
    ``min_replicas_ack=n``, a write counts as done only once ``n`` replicas confirmed it
    within ``ack_timeout`` seconds (``WAIT``, pipelined with the write on one server or
    Sentinel, one more round trip on a cluster); otherwise it raises `SessionStoreError`
    and the request gets a 500 instead of a success that a failover could undo.

    The client is used as given (pool, TLS, credentials); with or without
    ``decode_responses`` makes no difference, since the store reads replies as bytes.
    `close` closes it.
    """

    performs_io = True
    """Every command is a network round trip (adapters load it up front or off-loop)."""

    def __init__(
        self,
        client: SyncClient,
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
    ) -> RedisStore:
        """A store with its own client for ``url``.

        ``redis://host:port/db``, ``rediss://`` (TLS; pass ``ssl_ca_certs=`` and friends),
        ``unix:///path/to/redis.sock``; ``redis+cluster://`` or ``rediss+cluster://`` (or
        ``cluster=True``) for Redis Cluster; ``redis+sentinel://host:port,host:port/
        service_name/db`` (``rediss+sentinel://`` over TLS) for the primary a group of
        Sentinels monitors (``sentinel_kwargs=`` for the Sentinels' own connections).
        ``deadline`` (default `DEADLINE`), ``min_replicas_ack``, ``ack_timeout`` and, for a
        cluster, ``read_from_replicas`` may also come from the URL's query string.
        ``kwargs`` go to redis-py and override the defaults derived from the deadline.
        Call `close` when done.
        """
        explicit = {
            "deadline": deadline,
            "min_replicas_ack": min_replicas_ack,
            "ack_timeout": ack_timeout,
            "read_from_replicas": read_from_replicas,
        }
        built = sync_client(url, cluster, explicit, kwargs)
        try:
            store = cls(built.client, key_prefix=key_prefix, **dataclasses.asdict(built.options))
        except ValueError:  # a key_prefix the client's kind refuses: close what was opened
            close_client(built.client)
            raise
        store._sentinels = built.sentinels
        return store

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key`` (or, inside a renewal's grace window, its successor,
        with the sealed pointers followed); ``None`` if missing, expired or foreign."""
        name = store_key(self._prefix, key)
        chain: list[str] = []
        for _ in range(MAX_FORWARDS + 1):
            try:
                # Raw bytes whatever the client's decode_responses: the record decodes itself.
                fields = self._execute_command("HGETALL", name, keys=[name], NEVER_DECODE=[])
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

    def save(
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
        created = self._write(keys, SAVE, save_arguments(state, ttl, now, meta))
        return bool(created)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        """Apply ``delta`` and move the expiry if the session exists; else false.
        Through a renewed key, the change goes to the successor (`Forwarded`)."""
        name = store_key(self._prefix, key)
        return write_answer(self._write((name,), UPDATE, update_arguments(delta, ttl, now)))

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        """Move the expiry if the session exists; else false (`Forwarded` as `update`)."""
        name = store_key(self._prefix, key)
        return write_answer(self._write((name,), UPDATE, update_arguments(None, ttl, now)))

    def renew(
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
        return write_answer(self._write(keys, RENEW, arguments))

    def delete(self, key: str) -> None:
        """Remove the session (a missing one is fine); through a renewed key, the
        successor too."""
        self._write((store_key(self._prefix, key),), DELETE, [])

    # -- the session index ----------------------------------------------------------------

    def list_sessions(self, subject: str | int, *, now: float | None = None) -> list[SessionInfo]:
        """The subject's live sessions, most recently active first (one round trip)."""
        text = subject_text(subject)
        arguments = index_arguments(text, millis(clock(now)))
        started = time.monotonic()
        reply = self._run(LIST, (index_key(self._prefix, text),), arguments, started)
        return session_infos(text, reply)

    def count_sessions(self, subject: str | int, *, now: float | None = None) -> int:
        """How many live sessions the subject has (one round trip)."""
        text = subject_text(subject)
        arguments = index_arguments(text, millis(clock(now)), b"count")
        started = time.monotonic()
        return int(self._run(LIST, (index_key(self._prefix, text),), arguments, started))

    def revoke(self, subject: str | int, session_id: str, *, now: float | None = None) -> bool:
        """End that session of the subject; false (and nothing ends) if it is not a live
        one of theirs."""
        text = subject_text(subject)
        keys = revoke_keys(self._prefix, text, session_id)
        if keys is None:
            return False
        return bool(self._write(keys, REVOKE, index_arguments(text, millis(clock(now)))))

    def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> int:
        """End every session of the subject but ``keep`` (a session id); how many ended."""
        text = subject_text(subject)
        arguments = index_arguments(text, millis(clock(now)), id_argument(keep))
        return int(self._write((index_key(self._prefix, text),), REVOKE_ALL, arguments))

    def cap(self, subject: str, keep: str, limit: int, *, now: float) -> int:
        """End the least recently active sessions of ``subject`` but ``keep`` (an id)
        until at most ``limit`` remain; how many ended."""
        arguments = index_arguments(subject, millis(now), id_argument(keep), limit)
        return int(self._write((index_key(self._prefix, subject),), CAP, arguments))

    # -- writing ------------------------------------------------------------------------

    def _write(self, keys: tuple[bytes, ...], script: LuaScript, arguments: list[Any]) -> Any:
        """Run ``script`` on ``keys`` (one slot), confirmed by replicas if asked."""
        started = time.monotonic()
        if not self.options.waits:
            return self._run(script, keys, arguments, started)
        if self._cluster:
            return self._run_on_cluster_and_wait(script, keys, arguments, started)
        return self._run_and_wait(script, keys, arguments, started)

    def _check_deadline(self, started: float) -> None:
        if time.monotonic() - started >= self.options.deadline:
            raise self.options.expired("write")

    def _run(
        self, script: LuaScript, keys: tuple[bytes, ...], arguments: list[Any], started: float
    ) -> Any:
        """One round trip, unless Redis lost the script (then it is sent whole, once)."""
        try:
            return self._execute_command("EVALSHA", script.sha, len(keys), *keys, *arguments)
        except NoScriptError:
            # Redis restarted, failed over or flushed its scripts: EVAL runs the script
            # wherever the key now lives, and caches it there for the next EVALSHA.
            self._check_deadline(started)
            return self._execute_command("EVAL", script.text, len(keys), *keys, *arguments)

    def _run_and_wait(
        self, script: LuaScript, keys: tuple[bytes, ...], arguments: list[Any], started: float
    ) -> Any:
        """The write and its ``WAIT``, pipelined on one connection: one round trip."""
        result, replicas = self._pipelined(("EVALSHA", script.sha, len(keys), *keys), arguments)
        if isinstance(result, NoScriptError):
            self._check_deadline(started)
            command = ("EVAL", script.text, len(keys), *keys)
            result, replicas = self._pipelined(command, arguments)
        for outcome in (result, replicas):
            if isinstance(outcome, Exception):
                raise outcome
        self.options.check_acknowledged(replicas)
        return result

    def _pipelined(self, command: tuple[Any, ...], arguments: list[Any]) -> list[Any]:
        """``command`` with ``arguments``, then ``WAIT``, in one pipeline (no transaction)."""
        client: Any = self.client
        pipeline = client.pipeline(transaction=False)
        pipeline.execute_command(*command, *arguments)
        pipeline.execute_command(*self.options.wait_arguments)
        replies: list[Any] = pipeline.execute(raise_on_error=False)
        return replies

    def _run_on_cluster_and_wait(
        self, script: LuaScript, keys: tuple[bytes, ...], arguments: list[Any], started: float
    ) -> Any:
        """The write, then ``WAIT`` on the node that holds the keys: two round trips.

        The node is looked up before and after the write; if the layout changed in
        between, nobody can tell which node took the write, so it is not confirmed.
        """
        cluster: Any = self.client
        before = cluster.get_node_from_key(keys[0])
        result = self._run(script, keys, arguments, started)
        node = cluster.get_node_from_key(keys[0])
        if node.name != before.name:
            raise layout_changed()
        self._check_deadline(started)
        replicas = self._execute_command(*self.options.wait_arguments, target_nodes=node)
        self.options.check_acknowledged(replicas)
        return result

    def close(self) -> None:
        """Close the client's connections (and the Sentinels' for stores made by `from_url`)."""
        close_client(self.client)
        for sentinel in self._sentinels:
            sentinel.close()

    def __repr__(self) -> str:
        return f"RedisStore({type(self.client).__name__}, key_prefix={self.key_prefix!r})"
