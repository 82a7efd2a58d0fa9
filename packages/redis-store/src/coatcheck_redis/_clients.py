"""Building the redis-py client a store made by `from_url` talks through.

One server (``Redis``), a Redis Cluster (``RedisCluster``) or the primary behind a group
of Sentinels (``Sentinel(...).master_for(...)``: a ``Redis`` whose connection pool asks
the Sentinels where the primary is each time it connects, so after a failover the next
connection goes to the new primary without restarting anything). The sync and asyncio
flavours take the same options; `sync_client` and `async_client` differ only in the
redis-py classes they use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.retry
import redis.asyncio.sentinel
import redis.cluster
import redis.retry
import redis.sentinel

from ._connection import CLUSTER_ATTEMPTS, client_options
from ._options import StoreOptions, resolve_options
from ._urls import StoreUrl, parse_store_url

__all__ = ["Built", "async_client", "sync_client"]

_OLD_CLUSTER_RETRIES = int(redis.__version__.split(".")[0]) < 6
"""redis-py 5 counts a cluster's attempts with ``cluster_error_retry_attempts``, not ``retry``."""


class Built(NamedTuple):
    """A client, the Sentinel clients to close with it (none for other kinds) and the
    store's options, from the keyword arguments and the URL."""

    client: Any
    sentinels: list[Any]
    options: StoreOptions


class _Classes(NamedTuple):
    redis: type[Any]
    cluster: type[Any]
    sentinel: type[Any]
    retry: type[Any]


_SYNC = _Classes(
    redis.Redis, redis.cluster.RedisCluster, redis.sentinel.Sentinel, redis.retry.Retry
)
_ASYNC = _Classes(
    redis.asyncio.Redis,
    redis.asyncio.cluster.RedisCluster,
    redis.asyncio.sentinel.Sentinel,
    redis.asyncio.retry.Retry,
)


def _sentinel_kwargs(connection: Mapping[str, Any], tls: bool, deadline: float) -> dict[str, Any]:
    """What the Sentinel connections get by default: the servers' timeouts and TLS set-up.

    A Sentinel that hangs is given up after the deadline even where the servers' own
    connections have no ``socket_timeout`` (the asyncio store's, which it bounds itself).
    """
    chosen = {
        name: value
        for name, value in connection.items()
        if name.startswith(("socket_", "ssl_")) or name in ("retry", "retry_on_error")
    }
    if chosen.get("socket_timeout") is None:
        chosen["socket_timeout"] = deadline
    if tls:
        chosen["ssl"] = True
    return chosen


def _client(
    classes: _Classes,
    target: StoreUrl,
    kwargs: Mapping[str, Any],
    *,
    deadline: float,
    read_from_replicas: bool,
) -> tuple[Any, list[Any]]:
    options = dict(kwargs)
    sentinel_kwargs = options.pop("sentinel_kwargs", None)
    if target.kind != "sentinel" and sentinel_kwargs is not None:
        raise ValueError("sentinel_kwargs is only for redis+sentinel:// URLs")
    cluster = target.kind == "cluster"
    if read_from_replicas:
        if not cluster:
            raise ValueError(
                "read_from_replicas is for Redis Cluster; with Sentinel every read goes to "
                "the primary (read-your-writes)"
            )
        if "load_balancing_strategy" not in options:
            options["load_balancing_strategy"] = redis.cluster.LoadBalancingStrategy.ROUND_ROBIN
    options = client_options(
        options, classes.retry, cluster=cluster, deadline=deadline, watched=classes is _ASYNC
    )
    if target.kind == "standalone":
        return classes.redis.from_url(target.url, **options), []
    if cluster:
        if _OLD_CLUSTER_RETRIES:  # pragma: no cover - redis-py 5 only
            options.setdefault("cluster_error_retry_attempts", CLUSTER_ATTEMPTS - 1)
        return classes.cluster.from_url(target.url, **options), []
    # Sentinel: like redis-py's from_url, what the URL says wins over keyword arguments.
    connection = {**options, **target.connection}
    if target.tls:
        connection["ssl"] = True
    if sentinel_kwargs is None:
        sentinel_kwargs = _sentinel_kwargs(connection, target.tls, deadline)
    sentinel = classes.sentinel(list(target.sentinels), sentinel_kwargs=sentinel_kwargs)
    client = sentinel.master_for(target.service_name, redis_class=classes.redis, **connection)
    return client, list(sentinel.sentinels)


def _build(
    classes: _Classes,
    url: str,
    cluster: bool | None,
    explicit: Mapping[str, Any],
    kwargs: Mapping[str, Any],
) -> Built:
    target = parse_store_url(url, cluster)
    options, replicas = resolve_options(explicit, target.options)
    client, sentinels = _client(
        classes, target, kwargs, deadline=options.deadline, read_from_replicas=replicas
    )
    return Built(client, sentinels, options)


def sync_client(
    url: str, cluster: bool | None, explicit: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> Built:
    """A sync client for ``url`` (``Redis``, ``RedisCluster`` or a Sentinel's primary).

    ``explicit`` holds `from_url`'s own keyword arguments (``None`` where not given),
    ``kwargs`` the rest, for redis-py.
    """
    return _build(_SYNC, url, cluster, explicit, kwargs)


def async_client(
    url: str, cluster: bool | None, explicit: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> Built:
    """The asyncio twin of `sync_client`."""
    return _build(_ASYNC, url, cluster, explicit, kwargs)
