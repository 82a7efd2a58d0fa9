"""Building redis-py clients from a URL, with defaults that suit a session store.

A session store sits on every request's path, so a slow or dead Redis must fail fast
rather than hang the request:

- connecting and every reply are bounded by `CONNECT_TIMEOUT` and `SOCKET_TIMEOUT`;
- a dropped connection (a Redis restart, an idle connection cut by a proxy) is retried
  `RETRIES` times on a fresh connection, after 10-20 ms and 20-40 ms; a timeout is not
  retried, so a hung Redis costs one `SOCKET_TIMEOUT`, not several;
- a connection idle for `HEALTH_CHECK_INTERVAL` seconds is checked with a PING before use;
- TCP keepalive is on (redis-py's default).

Every default can be overridden with a keyword argument, or in the URL's query string
(``?socket_timeout=5``), which redis-py reads last. A URL scheme ending in ``+cluster``
(``redis+cluster://``, ``rediss+cluster://``) or ``cluster=True`` selects Redis Cluster.
"""

from __future__ import annotations

from typing import Any

from redis.backoff import EqualJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = [
    "CONNECT_TIMEOUT",
    "HEALTH_CHECK_INTERVAL",
    "RETRIES",
    "SOCKET_TIMEOUT",
    "client_options",
    "split_cluster_scheme",
]

CONNECT_TIMEOUT = 2.0
"""Seconds to wait for a connection to Redis."""
SOCKET_TIMEOUT = 2.0
"""Seconds to wait for any one reply."""
RETRIES = 2
"""Retries after a dropped connection (so at most three attempts per command)."""
HEALTH_CHECK_INTERVAL = 30
"""Seconds a connection may stay idle before it is checked with a PING on next use."""
_BACKOFF_BASE = 0.01
_BACKOFF_CAP = 0.1

_CLUSTER_SUFFIX = "+cluster://"


def split_cluster_scheme(url: str, cluster: bool | None) -> tuple[str, bool]:
    """The URL redis-py understands and whether it names a Redis Cluster.

    ``redis+cluster://`` and ``rediss+cluster://`` become ``redis://`` and ``rediss://``
    with cluster mode on; an explicit ``cluster`` argument must agree with the scheme.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError(f"not a Redis URL (no scheme): {url!r}")
    from_scheme = scheme.lower().endswith("+cluster")
    if from_scheme:
        url = scheme[: -len("+cluster")] + "://" + rest
    if cluster is None:
        return url, from_scheme
    if from_scheme and not cluster:
        raise ValueError(f"cluster=False contradicts the URL scheme {scheme!r}")
    return url, cluster


def client_options(
    kwargs: dict[str, Any], retry_class: type[Any], *, cluster: bool
) -> dict[str, Any]:
    """``kwargs`` completed with this module's defaults (explicit values win).

    ``retry_class`` is redis-py's sync or asyncio ``Retry``. A standalone client also
    gets ``retry_on_error``, which redis-py 5 needs besides the ``Retry`` to retry at all;
    a cluster client retries at the cluster level, reconnecting to the current topology.
    """
    options = dict(kwargs)
    options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
    options.setdefault("socket_timeout", SOCKET_TIMEOUT)
    options.setdefault("health_check_interval", HEALTH_CHECK_INTERVAL)
    options.setdefault(
        "retry",
        retry_class(
            EqualJitterBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE),
            RETRIES,
            supported_errors=(RedisConnectionError,),
        ),
    )
    if not cluster:
        options.setdefault("retry_on_error", [RedisConnectionError])
    return options
