"""`RedisStore`: the synchronous Redis session store (``redis.Redis`` or ``RedisCluster``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from redis.client import Redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError
from redis.retry import Retry

from coatcheck import Delta, StoredState

from ._connection import client_options, split_cluster_scheme
from ._record import decode_record, save_arguments, store_key, update_arguments
from ._scripts import SAVE, UPDATE, LuaScript

__all__ = ["RedisStore", "close_client", "is_wrong_type"]

SyncClient = Redis | RedisCluster
"""A client `RedisStore` accepts."""


def is_wrong_type(error: ResponseError) -> bool:
    """True if Redis refused a command because the key holds another type (bad data)."""
    return str(error).startswith("WRONGTYPE")


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

    ``client`` is a ``redis.Redis`` or a ``redis.cluster.RedisCluster``; build one with
    `from_url` to get timeouts and retries suited to a session store. Each session is a
    hash under ``key_prefix`` + SHA-256 of its session key, expiring with the session.
    Every method is one round trip; `update` writes only the delta, so concurrent
    requests that change different keys of one session both keep their change.

    The client is used as given (pool, TLS, credentials, Sentinel); with or without
    ``decode_responses`` makes no difference, since the store reads replies as bytes.
    `close` closes it.
    """

    performs_io = True
    """Every command is a network round trip (adapters load it up front or off-loop)."""

    def __init__(self, client: SyncClient, *, key_prefix: str = "session:") -> None:
        self.client = client
        self.key_prefix = key_prefix
        self._prefix = key_prefix.encode("utf-8")
        # Typed here: redis-py leaves execute_command unannotated.
        self._execute_command: Callable[..., Any] = client.execute_command

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key_prefix: str = "session:",
        cluster: bool | None = None,
        **kwargs: Any,
    ) -> RedisStore:
        """A store with its own client for ``url``.

        ``redis://host:port/db``, ``rediss://`` (TLS; pass ``ssl_ca_certs=`` and friends),
        ``unix:///path/to/redis.sock``; ``redis+cluster://`` or ``rediss+cluster://`` (or
        ``cluster=True``) for Redis Cluster. ``kwargs`` go to redis-py and override the
        defaults: 2 s connect and socket timeouts, two retries on a dropped connection,
        a health check after 30 s idle. Call `close` when done.
        """
        url, is_cluster = split_cluster_scheme(url, cluster)
        options = client_options(kwargs, Retry, cluster=is_cluster)
        client: SyncClient
        if is_cluster:
            client = RedisCluster.from_url(url, **options)
        else:
            client = Redis.from_url(url, **options)
        return cls(client, key_prefix=key_prefix)

    def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key``; ``None`` if missing, expired or not a session record."""
        try:
            name = store_key(self._prefix, key)
            # Raw bytes whatever the client's decode_responses: the record decodes itself.
            fields = self._execute_command("HGETALL", name, keys=[name], NEVER_DECODE=[])
        except ResponseError as error:
            if is_wrong_type(error):
                return None
            raise
        return decode_record(fields, now)

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """Create the session under the fresh ``key`` unless taken (then ``None``)."""
        created = self._run(SAVE, store_key(self._prefix, key), save_arguments(state, ttl, now))
        return key if created else None

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """Apply ``delta`` and move the expiry if the session exists; else ``None``."""
        updated = self._run(UPDATE, store_key(self._prefix, key), update_arguments(delta, ttl, now))
        return key if updated else None

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """Move the expiry if the session exists; else ``None``."""
        updated = self._run(UPDATE, store_key(self._prefix, key), update_arguments(None, ttl, now))
        return key if updated else None

    def _run(self, script: LuaScript, name: bytes, arguments: list[Any]) -> Any:
        """Run ``script`` on the key ``name``: one round trip, unless Redis lost the script."""
        try:
            return self._execute_command("EVALSHA", script.sha, 1, name, *arguments)
        except NoScriptError:
            # Redis restarted, failed over or flushed its scripts: load it, then retry once.
            self.client.script_load(script.text)
            return self._execute_command("EVALSHA", script.sha, 1, name, *arguments)

    def delete(self, key: str) -> None:
        """Remove the session (a missing one is fine)."""
        self.client.unlink(store_key(self._prefix, key))

    def close(self) -> None:
        """Close the client's connections (for stores made by `from_url`)."""
        close_client(self.client)

    def __repr__(self) -> str:
        return f"RedisStore({type(self.client).__name__}, key_prefix={self.key_prefix!r})"
