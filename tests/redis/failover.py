"""What the failover tests share: waiting for recovery, and reading what a run saw."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio

from coatcheck import session_id
from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._index import index_key
from tests.redis.traffic import Load, Request, SessionDriver, User

__all__ = [
    "ACK_TIMEOUT",
    "SUBJECT_KEY",
    "assert_index_consistent",
    "DEADLINE",
    "RECOVERY_LIMIT",
    "SLACK",
    "Window",
    "longest",
    "median_seconds",
    "read_back",
    "wait_for_recovery",
]

SUBJECT_KEY = "user"
"""The drivers' ``subject_key``: each user's session belongs to a subject of its own (the
user's number, what `create_users` sets), so every write keeps the index too."""
DEADLINE = 2.0
"""The stores' deadline in these tests (the documented default)."""
ACK_TIMEOUT = 1.0
"""``WAIT``'s timeout with ``min_replicas_ack``: twice the default, so that a test machine
busy with other work does not turn a slow replica into a failed request to explain."""
SLACK = 1.0
"""Seconds a request may take beyond the deadline on a loaded test machine."""
RECOVERY_LIMIT = 40.0
"""Seconds a failover gets before the test fails (they take 2 to 5 on loopback)."""
QUIET = 1.5
"""Seconds without a failed request that count as "recovered"."""


@dataclass(frozen=True)
class Window:
    """When requests failed, in seconds after the kill (``None`` if none did)."""

    first: float | None
    last: float | None
    failed: int
    total: int

    @classmethod
    def of(cls, requests: Sequence[Request], since: float) -> Window:
        """The window of the failed ones among ``requests``, relative to ``since``."""
        failed = [request.outcome for request in requests if not request.outcome.ok]
        if not failed:
            return cls(None, None, 0, len(requests))
        first = min(outcome.started for outcome in failed) - since
        last = max(outcome.ended for outcome in failed) - since
        return cls(first, last, len(failed), len(requests))

    def __str__(self) -> str:
        if self.first is None or self.last is None:
            return f"no failed request (of {self.total})"
        return (
            f"{self.failed} of {self.total} requests failed, from {self.first:+.2f} s "
            f"to {self.last:+.2f} s"
        )


async def wait_for_recovery(load: Load, recovered: Callable[[], bool]) -> None:
    """Wait until ``recovered()`` and `QUIET` seconds passed with writes and no failure."""
    with anyio.fail_after(RECOVERY_LIMIT):
        while True:
            await anyio.sleep(0.05)
            if not recovered():
                continue
            since = time.monotonic() - QUIET
            last_failure = max((r.outcome.ended for r in load.failures()), default=0.0)
            if last_failure <= since and any(
                r.kind == "write" and r.outcome.ok and r.outcome.started > since
                for r in load.requests
            ):
                return


async def read_back(driver: SessionDriver, users: Iterable[User]) -> tuple[int, int]:
    """Read every user's session: (acknowledged writes lost, acknowledged writes)."""
    lost = acknowledged = 0
    for user in users:
        acknowledged += len(user.acknowledged)
        if user.vanished:
            lost += len(user.acknowledged)
            continue
        outcome = await user.read(driver)
        assert outcome.ok, f"a read after the failover failed: {outcome.error}"
        lost += len(user.missing(outcome.state))
    return lost, acknowledged


def longest(requests: Iterable[Request]) -> float:
    """The longest any of ``requests`` took, in seconds (0 if none)."""
    return max((request.outcome.seconds for request in requests), default=0.0)


def median_seconds(requests: Iterable[Request]) -> float:
    """The median time ``requests`` took (0 if none)."""
    times = [request.outcome.seconds for request in requests]
    return statistics.median(times) if times else 0.0


async def assert_index_consistent(
    store: RedisStore | AsyncRedisStore,
    users: Sequence[User],
    members: Callable[[bytes], set[bytes]],
) -> None:
    """After a failover, the index agrees with the sessions, user by user: the raw sorted
    set (``members`` reads it from the primary) names exactly the session that loads,
    or nothing when the session was lost; `list_sessions` says the same.

    A session and its index entry are written by one script, so they replicate together:
    a failover may lose both, never one of the two.
    """
    prefix = store.key_prefix.encode()
    disagreements = []
    for number, user in enumerate(users):
        subject = str(number)
        loaded = await _maybe_await(store.load(user.session_key, now=time.time()))
        expected = {session_id(user.session_key)} if loaded is not None else set()
        raw = {member.decode() for member in members(index_key(prefix, subject))}
        listed = {info.id for info in await _maybe_await(store.list_sessions(subject))}
        if raw != expected or listed != expected:
            disagreements.append((subject, sorted(expected), sorted(raw), sorted(listed)))
    assert not disagreements, f"index and sessions disagree: {disagreements[:5]}"


async def _maybe_await(result: object) -> Any:
    if isinstance(result, Awaitable):
        return await result
    return result
