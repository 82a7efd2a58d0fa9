"""The URLs `from_url` understands, parsed into what the client factories need.

- ``redis://``, ``rediss://`` (TLS), ``unix://``: one server (redis-py's own grammar).
- ``redis+cluster://``, ``rediss+cluster://``: a Redis Cluster, bootstrapped from the
  one node named (``cluster=True`` does the same with the plain schemes).
- ``redis+sentinel://``, ``rediss+sentinel://``: the primary a group of Sentinels
  monitors::

      redis+sentinel://[[username]:password@]host[:port][,host[:port]...]/service_name[/db][?query]

  Hosts are the Sentinels (port 26379 if left out; IPv6 in brackets, ``[::1]:26379``);
  ``service_name`` is the name they monitor the primary under (``sentinel monitor
  <service_name> ...``); ``db`` defaults to 0. The credentials are the Redis servers'
  (primary and replicas), not the Sentinels'. With ``rediss+sentinel://`` both the
  Sentinels and the servers are reached over TLS.

In every scheme the query string may carry the store's own options (``deadline``,
``min_replicas_ack``, ``ack_timeout``, ``read_from_replicas``), taken out before redis-py
sees the rest (``socket_timeout``, ``max_connections``, ...), which it reads as always.
Error messages never repeat a password.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode

from redis.connection import parse_url as _redis_parse_url
from redis.utils import str_if_bytes

__all__ = ["SENTINEL_PORT", "StoreUrl", "parse_store_url", "redact"]

_parse_url: Callable[[str], dict[str, Any]] = _redis_parse_url  # untyped in redis-py

SENTINEL_PORT = 26379
"""The port of a Sentinel named without one."""

Kind = Literal["standalone", "cluster", "sentinel"]


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(text)


_STORE_OPTIONS: dict[str, Callable[[str], Any]] = {
    "deadline": float,
    "min_replicas_ack": int,
    "ack_timeout": float,
    "read_from_replicas": _to_bool,
}
"""The store's own options a URL's query string may set, and how to read each."""

_QUERY_SECRET = re.compile(r"((?:^|&)[A-Za-z_]*password=)[^&#]*")


def redact(url: str) -> str:
    """``url`` with its passwords (userinfo and query) replaced by ``***``, for messages."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:***@{hosts}"
    path, question, query = tail.partition("?")
    if question:
        tail = path + question + _QUERY_SECRET.sub(r"\1***", query)
    return f"{scheme}{separator}{netloc}{tail}"


@dataclass(frozen=True)
class StoreUrl:
    """A parsed store URL."""

    kind: Kind
    tls: bool
    url: str = field(default="", repr=False)
    """For one server or a cluster: the URL for redis-py, without the store's options."""
    sentinels: tuple[tuple[str, int], ...] = ()
    """For Sentinel: the Sentinels' addresses."""
    service_name: str = ""
    """For Sentinel: the name the primary is monitored under."""
    connection: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """For Sentinel: the servers' ``db``, credentials and query options, for redis-py."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """The store's own options found in the query string, already converted."""


def _take_store_options(query: str, url: str) -> tuple[str, dict[str, Any]]:
    """The query without the store's options, and those options converted."""
    kept: list[tuple[str, str]] = []
    options: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        reader = _STORE_OPTIONS.get(name)
        if reader is None:
            kept.append((name, value))
            continue
        try:
            options[name] = reader(value)
        except ValueError:
            raise ValueError(f"invalid {name}={value!r} in {redact(url)!r}") from None
    return urlencode(kept), options


def _host_and_port(text: str, url: str) -> tuple[str, int]:
    bracketed = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?", text)
    if bracketed:
        host, port = bracketed.group(1), bracketed.group(2)
    else:
        host, _, port = text.partition(":")
        if ":" in port:
            raise ValueError(f"put IPv6 Sentinel addresses in brackets: {redact(url)!r}")
    if not host:
        raise ValueError(f"a Sentinel address has no host in {redact(url)!r}")
    if port and not port.isdigit():
        raise ValueError(f"invalid Sentinel port {port!r} in {redact(url)!r}")
    number = int(port) if port else SENTINEL_PORT
    if not 0 < number < 65536:
        raise ValueError(f"invalid Sentinel port {port!r} in {redact(url)!r}")
    return unquote(host), number


def _parse_sentinel(url: str, tls: bool, rest: str) -> StoreUrl:
    netloc, _, path_and_query = rest.partition("/")
    path, _, query = path_and_query.partition("?")
    path = path.partition("#")[0]
    userinfo, at, hosts = netloc.rpartition("@")
    if not hosts:
        raise ValueError(f"no Sentinel address in {redact(url)!r}")
    sentinels = tuple(_host_and_port(host, url) for host in hosts.split(","))
    segments = path.split("/") if path else []
    if not segments or not segments[0] or len(segments) > 2:
        raise ValueError(
            f"expected /service_name or /service_name/db after the Sentinels in {redact(url)!r}"
        )
    service_name = unquote(segments[0])
    db_text = segments[1] if len(segments) == 2 else ""
    if db_text and not db_text.isdigit():
        raise ValueError(f"invalid database number {db_text!r} in {redact(url)!r}")
    query, options = _take_store_options(query, url)
    # redis-py reads the credentials and the query the way it does for redis:// URLs.
    credentials = userinfo + at if at else ""
    connection = _parse_url(f"redis://{credentials}sentinel/?{query}")
    connection.pop("host", None)
    connection["db"] = int(db_text) if db_text else 0
    for name in ("username", "password"):
        if name in connection:
            connection[name] = str_if_bytes(connection[name])
    return StoreUrl(
        "sentinel",
        tls,
        sentinels=sentinels,
        service_name=service_name,
        connection=connection,
        options=options,
    )


def parse_store_url(url: str, cluster: bool | None = None) -> StoreUrl:
    """Parse ``url``; ``cluster`` (if given) must agree with its scheme."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError(f"not a Redis URL (no scheme): {redact(url)!r}")
    base, plus, flavour = scheme.lower().partition("+")
    if base not in ("redis", "rediss", "unix") or flavour not in ("", "cluster", "sentinel"):
        raise ValueError(f"unsupported Redis URL scheme {scheme!r}")
    if plus and base == "unix":
        raise ValueError(f"unsupported Redis URL scheme {scheme!r}")
    tls = base == "rediss"
    if flavour == "sentinel":
        if cluster:
            raise ValueError(f"cluster=True contradicts the URL scheme {scheme!r}")
        return _parse_sentinel(url, tls, rest)
    if flavour == "cluster" and cluster is False:
        raise ValueError(f"cluster=False contradicts the URL scheme {scheme!r}")
    is_cluster = flavour == "cluster" or bool(cluster)
    location, question, query = rest.partition("?")
    query, options = _take_store_options(query.partition("#")[0], url) if question else ("", {})
    plain = f"{base}://{location}" + (f"?{query}" if query else "")
    return StoreUrl("cluster" if is_cluster else "standalone", tls, url=plain, options=options)
