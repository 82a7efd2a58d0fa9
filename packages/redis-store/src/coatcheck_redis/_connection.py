"""The redis-py options `from_url` gives a client, derived from the store's deadline.

A session store sits on every request's path, so a slow or dead Redis must fail fast
rather than hang the request. Every store command has a total ``deadline`` (`DEADLINE`
seconds by default); the client's timeouts are cut from it:

- one server or Sentinel: a reply may take the whole deadline (``socket_timeout``), and
  a timeout is not retried, so a hung Redis costs one deadline. An asyncio client gets
  no ``socket_timeout``: `AsyncRedisStore` ends every command at its deadline itself,
  and redis-py's per-command timers (a task and a timer for each write, a timer for
  each read) would only repeat that, at a cost of several microseconds per command;
- a cluster retries once at the cluster level, re-reading the slot map in between (a
  master that stops answering may be failing over), so each attempt gets half of it;
- connecting takes at most `CONNECT_TIMEOUT` seconds, and never more than an attempt;
- a dropped connection (a Redis restart, an idle connection cut by a proxy) is retried
  `RETRIES` times on a fresh connection, after 10-20 ms and 20-40 ms;
- a connection idle for `HEALTH_CHECK_INTERVAL` seconds is checked with a PING before use;
- TCP keepalive is on (redis-py's default).

Every default can be overridden with a keyword argument, or in the URL's query string
(``?socket_timeout=5``), which redis-py reads last.
"""

from __future__ import annotations

from typing import Any

from redis.backoff import EqualJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = [
    "CLUSTER_ATTEMPTS",
    "CONNECT_TIMEOUT",
    "HEALTH_CHECK_INTERVAL",
    "RETRIES",
    "attempt_timeout",
    "client_options",
]

CONNECT_TIMEOUT = 2.0
"""The most seconds `from_url`'s clients wait for a connection (less if the deadline is short)."""
RETRIES = 2
"""Retries after a dropped connection (so at most three attempts per command)."""
CLUSTER_ATTEMPTS = 2
"""Attempts a cluster client makes per command (the second after re-reading the layout)."""
HEALTH_CHECK_INTERVAL = 30
"""Seconds a connection may stay idle before it is checked with a PING on next use."""
_BACKOFF_BASE = 0.01
_BACKOFF_CAP = 0.1


def attempt_timeout(deadline: float, *, cluster: bool) -> float:
    """The socket timeout that keeps a client's attempts within ``deadline`` seconds."""
    return deadline / CLUSTER_ATTEMPTS if cluster else deadline


def client_options(
    kwargs: dict[str, Any],
    retry_class: type[Any],
    *,
    cluster: bool,
    deadline: float,
    watched: bool = False,
) -> dict[str, Any]:
    """``kwargs`` completed with this module's defaults (explicit values win).

    ``retry_class`` is redis-py's sync or asyncio ``Retry``. A standalone client also
    gets ``retry_on_error``, which redis-py 5 needs besides the ``Retry`` to retry at all;
    a cluster client retries at the cluster level, reconnecting to the current topology.
    ``watched`` says the store ends every command at its deadline itself (the asyncio
    store): then only a cluster, which needs a timeout to make its second attempt, gets
    a ``socket_timeout``.
    """
    options = dict(kwargs)
    per_attempt = attempt_timeout(deadline, cluster=cluster)
    options.setdefault("socket_connect_timeout", min(CONNECT_TIMEOUT, per_attempt))
    options.setdefault("socket_timeout", None if watched and not cluster else per_attempt)
    options.setdefault("health_check_interval", HEALTH_CHECK_INTERVAL)
    retries = CLUSTER_ATTEMPTS - 1 if cluster else RETRIES
    options.setdefault(
        "retry",
        retry_class(
            EqualJitterBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE),
            retries,
            supported_errors=(RedisConnectionError,),
        ),
    )
    if not cluster:
        options.setdefault("retry_on_error", [RedisConnectionError])
    return options
