"""The store contract as pytest base classes: `StoreConformance`, `AsyncStoreConformance`.

Subclass one in a test module and say how to make your store::

    class TestMyStore(StoreConformance):
        make_store = MyStore            # or a method / zero-argument function

Every ``test_*`` method below then runs against it. Capabilities are class attributes:

- ``honours_now`` (True): the store expires sessions by the ``now`` each command carries,
  so the suite moves time freely. Set False for a store with a clock of its own (Redis):
  the suite then uses short TTLs (``short_ttl`` seconds) and really waits, a few times.
- ``revocable`` (True): ``delete`` makes a session unloadable. False for a store whose
  key carries the state (`CookieStore`), where only the cookie's removal revokes it.
- ``merges_concurrent_updates`` (True): ``update`` applies the delta to what is stored,
  so concurrent requests changing different keys of one session both survive. False for
  `CookieStore`, where the last response wins.

Hooks: ``close_store(store)`` releases a store after each test (may be a coroutine
function for async stores), and ``plant_garbage(store, now)`` writes unreadable records
(wrong types, bad encodings, old versions: whatever your storage can hold) and returns the
keys they sit under; without it the garbage test is skipped.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Protocol

import pytest
from hypothesis import HealthCheck, given, settings

from .. import (
    Delta,
    JSONSerializer,
    Key,
    Session,
    SessionConfig,
    SessionManager,
    SessionStore,
    StoredState,
    run_commands,
)
from .clock import START, Clock
from .strategies import session_states

__all__ = ["AsyncStoreConformance", "StoreConformance"]

_serializer = JSONSerializer()
_UPDATE_WORKERS = 8
_UPDATES_PER_WORKER = 10


def _texts(state: Mapping[str, Any]) -> dict[str, str]:
    return {key: _serializer.dumps(value) for key, value in state.items()}


def _fresh_key() -> str:
    """A session key as the core draws it."""
    return secrets.token_urlsafe(32)


class _UpdateCall(Protocol):
    def __call__(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None: ...


class _Suite:
    """The tests, written once against a sync view of the store."""

    honours_now: ClassVar[bool] = True
    revocable: ClassVar[bool] = True
    merges_concurrent_updates: ClassVar[bool] = True
    short_ttl: ClassVar[int] = 1
    """The TTL (seconds) of the sessions the expiry tests let die."""
    expiry_margin: ClassVar[float] = 0.3
    """Seconds waited beyond a TTL for a store with its own clock."""

    def make_store(self) -> Any:
        """A fresh, empty store; subclasses replace this."""
        raise NotImplementedError(f"{type(self).__name__} must define make_store")

    def close_store(self, store: Any) -> Any:
        """Release ``store`` after a test."""

    def plant_garbage(self, store: Any, now: float) -> Iterable[str] | Awaitable[Iterable[str]]:
        """Write unreadable records into ``store``; return the keys they sit under."""
        pytest.skip(f"{type(self).__name__} does not implement plant_garbage()")

    # -- plumbing ----------------------------------------------------------------------------

    _raw_store: Any = None

    def _new_store(self) -> Any:
        factory = inspect.getattr_static(type(self), "make_store")
        if inspect.isfunction(factory) and not inspect.signature(factory).parameters:
            return factory()  # make_store = lambda: MyStore()
        return self.make_store()

    def _opened(self) -> AbstractContextManager[SessionStore]:
        """Make the store, hand out a sync view of it, release it."""
        raise NotImplementedError

    def _finish(self, result: Any) -> Any:
        """Await ``result`` if it is awaitable (hooks of async suites may be async)."""
        return result

    def _concurrently(self, lanes: list[list[Callable[[], object]]]) -> None:
        """Run the lanes at the same time, the calls of each lane in order."""
        raise NotImplementedError

    def _concurrent_update(self, store: SessionStore) -> _UpdateCall:
        return store.update

    @pytest.fixture
    def store(self) -> Iterator[SessionStore]:
        """The store under test, seen through the sync protocol."""
        with self._opened() as store:
            yield store

    def _now(self) -> float:
        return START if self.honours_now else time.time()

    def _past(self, start: float, seconds: float) -> float:
        """The first instant a session saved at ``start`` with TTL ``seconds`` is dead."""
        if self.honours_now:
            return start + seconds
        deadline = start + seconds + self.expiry_margin
        time.sleep(max(0.0, deadline - time.time()))
        return time.time()

    def _before(self, start: float, seconds: float) -> float:
        """An instant such a session is still alive."""
        if self.honours_now:
            return start + seconds - 0.001
        now = time.time()
        assert now < start + seconds, "the store took longer than a TTL to answer"
        return now

    def _save(
        self, store: SessionStore, state: Mapping[str, Any], *, ttl: int = 3600, now: float
    ) -> str:
        key = store.save(_fresh_key(), _texts(state), ttl=ttl, now=now)
        assert key is not None, "save() refused a fresh key"
        return key

    def _state(self, store: SessionStore, key: str, now: float) -> dict[str, str] | None:
        stored = store.load(key, now=now)
        return None if stored is None else dict(stored.state)

    # -- load and save -----------------------------------------------------------------------

    def test_load_of_a_missing_key_is_none(self, store: SessionStore) -> None:
        """Nothing under a key never saved."""
        assert store.load(_fresh_key(), now=self._now()) is None

    def test_any_state_round_trips(self, store: SessionStore) -> None:
        """What is saved loads back text for text: nested, unicode, big and small."""

        @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(state=session_states(max_keys=6))
        def check(state: dict[str, Any]) -> None:
            now = self._now()
            key = self._save(store, state, ttl=3600, now=now)
            stored = store.load(key, now=now)
            assert stored is not None, "a session saved a moment ago does not load"
            assert dict(stored.state) == _texts(state)

        check()

    def test_load_reports_the_expiry(self, store: SessionStore) -> None:
        """``expires_at``, when the store reports it, is the save time plus the TTL."""
        now = self._now()
        key = self._save(store, {"a": 1}, ttl=600, now=now)
        stored = store.load(key, now=now)
        assert isinstance(stored, StoredState)
        if stored.expires_at is not None:
            slack = 0.0 if self.honours_now else 5.0
            assert abs(stored.expires_at - (now + 600)) <= slack

    def test_save_never_overwrites_a_live_session(self, store: SessionStore) -> None:
        """A drawn key that is taken is refused (``None``) or saved elsewhere; never reused."""
        now = self._now()
        key = _fresh_key()
        first = store.save(key, _texts({"owner": "first"}), ttl=3600, now=now)
        assert first is not None
        second = store.save(key, _texts({"owner": "second"}), ttl=3600, now=now)
        assert self._state(store, first, now) == _texts({"owner": "first"})
        if second is not None:
            assert second != first, "two live sessions were given the same key"
            assert self._state(store, second, now) == _texts({"owner": "second"})

    def test_keys_are_never_reused(self, store: SessionStore) -> None:
        """Many sessions, many keys, each loading its own state."""
        now = self._now()
        keys = [self._save(store, {"n": n}, now=now) for n in range(64)]
        assert len(set(keys)) == len(keys)
        for n, key in enumerate(keys):
            assert self._state(store, key, now) == _texts({"n": n})

    def test_saved_state_is_a_snapshot(self, store: SessionStore) -> None:
        """Changing the mapping passed to save afterwards changes nothing stored."""
        now = self._now()
        state = _texts({"a": 1})
        key = store.save(_fresh_key(), state, ttl=3600, now=now)
        assert key is not None
        state["a"] = "2"
        state["b"] = "3"
        assert self._state(store, key, now) == _texts({"a": 1})

    # -- update and update_ttl ---------------------------------------------------------------

    def test_update_applies_the_delta(self, store: SessionStore) -> None:
        """Keys set and removed; the rest is kept."""
        now = self._now()
        key = self._save(store, {"a": 1, "b": 2, "c": 3}, now=now)
        final = {"a": 10, "c": 3, "d": [4]}
        delta = Delta(_texts({"a": 10, "d": [4]}), frozenset({"b"}))
        moved = store.update(key, _texts(final), delta, ttl=3600, now=now)
        assert moved is not None, "update() lost a live session"
        assert self._state(store, moved, now) == _texts(final)

    def test_update_of_a_missing_session_is_none(self, store: SessionStore) -> None:
        """Updating a session that does not exist creates nothing."""
        now = self._now()
        key = _fresh_key()
        delta = Delta(_texts({"a": 1}))
        assert store.update(key, _texts({"a": 1}), delta, ttl=60, now=now) is None
        assert store.load(key, now=now) is None

    def test_update_ttl_keeps_the_state(self, store: SessionStore) -> None:
        """A TTL move returns the session's key and leaves its state alone."""
        now = self._now()
        key = self._save(store, {"a": [1, 2]}, now=now)
        moved = store.update_ttl(key, ttl=7200, now=now)
        assert moved is not None
        assert self._state(store, moved, now) == _texts({"a": [1, 2]})

    def test_update_ttl_of_a_missing_session_is_none(self, store: SessionStore) -> None:
        """Moving the TTL of a session that does not exist creates nothing."""
        now = self._now()
        key = _fresh_key()
        assert store.update_ttl(key, ttl=60, now=now) is None
        assert store.load(key, now=now) is None

    # -- delete --------------------------------------------------------------------------------

    def test_delete_removes_the_session(self, store: SessionStore) -> None:
        """A deleted session loads as nothing and cannot be updated back to life."""
        now = self._now()
        key = self._save(store, {"a": 1}, now=now)
        store.delete(key)
        if not self.revocable:
            return  # the key is the state; only the cookie's removal revokes it
        assert store.load(key, now=now) is None
        assert store.update(key, _texts({"a": 2}), Delta(_texts({"a": 2})), ttl=60, now=now) is None
        assert store.update_ttl(key, ttl=60, now=now) is None
        assert store.load(key, now=now) is None

    def test_delete_of_a_missing_session_is_fine(self, store: SessionStore) -> None:
        """Deleting twice, or something never saved, is not an error."""
        now = self._now()
        key = self._save(store, {"a": 1}, now=now)
        store.delete(key)
        store.delete(key)
        store.delete(_fresh_key())

    # -- expiry ----------------------------------------------------------------------------------

    def test_expiry_is_honoured(self, store: SessionStore) -> None:
        """Sessions die at their TTL; a TTL move or an update keeps one alive; a dead
        session cannot be updated or extended back to life."""
        ttl = self.short_ttl
        start = self._now()
        dying = self._save(store, {"a": 1}, ttl=ttl, now=start)
        extended = self._save(store, {"b": 2}, ttl=ttl, now=start)
        updated = self._save(store, {"c": 3}, ttl=ttl, now=start)
        alive = self._before(start, ttl)
        assert self._state(store, dying, alive) == _texts({"a": 1})
        extended = store.update_ttl(extended, ttl=ttl + 60, now=alive) or ""
        updated = (
            store.update(
                updated, _texts({"c": 4}), Delta(_texts({"c": 4})), ttl=ttl + 60, now=alive
            )
            or ""
        )
        assert extended and updated, "a live session vanished before its TTL"

        dead = self._past(start, ttl)
        assert store.load(dying, now=dead) is None, "a session outlived its TTL"
        assert (
            store.update(dying, _texts({"a": 2}), Delta(_texts({"a": 2})), ttl=60, now=dead) is None
        )
        assert store.update_ttl(dying, ttl=60, now=dead) is None
        assert store.load(dying, now=dead) is None, "an update brought an expired session back"
        assert self._state(store, extended, dead) == _texts({"b": 2})
        assert self._state(store, updated, dead) == _texts({"c": 4})

    def test_a_ttl_of_zero_is_dead_at_once(self, store: SessionStore) -> None:
        """TTL 0 means the session expires at once (DESIGN.md: expiry is exclusive)."""
        now = self._now()
        key = store.save(_fresh_key(), _texts({"a": 1}), ttl=0, now=now)
        assert key is not None
        assert store.load(key, now=now) is None

    # -- what the store cannot read -------------------------------------------------------------

    def test_garbage_records_are_stale_not_errors(self, store: SessionStore) -> None:
        """Unreadable records raise nothing, and through the core they are no session."""
        now = self._now()
        keys = list(self._finish(self.plant_garbage(self._raw_store, now)))
        assert keys, "plant_garbage() planted nothing"
        clock = Clock(now)
        manager = SessionManager(
            key=Key.from_bytes(bytes(64)), config=SessionConfig(cookie_secure=False), now=clock
        )
        for key in keys:
            result = store.load(key, now=now)
            assert result is None or isinstance(result, StoredState)
            store.update_ttl(key, ttl=60, now=now)
            cookie = manager.codec.encode(key, now, None)
            exchange = manager.begin(f"session={cookie}")
            run_commands(exchange, store)
            assert exchange.session.copy() == {} and exchange.session.new, (
                f"garbage under {key!r} loaded as a session"
            )
            exchange.finish()
            run_commands(exchange, store)
            store.update(key, _texts({"a": 1}), Delta(_texts({"a": 1})), ttl=60, now=now)
            store.delete(key)

    # -- concurrency ----------------------------------------------------------------------------

    def test_concurrent_updates_to_different_keys_both_survive(self, store: SessionStore) -> None:
        """Two requests load one session, change different keys, and both changes stay."""
        if not self.merges_concurrent_updates:
            pytest.skip(f"{type(self).__name__} cannot merge concurrent updates")
        now = self._now()
        key = self._save(store, {"a": 0, "b": 0, "c": 0}, now=now)
        # Request 1 sets a; request 2, from the same loaded state, sets b and removes c.
        first = store.update(
            key, _texts({"a": 1, "b": 0, "c": 0}), Delta(_texts({"a": 1})), ttl=60, now=now
        )
        second = store.update(
            key,
            _texts({"a": 0, "b": 1}),
            Delta(_texts({"b": 1}), frozenset({"c"})),
            ttl=60,
            now=now,
        )
        assert first == second == key
        assert self._state(store, key, now) == _texts({"a": 1, "b": 1})

    def test_parallel_updates_keep_every_key(self, store: SessionStore) -> None:
        """Many workers update their own key of one session at the same time; nothing is lost."""
        if not self.merges_concurrent_updates:
            pytest.skip(f"{type(self).__name__} cannot merge concurrent updates")
        now = self._now()
        key = self._save(store, {"base": True}, now=now)
        update = self._concurrent_update(store)
        lanes: list[list[Callable[[], object]]] = []
        for worker in range(_UPDATE_WORKERS):
            lane: list[Callable[[], object]] = []
            for round_ in range(_UPDATES_PER_WORKER):
                change = _texts({f"worker-{worker}": round_})

                def call(change: dict[str, str] = change) -> object:
                    return update(key, change, Delta(change), ttl=60, now=now)

                lane.append(call)
            lanes.append(lane)
        self._concurrently(lanes)
        expected = {"base": True} | {
            f"worker-{worker}": _UPDATES_PER_WORKER - 1 for worker in range(_UPDATE_WORKERS)
        }
        assert self._state(store, key, now) == _texts(expected)

    # -- through the core -------------------------------------------------------------------------

    def test_a_session_lives_through_the_core(self, store: SessionStore) -> None:
        """Log in, count, renew, log out: the store under the real exchange."""
        clock = Clock(self._now())
        manager = SessionManager(
            key=Key.from_bytes(bytes(range(64))),
            config=SessionConfig(cookie_secure=False),
            now=clock if self.honours_now else time.time,
        )
        cookie: list[str] = []

        def request(handler: Callable[[Session], None]) -> dict[str, Any]:
            exchange = manager.begin("; ".join(cookie))
            run_commands(exchange, store)
            seen = exchange.session.copy()
            handler(exchange.session)
            exchange.finish()
            run_commands(exchange, store)
            if exchange.set_cookie is not None:
                pair = exchange.set_cookie.split(";", 1)[0]
                cookie[:] = [] if pair.endswith("=") else [pair]
            return seen

        request(lambda session: session.update(user="ada", visits=0))
        before = cookie[:]
        request(lambda session: session.update(visits=session["visits"] + 1))
        request(lambda session: session.renew())
        assert request(lambda session: None) == {"user": "ada", "visits": 1}
        if self.revocable:
            exchange = manager.begin("; ".join(before))
            run_commands(exchange, store)
            assert exchange.session.copy() == {}, "a renewed-away session still loads"
        request(lambda session: session.purge())
        assert cookie == []


class StoreConformance(_Suite):
    """The store contract for a sync `SessionStore`; subclass it with ``make_store``."""

    @contextmanager
    def _opened(self) -> Iterator[SessionStore]:
        store = self._raw_store = self._new_store()
        try:
            yield store
        finally:
            self.close_store(store)

    def _concurrently(self, lanes: list[list[Callable[[], object]]]) -> None:
        """One thread per lane, released together."""
        barrier = threading.Barrier(len(lanes))

        def run(calls: list[Callable[[], object]]) -> None:
            barrier.wait(timeout=10)
            for call in calls:
                call()

        with ThreadPoolExecutor(len(lanes)) as pool:
            for future in [pool.submit(run, calls) for calls in lanes]:
                future.result(timeout=60)


class _BlockingView:
    """An `AsyncSessionStore` driven from sync test code on one event loop."""

    def __init__(self, store: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self._loop = loop

    def load(self, key: str, *, now: float) -> StoredState | None:
        result: StoredState | None = self._loop.run_until_complete(self.store.load(key, now=now))
        return result

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str | None:
        result: str | None = self._loop.run_until_complete(
            self.store.save(key, state, ttl=ttl, now=now)
        )
        return result

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        result: str | None = self._loop.run_until_complete(
            self.store.update(key, state, delta, ttl=ttl, now=now)
        )
        return result

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        result: str | None = self._loop.run_until_complete(
            self.store.update_ttl(key, ttl=ttl, now=now)
        )
        return result

    def delete(self, key: str) -> None:
        self._loop.run_until_complete(self.store.delete(key))


class AsyncStoreConformance(_Suite):
    """The store contract for an `AsyncSessionStore`; subclass it with ``make_store``.

    Each test runs on a fresh asyncio event loop; ``make_store``, ``close_store`` and
    ``plant_garbage`` may be coroutine functions. The parallel-update test runs the
    updates as concurrent tasks.
    """

    _loop: asyncio.AbstractEventLoop | None = None

    @contextmanager
    def _opened(self) -> Iterator[SessionStore]:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            store = self._raw_store = self._finish(self._new_store())
            try:
                yield _BlockingView(store, loop)
            finally:
                self._finish(self.close_store(store))
        finally:
            self._loop = None
            loop.close()

    def _finish(self, result: Any) -> Any:
        if inspect.isawaitable(result):
            assert self._loop is not None
            return self._loop.run_until_complete(result)
        return result

    def _concurrent_update(self, store: SessionStore) -> _UpdateCall:
        assert isinstance(store, _BlockingView)
        update: _UpdateCall = store.store.update
        return update

    def _concurrently(self, lanes: list[list[Callable[[], object]]]) -> None:
        """One task per lane; each call returns a coroutine."""

        async def run(calls: list[Callable[[], object]]) -> None:
            for call in calls:
                await call()  # type: ignore[misc]

        async def together() -> None:
            await asyncio.gather(*(run(calls) for calls in lanes))

        self._finish(together())
