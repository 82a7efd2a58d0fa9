"""Session traffic through the core, as users' requests see it, for the fault tests.

Each request is one `coatcheck.SessionManager` exchange run against a real store: load,
let the "application" read or change the session, commit. A request is acknowledged when
the exchange committed without `SessionStoreError` (what an adapter answers with a 200);
otherwise it is a 500. `User` remembers every key a user's acknowledged writes set, so a
test can check after a failover that none of them was lost.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from coatcheck import (
    Delta,
    Forwarded,
    Key,
    Session,
    SessionConfig,
    SessionManager,
    SessionMeta,
    SessionStoreError,
    StoredState,
)
from coatcheck.sansio import run_commands, run_commands_async
from coatcheck_redis import AsyncRedisStore, RedisStore

__all__ = ["Load", "Outcome", "SessionDriver", "User"]

COOKIE = "session"
Change = Callable[[Session], None]


class _SyncWitness:
    """Forwards to a `RedisStore` and remembers the session key the request used."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.key: str | None = None

    def load(self, key: str, *, now: float) -> StoredState | None:
        self.key = key
        return self.store.load(key, now=now)

    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        self.key = key
        return self.store.save(key, state, ttl=ttl, now=now, meta=meta)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        self.key = key
        return self.store.update(key, state, delta, ttl=ttl, now=now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        self.key = key
        return self.store.update_ttl(key, ttl=ttl, now=now)

    def renew(self, key: str, new_key: str, *args: Any, **kwargs: Any) -> bool | Forwarded:
        self.key = new_key
        return self.store.renew(key, new_key, *args, **kwargs)

    def cap(self, subject: str, keep: str, limit: int, *, now: float) -> int:
        return self.store.cap(subject, keep, limit, now=now)

    def delete(self, key: str) -> None:
        self.store.delete(key)


class _AsyncWitness:
    """Forwards to an `AsyncRedisStore` and remembers the session key the request used."""

    performs_io = True

    def __init__(self, store: AsyncRedisStore) -> None:
        self.store = store
        self.key: str | None = None

    async def load(self, key: str, *, now: float) -> StoredState | None:
        self.key = key
        return await self.store.load(key, now=now)

    async def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        self.key = key
        return await self.store.save(key, state, ttl=ttl, now=now, meta=meta)

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        self.key = key
        return await self.store.update(key, state, delta, ttl=ttl, now=now)

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        self.key = key
        return await self.store.update_ttl(key, ttl=ttl, now=now)

    async def renew(self, key: str, new_key: str, *args: Any, **kwargs: Any) -> bool | Forwarded:
        self.key = new_key
        return await self.store.renew(key, new_key, *args, **kwargs)

    async def cap(self, subject: str, keep: str, limit: int, *, now: float) -> int:
        return await self.store.cap(subject, keep, limit, now=now)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)


@dataclass(frozen=True)
class Outcome:
    """What one request saw: acknowledged or not, when, and the session it ended with."""

    ok: bool
    started: float
    """``time.monotonic()`` when the request began."""
    ended: float
    cookie: str | None
    """The cookie the browser holds afterwards."""
    state: dict[str, Any] | None
    """The session as the application read it (``None`` if the load failed)."""
    session_key: str | None
    """The server-side session key the request used, if it reached the store."""
    error: str | None = None
    """For a 500: what the store raised."""

    @property
    def seconds(self) -> float:
        """How long the request took."""
        return self.ended - self.started


def _cookie_after(set_cookie: str | None, sent: str | None) -> str | None:
    if set_cookie is None:
        return sent
    value = set_cookie.partition(";")[0].partition("=")[2]
    return value or None


class SessionDriver:
    """Runs requests against ``store`` through one `SessionManager` (one application).

    With ``subject_key`` (``"user"``: what `create_users` sets), every user's session
    belongs to a subject of its own, so each write also keeps the session index.
    """

    def __init__(
        self, store: RedisStore | AsyncRedisStore, *, subject_key: str | None = None
    ) -> None:
        self.store = store
        config = SessionConfig(subject_key=subject_key)
        self.manager = SessionManager(key=Key.generate(), store=store, config=config)

    async def request(self, cookie: str | None, change: Change | None = None) -> Outcome:
        """One request carrying ``cookie``; ``change`` is what the application does."""
        if isinstance(self.store, AsyncRedisStore):
            return await self._request_async(self.store, cookie, change)
        return await anyio.to_thread.run_sync(self.request_sync, cookie, change)

    def request_sync(self, cookie: str | None, change: Change | None = None) -> Outcome:
        """`request` for a `RedisStore`, on the calling thread."""
        assert isinstance(self.store, RedisStore)
        witness = _SyncWitness(self.store)
        exchange = self.manager.begin(f"{COOKIE}={cookie}" if cookie else None)
        started = time.monotonic()
        state: dict[str, Any] | None = None
        try:
            run_commands(exchange, witness)
            state = {name: exchange.session[name] for name in exchange.session}
            if change is not None:
                change(exchange.session)
            if exchange.finish():
                run_commands(exchange, witness)
        except SessionStoreError as error:
            ended = time.monotonic()
            return Outcome(False, started, ended, cookie, state, witness.key, _cause(error))
        after = _cookie_after(exchange.set_cookie, cookie)
        return Outcome(True, started, time.monotonic(), after, state, witness.key)

    async def _request_async(
        self, store: AsyncRedisStore, cookie: str | None, change: Change | None
    ) -> Outcome:
        witness = _AsyncWitness(store)
        exchange = self.manager.begin(f"{COOKIE}={cookie}" if cookie else None)
        started = time.monotonic()
        state: dict[str, Any] | None = None
        try:
            await run_commands_async(exchange, witness)
            state = {name: exchange.session[name] for name in exchange.session}
            if change is not None:
                change(exchange.session)
            if exchange.finish():
                await run_commands_async(exchange, witness)
        except SessionStoreError as error:
            ended = time.monotonic()
            return Outcome(False, started, ended, cookie, state, witness.key, _cause(error))
        after = _cookie_after(exchange.set_cookie, cookie)
        return Outcome(True, started, time.monotonic(), after, state, witness.key)


def _cause(error: SessionStoreError) -> str:
    cause = error.__cause__ or error
    return f"{type(cause).__name__}: {cause}"[:120]


_write_numbers = itertools.count()
_write_lock = threading.Lock()


def _next_write() -> str:
    with _write_lock:
        return f"w{next(_write_numbers)}"


@dataclass
class User:
    """One browser: its cookie, its session key and what its acknowledged writes set."""

    cookie: str | None
    session_key: str
    acknowledged: dict[str, int] = field(default_factory=dict)
    vanished: bool = False
    """Whether a request found the session gone (lost in a failover)."""

    async def write(self, driver: SessionDriver, name: str | None = None) -> Outcome:
        """Set a key (by default one never set before) to a number; remember it if
        acknowledged."""
        name = name or _next_write()
        value = random.randrange(10**9)

        def change(session: Session) -> None:
            session[name] = value

        outcome = await driver.request(self.cookie, change)
        if outcome.ok:
            if outcome.cookie is None or outcome.session_key != self.session_key:
                self.vanished = True  # the core dropped the write or began a new session
            else:
                self.acknowledged[name] = value
            self.cookie = outcome.cookie
        return outcome

    async def read(self, driver: SessionDriver) -> Outcome:
        """Read the session."""
        return await driver.request(self.cookie)

    def missing(self, state: Mapping[str, Any] | None) -> list[str]:
        """The acknowledged keys ``state`` lacks or holds another value under."""
        found = state or {}
        return [name for name, value in self.acknowledged.items() if found.get(name) != value]


async def create_users(driver: SessionDriver, count: int, *, concurrency: int = 16) -> list[User]:
    """``count`` users, each with a live session holding ``{"user": index}``."""
    users: list[User | None] = [None] * count
    limiter = anyio.Semaphore(concurrency)

    async def create(index: int) -> None:
        async with limiter:

            def change(session: Session) -> None:
                session["user"] = index

            outcome = await driver.request(None, change)
            assert outcome.ok and outcome.cookie and outcome.session_key, outcome
            users[index] = User(outcome.cookie, outcome.session_key)

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(create, index)
    return [user for user in users if user is not None]


@dataclass(frozen=True)
class Request:
    """One request of a load run: whose, what kind, and what it saw."""

    user: int
    kind: str
    outcome: Outcome


class Load:
    """Steady traffic: ``workers`` loops, each reading or writing a random user's session.

    Runs until `stop` is called; every request is kept in `requests`, in completion order.
    """

    def __init__(
        self,
        driver: SessionDriver,
        users: Sequence[User],
        *,
        workers: int = 16,
        write_share: float = 0.5,
        pause: float = 0.002,
    ) -> None:
        self.driver = driver
        self.users = users
        self.workers = workers
        self.write_share = write_share
        self.pause = pause
        self.requests: list[Request] = []
        self._stopped = anyio.Event()
        self._busy: set[int] = set()

    def stop(self) -> None:
        """Let every worker finish its current request and end."""
        self._stopped.set()

    async def run(self) -> None:
        """Run the workers until `stop`."""
        async with anyio.create_task_group() as group:
            for _ in range(self.workers):
                group.start_soon(self._worker)

    async def _worker(self) -> None:
        chooser = random.Random()
        while not self._stopped.is_set():
            index = chooser.randrange(len(self.users))
            if index in self._busy:  # one request per user at a time, like a browser tab
                await anyio.sleep(self.pause)
                continue
            self._busy.add(index)
            try:
                user = self.users[index]
                if chooser.random() < self.write_share:
                    outcome = await user.write(self.driver)
                    self.requests.append(Request(index, "write", outcome))
                else:
                    outcome = await user.read(self.driver)
                    self.requests.append(Request(index, "read", outcome))
            finally:
                self._busy.discard(index)
            await anyio.sleep(self.pause)

    def failures(self) -> list[Request]:
        """The requests that got a 500."""
        return [request for request in self.requests if not request.outcome.ok]
