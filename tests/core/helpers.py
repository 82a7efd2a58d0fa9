"""Small fixtures for the core's unit tests: a clock, a recording store, one request."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from coatcheck import (
    Delta,
    Exchange,
    Key,
    MemoryStore,
    Session,
    SessionConfig,
    SessionManager,
    SessionStore,
    StoredState,
    load_on_first_access,
    run_commands,
)

START = 1_700_000_000.0
KEY = Key.from_bytes(bytes(range(64)))
OLD_KEY = Key.from_bytes(bytes(range(64, 128)))
INSECURE = SessionConfig(cookie_secure=False)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def counting_token() -> Callable[[int], bytes]:
    """A deterministic random source: distinct bytes on every call."""
    counter = itertools.count(1)

    def token(size: int) -> bytes:
        return next(counter).to_bytes(size, "big")

    return token


@dataclass
class RecordingStore:
    """Wraps a sync store and records every call as ``(method, key)``."""

    inner: SessionStore = field(default_factory=MemoryStore)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_on: set[str] = field(default_factory=set)
    performs_io = False

    def _record(self, method: str, key: str) -> None:
        self.calls.append((method, key))
        if method in self.fail_on:
            raise ConnectionError(f"store down during {method}")

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def load(self, key: str, *, now: float) -> StoredState | None:
        self._record("load", key)
        return self.inner.load(key, now=now)

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        self._record("save", key)
        return self.inner.save(key, state, ttl=ttl, now=now)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        self._record("update", key)
        self.last_delta = delta
        return self.inner.update(key, state, delta, ttl=ttl, now=now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        self._record("update_ttl", key)
        return self.inner.update_ttl(key, ttl=ttl, now=now)

    def delete(self, key: str) -> None:
        self._record("delete", key)
        self.inner.delete(key)


class Client:
    """A browser with one cookie, driving requests through a manager and a store."""

    def __init__(self, manager: SessionManager, store: SessionStore) -> None:
        self.manager = manager
        self.store = store
        self.cookie: str | None = None
        self.last: Exchange | None = None

    @property
    def header(self) -> str | None:
        if self.cookie is None:
            return None
        return f"{self.manager.config.cookie_name}={self.cookie}"

    def request(self, handler: Callable[[Session], Any] = lambda session: None) -> Exchange:
        exchange = self.manager.begin(self.header)
        load_on_first_access(exchange, self.store)
        handler(exchange.session)
        exchange.finish()
        run_commands(exchange, self.store)
        self.last = exchange
        header = exchange.set_cookie
        if header is not None:
            value = header.split(";", 1)[0].split("=", 1)[1]
            self.cookie = None if "Max-Age=0" in header else value
        return exchange


def manager(
    config: SessionConfig = INSECURE,
    *,
    clock: Clock | None = None,
    keys: tuple[Key, ...] = (KEY,),
) -> SessionManager:
    return SessionManager(key=keys, config=config, now=clock or Clock(), token=counting_token())
