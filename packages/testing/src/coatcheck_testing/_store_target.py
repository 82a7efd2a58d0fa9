"""`StoreTarget`: one store under check, and the small helpers every check uses."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from coatcheck import Delta, Forwarded, JSONSerializer, SessionStore

from ._clock import START

__all__ = ["Lanes", "StoreTarget", "fresh_key", "texts"]

_serializer = JSONSerializer()


def texts(state: Mapping[str, Any]) -> dict[str, str]:
    """The serialized state a store is handed: one JSON text per key."""
    return {key: _serializer.dumps(value) for key, value in state.items()}


def fresh_key(family: str | None = None) -> str:
    """A session key as the core draws it: a token, ``.``, its family (random if
    ``None``)."""
    return f"{secrets.token_urlsafe(32)}.{family or secrets.token_hex(4)}"


class _UpdateCall(Protocol):
    def __call__(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded: ...


Lanes = list[list[Callable[[], object]]]


@dataclass
class StoreTarget:
    """One store under check, seen through the sync protocol, and how to treat it."""

    store: SessionStore
    """The store (an async one behind a blocking view)."""
    honours_now: bool = True
    merges_concurrent_updates: bool = True
    short_ttl: int = 1
    """The TTL (seconds) of the sessions the expiry check lets die."""
    expiry_margin: float = 0.3
    """Seconds waited beyond a TTL for a store with a clock of its own."""
    garbage: Callable[[float], Iterable[str]] | None = None
    concurrently: Callable[[Lanes], None] = lambda lanes: _in_threads(lanes)
    """Runs the lanes at the same time, the calls of each lane in order."""
    concurrent_update: _UpdateCall | None = None
    """The ``update`` the concurrency check calls from its lanes (default: the store's)."""
    keeps_index: bool = True
    """The store keeps the session index (``list_sessions``, ``revoke``...)."""
    forwards: bool = True
    """The store keeps forwarding records after a renewal (``renew``)."""

    def now(self) -> float:
        """The time to give commands: a fixed instant, or the real clock."""
        return START if self.honours_now else time.time()

    def past(self, start: float, seconds: float) -> float:
        """The first instant a session saved at ``start`` with TTL ``seconds`` is dead."""
        if self.honours_now:
            return start + seconds
        deadline = start + seconds + self.expiry_margin
        time.sleep(max(0.0, deadline - time.time()))
        return time.time()

    def before(self, start: float, seconds: float) -> float:
        """An instant such a session is still alive."""
        if self.honours_now:
            return start + seconds - 0.001
        now = time.time()
        assert now < start + seconds, "the store took longer than a TTL to answer"
        return now

    def save(self, state: Mapping[str, Any], *, ttl: int = 3600, now: float) -> str:
        """Save ``state`` under a fresh key and return the key."""
        key = fresh_key()
        assert self.store.save(key, texts(state), ttl=ttl, now=now), "save() refused a fresh key"
        return key

    def state(self, key: str, now: float) -> dict[str, str] | None:
        """The texts stored under ``key``, or ``None``."""
        stored = self.store.load(key, now=now)
        return None if stored is None else dict(stored.state)

    def plant_garbage(self, now: float) -> list[str]:
        """The keys of unreadable records the ``plant_garbage`` hook planted."""
        assert self.garbage is not None
        return list(self.garbage(now))


def _in_threads(lanes: Lanes) -> None:
    """One thread per lane, released together."""
    barrier = threading.Barrier(len(lanes))

    def run(calls: list[Callable[[], object]]) -> None:
        barrier.wait(timeout=10)
        for call in calls:
            call()

    with ThreadPoolExecutor(len(lanes)) as pool:
        for future in [pool.submit(run, calls) for calls in lanes]:
            future.result(timeout=60)
