"""The URLs `from_url` takes, the store's own options in them, and what errors show.

No server is needed: parsing and building clients makes no connection.
"""

from __future__ import annotations

from typing import Any

import pytest
from redis.sentinel import SentinelConnectionPool

from coatcheck_redis import ACK_TIMEOUT, DEADLINE, SENTINEL_PORT, AsyncRedisStore, RedisStore
from coatcheck_redis._options import StoreOptions, resolve_options
from coatcheck_redis._urls import parse_store_url, redact


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_database() -> None:
    parsed = parse_store_url(
        "redis+sentinel://app:s%40cret@10.0.0.1:26380,sentinel-b,[::1]:5000/sessions/3"
        "?socket_timeout=0.5&deadline=1.5"
    )
    assert parsed.kind == "sentinel"
    assert not parsed.tls
    assert parsed.sentinels == (("10.0.0.1", 26380), ("sentinel-b", SENTINEL_PORT), ("::1", 5000))
    assert parsed.service_name == "sessions"
    assert dict(parsed.connection) == {
        "username": "app",
        "password": "s@cret",
        "db": 3,
        "socket_timeout": 0.5,
    }
    assert dict(parsed.options) == {"deadline": 1.5}


def test_a_sentinel_url_without_database_or_credentials() -> None:
    parsed = parse_store_url("rediss+sentinel://h/primary")
    assert parsed.tls
    assert parsed.sentinels == (("h", SENTINEL_PORT),)
    assert dict(parsed.connection) == {"db": 0}


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:1",  # no service name
        "redis+sentinel://h:1/",
        "redis+sentinel://h:1/name/zero",
        "redis+sentinel://h:1/name/0/extra",
        "redis+sentinel:///name",  # no Sentinel
        "redis+sentinel://h:port/name",
        "redis+sentinel://h:70000/name",
        "redis+sentinel://::1:26379/name",  # IPv6 without brackets
        "redis+sentinel://h:1,/name",
        "unix+sentinel:///tmp/s.sock",
        "redis+other://h:1",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_store_url(url)


def test_the_store_options_come_out_of_the_query_string() -> None:
    parsed = parse_store_url(
        "redis://h:1/2?socket_timeout=3&deadline=4&min_replicas_ack=1&ack_timeout=0.25"
        "&read_from_replicas=yes"
    )
    assert parsed.url == "redis://h:1/2?socket_timeout=3"
    assert dict(parsed.options) == {
        "deadline": 4.0,
        "min_replicas_ack": 1,
        "ack_timeout": 0.25,
        "read_from_replicas": True,
    }
    unix = parse_store_url("unix:///run/redis.sock?db=1&deadline=3")
    assert (unix.url, dict(unix.options)) == ("unix:///run/redis.sock?db=1", {"deadline": 3.0})


@pytest.mark.parametrize(
    "query", ["deadline=soon", "min_replicas_ack=1.5", "read_from_replicas=maybe"]
)
def test_unreadable_store_options_are_refused(query: str) -> None:
    with pytest.raises(ValueError, match=query.partition("=")[0]):
        parse_store_url(f"redis://h:1/0?{query}")


def test_an_option_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="deadline"):
        RedisStore.from_url("redis://h:1/0?deadline=2", deadline=3.0)


def test_keyword_arguments_and_the_url_both_set_the_options() -> None:
    store = AsyncRedisStore.from_url(
        "redis://127.0.0.1:1/0?min_replicas_ack=2", deadline=5, ack_timeout=1
    )
    assert store.options == StoreOptions(deadline=5, min_replicas_ack=2, ack_timeout=1)
    assert RedisStore.from_url("redis://127.0.0.1:1/0").options == StoreOptions(
        DEADLINE, 0, ACK_TIMEOUT
    )


@pytest.mark.parametrize(
    "options",
    [
        {"deadline": 0},
        {"deadline": -1.0},
        {"deadline": float("inf")},
        {"deadline": "2"},
        {"min_replicas_ack": -1},
        {"min_replicas_ack": 1.0},
        {"ack_timeout": 0},
        {"ack_timeout": float("nan")},
        {"min_replicas_ack": 1, "ack_timeout": 2.0, "deadline": 2.0},
    ],
)
def test_store_options_are_validated(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        StoreOptions(**options)
    with pytest.raises(ValueError):
        RedisStore.from_url("redis://127.0.0.1:1/0", **options)


def test_wait_takes_whole_milliseconds() -> None:
    assert StoreOptions(min_replicas_ack=2, ack_timeout=0.0014).wait_arguments == ("WAIT", 2, 1)
    assert StoreOptions(min_replicas_ack=1, ack_timeout=0.25).wait_arguments == ("WAIT", 1, 250)
    assert resolve_options({"deadline": None}, {"deadline": 3.0}) == (
        StoreOptions(deadline=3.0),
        False,
    )


def test_read_from_replicas_is_for_clusters_only() -> None:
    with pytest.raises(ValueError, match="Cluster"):
        RedisStore.from_url("redis://127.0.0.1:1/0", read_from_replicas=True)
    with pytest.raises(ValueError, match="Cluster"):
        RedisStore.from_url("redis+sentinel://127.0.0.1:1/s?read_from_replicas=1")


def test_a_sentinel_store_talks_to_the_primary_through_a_sentinel_pool() -> None:
    store = RedisStore.from_url("redis+sentinel://127.0.0.1:1,127.0.0.1:2/sessions/4")
    client: Any = store.client
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "sessions"
    assert pool.connection_kwargs["db"] == 4
    store.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:hunter2@h:1/0", "redis://user:***@h:1/0"),
        ("rediss+sentinel://:hunter2@a,b/s/0", "rediss+sentinel://:***@a,b/s/0"),
        ("redis://h:1/0?password=hunter2&db=1", "redis://h:1/0?password=***&db=1"),
        ("redis://h:1/0?sentinel_password=hunter2", "redis://h:1/0?sentinel_password=***"),
        ("redis://user@h:1/0", "redis://user@h:1/0"),
        ("user:hunter2@h:1", "user:***@h:1"),
    ],
)
def test_passwords_never_reach_error_messages(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "user:hunter2@h:1",
        "redis+sentinel://u:hunter2@h:port/s",
        "redis://u:hunter2@h:1/0?deadline=never",
        "redis+sentinel://u:hunter2@/s",
    ],
)
def test_a_refused_url_keeps_its_password_to_itself(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        RedisStore.from_url(url)
    assert "hunter2" not in str(refused.value)
