"""The ways a store can reach Redis in these tests, as one value each."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from redis.client import Redis
from redis.cluster import RedisCluster

from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._redis_store import close_client


@dataclass(frozen=True)
class Deployment:
    """A Redis to talk to: a URL, what a client needs besides it, and how to inspect it."""

    name: str
    url: str
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    cluster: bool = False

    def sync_store(self, key_prefix: str, **kwargs: Any) -> RedisStore:
        """A `RedisStore` made by ``from_url``."""
        return RedisStore.from_url(
            self.url, key_prefix=key_prefix, cluster=self.cluster, **self.client_kwargs, **kwargs
        )

    def async_store(self, key_prefix: str, **kwargs: Any) -> AsyncRedisStore:
        """An `AsyncRedisStore` made by ``from_url``."""
        return AsyncRedisStore.from_url(
            self.url, key_prefix=key_prefix, cluster=self.cluster, **self.client_kwargs, **kwargs
        )

    @contextlib.contextmanager
    def admin(self) -> Iterator[Redis | RedisCluster]:
        """A sync client for inspecting what the store wrote, closed afterwards."""
        client: Redis | RedisCluster
        if self.cluster:
            client = RedisCluster.from_url(self.url, **self.client_kwargs)
        else:
            client = Redis.from_url(self.url, **self.client_kwargs)
        try:
            yield client
        finally:
            close_client(client)
