"""`AsyncRedisStore`: the asyncio twin of `RedisStore`, line for line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from redis.asyncio.client import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.exceptions import NoScriptError, ResponseError

from coatcheck import Delta, StoredState

from ._connection import client_options, split_cluster_scheme
from ._record import decode_record, save_arguments, store_key, update_arguments
from ._redis_store import is_wrong_type
from ._scripts import SAVE, UPDATE, LuaScript

__all__ = ["AsyncRedisStore"]

AsyncClient = Redis | RedisCluster
"""A client `AsyncRedisStore` accepts."""


class AsyncRedisStore:
    """A session store in Redis, for async applications (ASGI: Starlette, FastAPI, ...).

    ``client`` is a ``redis.asyncio.Redis`` or a ``redis.asyncio.cluster.RedisCluster``;
    everything else is as in `RedisStore`, with coroutine methods. redis.asyncio runs on
    asyncio only (not trio), and a client belongs to the event loop it first ran on.
    """

    performs_io = True
    """Every command is a network round trip (adapters await it)."""

    def __init__(self, client: AsyncClient, *, key_prefix: str = "session:") -> None:
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
    ) -> AsyncRedisStore:
        """A store with its own client for ``url``; see `RedisStore.from_url`.

        No connection is made until the first command. Call `aclose` when done.
        """
        url, is_cluster = split_cluster_scheme(url, cluster)
        options = client_options(kwargs, Retry, cluster=is_cluster)
        client: AsyncClient
        if is_cluster:
            client = RedisCluster.from_url(url, **options)
        else:
            client = Redis.from_url(url, **options)
        return cls(client, key_prefix=key_prefix)

    async def load(self, key: str, *, now: float) -> StoredState | None:
        """The session under ``key``; ``None`` if missing, expired or not a session record."""
        try:
            name = store_key(self._prefix, key)
            # Raw bytes whatever the client's decode_responses: the record decodes itself.
            fields = await self._execute_command("HGETALL", name, keys=[name], NEVER_DECODE=[])
        except ResponseError as error:
            if is_wrong_type(error):
                return None
            raise
        return decode_record(fields, now)

    async def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        """Create the session under the fresh ``key`` unless taken (then ``None``)."""
        created = await self._run(
            SAVE, store_key(self._prefix, key), save_arguments(state, ttl, now)
        )
        return key if created else None

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """Apply ``delta`` and move the expiry if the session exists; else ``None``."""
        updated = await self._run(
            UPDATE, store_key(self._prefix, key), update_arguments(delta, ttl, now)
        )
        return key if updated else None

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """Move the expiry if the session exists; else ``None``."""
        updated = await self._run(
            UPDATE, store_key(self._prefix, key), update_arguments(None, ttl, now)
        )
        return key if updated else None

    async def _run(self, script: LuaScript, name: bytes, arguments: list[Any]) -> Any:
        """Run ``script`` on the key ``name``: one round trip, unless Redis lost the script."""
        try:
            return await self._execute_command("EVALSHA", script.sha, 1, name, *arguments)
        except NoScriptError:
            # Redis restarted, failed over or flushed its scripts: load it, then retry once.
            await self.client.script_load(script.text)
            return await self._execute_command("EVALSHA", script.sha, 1, name, *arguments)

    async def delete(self, key: str) -> None:
        """Remove the session (a missing one is fine)."""
        await self.client.unlink(store_key(self._prefix, key))

    async def aclose(self) -> None:
        """Close the client's connections (for stores made by `from_url`)."""
        await self.client.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisStore({type(self.client).__name__}, key_prefix={self.key_prefix!r})"
