"""The store contract as plain functions: run them from any test runner, or none.

``check_store(make_store)`` runs every check against a sync store, a fresh one per check,
and ``check_async_store(make_store)`` against an async one (on a private event loop);
each raises ``AssertionError`` naming what broke, like trio's ``check_one_way_stream``.
`coatcheck_testing.pytest.StoreConformance` turns the same checks into pytest tests.

Options describe the store:

- ``honours_now`` (True): the store expires sessions by the ``now`` each command carries,
  so the checks move time freely. False for a store with a clock of its own (Redis): the
  checks then use short TTLs (``short_ttl`` seconds) and really wait, a few times.
- ``merges_concurrent_updates`` (True): ``update`` applies the delta to what is stored,
  so concurrent requests changing different keys of one session both survive. False for
  a store that writes the full state (the last request wins): the checks then make sure
  that what survives is one request's whole state, never a mix.
- ``plant_garbage(store, now)``: writes unreadable records (wrong types, bad encodings, old
  versions: whatever the storage can hold) and returns the keys they sit under; without
  it, the garbage check has nothing to look at and is left out.
- ``close_store(store)``: releases a store after each check.

With an async store, ``make_store``, ``plant_garbage`` and ``close_store`` may be
coroutine functions.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from coatcheck import (
    AsyncSessionStore,
    Delta,
    Forwarded,
    Key,
    Session,
    SessionConfig,
    SessionManager,
    SessionMeta,
    StoredState,
)
from coatcheck.sansio import run_commands

from ._account_checks import (
    ACCOUNT_CHECKS,
    FORWARDING_CHECKS,
    INDEX_CHECKS,
    check_declared_capabilities,
)
from ._clock import Clock
from ._cookies import cookie_value
from ._store_target import Lanes, StoreTarget, fresh_key, texts

__all__ = [
    "BASE_CHECKS",
    "FORWARDING_CHECKS",
    "INDEX_CHECKS",
    "ROUND_TRIP_STATES",
    "STORE_CHECKS",
    "StoreTarget",
    "check_async_store",
    "check_store",
    "opened_store",
]

_UPDATE_WORKERS = 8
_UPDATES_PER_WORKER = 10

ROUND_TRIP_STATES: tuple[dict[str, Any], ...] = (
    {"user": "ada", "visits": 3},
    {"": "", " ": None, "s:": "looks like a prefix", "expires_at": "a key, not a field"},
    {"ключ": "значение 🎉", "café": "naïve", "tab\t": "new\nline", "nul": "\x00"},
    {"nested": {"a": [1, {"b": None, "c": [True, False]}], "d": {}}, "empty": []},
    {"numbers": [0, -1, 2**63, 1.5, -0.25, 1e300], "quotes": '"\\\'\\"'},
    {"emoji": "\U0001f600", "rtl": "\u05e9\u05dc\u05d5\u05dd", "cjk": "\u6f22\u5b57"},
    {"big": "x" * 60_000, "many": list(range(2_000))},
    {f"key-{n}": n for n in range(300)},
)
"""States every store must give back text for text (the hypothesis layer draws more)."""


# -- load and save -----------------------------------------------------------------------


def check_load_of_a_missing_key_is_none(target: StoreTarget) -> None:
    """Nothing under a key never saved."""
    assert target.store.load(fresh_key(), now=target.now()) is None


def check_any_state_round_trips(target: StoreTarget) -> None:
    """What is saved loads back text for text: nested, unicode, big and small."""
    now = target.now()
    for state in ROUND_TRIP_STATES:
        key = target.save(state, ttl=3600, now=now)
        stored = target.store.load(key, now=now)
        assert stored is not None, "a session saved a moment ago does not load"
        assert dict(stored.state) == texts(state), f"{sorted(state)} came back different"


def check_load_reports_the_expiry(target: StoreTarget) -> None:
    """``expires_at``, when the store reports it, is the save time plus the TTL."""
    now = target.now()
    key = target.save({"a": 1}, ttl=600, now=now)
    stored = target.store.load(key, now=now)
    assert isinstance(stored, StoredState)
    if stored.expires_at is not None:
        slack = 0.0 if target.honours_now else 5.0
        assert abs(stored.expires_at - (now + 600)) <= slack


def check_save_never_overwrites_a_live_session(target: StoreTarget) -> None:
    """A drawn key that is taken is refused (a false answer), never overwritten."""
    now = target.now()
    key = fresh_key()
    assert target.store.save(key, texts({"owner": "first"}), ttl=3600, now=now)
    assert not target.store.save(key, texts({"owner": "second"}), ttl=3600, now=now)
    assert target.state(key, now) == texts({"owner": "first"})


def check_keys_are_never_reused(target: StoreTarget) -> None:
    """Many sessions, many keys, each loading its own state."""
    now = target.now()
    keys = [target.save({"n": n}, now=now) for n in range(64)]
    assert len(set(keys)) == len(keys)
    for n, key in enumerate(keys):
        assert target.state(key, now) == texts({"n": n})


def check_saved_state_is_a_snapshot(target: StoreTarget) -> None:
    """Changing the mapping passed to save afterwards changes nothing stored."""
    now = target.now()
    state = texts({"a": 1})
    key = fresh_key()
    assert target.store.save(key, state, ttl=3600, now=now)
    state["a"] = "2"
    state["b"] = "3"
    assert target.state(key, now) == texts({"a": 1})


# -- update and update_ttl ---------------------------------------------------------------


def check_update_applies_the_delta(target: StoreTarget) -> None:
    """Keys set and removed; the rest is kept."""
    now = target.now()
    key = target.save({"a": 1, "b": 2, "c": 3}, now=now)
    final = {"a": 10, "c": 3, "d": [4]}
    delta = Delta(texts({"a": 10, "d": [4]}), frozenset({"b"}))
    assert target.store.update(key, texts(final), delta, ttl=3600, now=now), (
        "update() lost a live session"
    )
    assert target.state(key, now) == texts(final)


def check_update_of_a_missing_session_is_none(target: StoreTarget) -> None:
    """Updating a session that does not exist creates nothing."""
    now = target.now()
    key = fresh_key()
    delta = Delta(texts({"a": 1}))
    assert not target.store.update(key, texts({"a": 1}), delta, ttl=60, now=now)
    assert target.store.load(key, now=now) is None


def check_update_ttl_keeps_the_state(target: StoreTarget) -> None:
    """A TTL move returns the session's key and leaves its state alone."""
    now = target.now()
    key = target.save({"a": [1, 2]}, now=now)
    assert target.store.update_ttl(key, ttl=7200, now=now)
    assert target.state(key, now) == texts({"a": [1, 2]})


def check_update_ttl_of_a_missing_session_is_none(target: StoreTarget) -> None:
    """Moving the TTL of a session that does not exist creates nothing."""
    now = target.now()
    key = fresh_key()
    assert not target.store.update_ttl(key, ttl=60, now=now)
    assert target.store.load(key, now=now) is None


# -- delete --------------------------------------------------------------------------------


def check_delete_removes_the_session(target: StoreTarget) -> None:
    """A deleted session loads as nothing and cannot be updated back to life."""
    now = target.now()
    key = target.save({"a": 1}, now=now)
    target.store.delete(key)
    assert target.store.load(key, now=now) is None
    assert not target.store.update(key, texts({"a": 2}), Delta(texts({"a": 2})), ttl=60, now=now)
    assert not target.store.update_ttl(key, ttl=60, now=now)
    assert target.store.load(key, now=now) is None


def check_delete_of_a_missing_session_is_fine(target: StoreTarget) -> None:
    """Deleting twice, or something never saved, is not an error."""
    now = target.now()
    key = target.save({"a": 1}, now=now)
    target.store.delete(key)
    target.store.delete(key)
    target.store.delete(fresh_key())


# -- expiry ----------------------------------------------------------------------------------


def check_expiry_is_honoured(target: StoreTarget) -> None:
    """Sessions die at their TTL; a TTL move or an update keeps one alive; a dead
    session cannot be updated or extended back to life."""
    ttl = target.short_ttl
    start = target.now()
    dying = target.save({"a": 1}, ttl=ttl, now=start)
    extended = target.save({"b": 2}, ttl=ttl, now=start)
    updated = target.save({"c": 3}, ttl=ttl, now=start)
    alive = target.before(start, ttl)
    assert target.state(dying, alive) == texts({"a": 1})
    assert target.store.update_ttl(extended, ttl=ttl + 60, now=alive), "a live session vanished"
    assert target.store.update(
        updated, texts({"c": 4}), Delta(texts({"c": 4})), ttl=ttl + 60, now=alive
    ), "a live session vanished before its TTL"

    dead = target.past(start, ttl)
    assert target.store.load(dying, now=dead) is None, "a session outlived its TTL"
    assert not target.store.update(dying, texts({"a": 2}), Delta(texts({"a": 2})), ttl=60, now=dead)
    assert not target.store.update_ttl(dying, ttl=60, now=dead)
    assert target.store.load(dying, now=dead) is None, "an update brought an expired session back"
    assert target.state(extended, dead) == texts({"b": 2})
    assert target.state(updated, dead) == texts({"c": 4})


def check_a_ttl_of_zero_is_dead_at_once(target: StoreTarget) -> None:
    """TTL 0 means the session expires at once (docs/design.md: expiry is exclusive)."""
    now = target.now()
    key = fresh_key()
    target.store.save(key, texts({"a": 1}), ttl=0, now=now)
    assert target.store.load(key, now=now) is None


# -- what the store cannot read -------------------------------------------------------------


def check_garbage_records_are_stale_not_errors(target: StoreTarget) -> None:
    """Unreadable records raise nothing, and through the core they are no session."""
    now = target.now()
    keys = target.plant_garbage(now)
    assert keys, "plant_garbage() planted nothing"
    clock = Clock(now)
    manager = SessionManager(
        key=Key.from_bytes(bytes(64)),
        store=target.store,
        config=SessionConfig(cookie_secure=False),
        now=clock,
    )
    for key in keys:
        result = target.store.load(key, now=now)
        assert result is None or isinstance(result, StoredState)
        target.store.update_ttl(key, ttl=60, now=now)
        cookie = manager.settings.codec.encode(key.encode(), now, None)
        exchange = manager.begin(f"session={cookie}")
        run_commands(exchange, target.store)
        assert exchange.session.copy() == {} and exchange.session.new, (
            f"garbage under {key!r} loaded as a session"
        )
        exchange.finish()
        run_commands(exchange, target.store)
        target.store.update(key, texts({"a": 1}), Delta(texts({"a": 1})), ttl=60, now=now)
        target.store.delete(key)


# -- concurrency ----------------------------------------------------------------------------


def check_concurrent_updates_to_different_keys_both_survive(target: StoreTarget) -> None:
    """Two requests load one session, change different keys, and both changes stay
    (a store that does not merge keeps one request's whole state, never a mix)."""
    now = target.now()
    key = target.save({"a": 0, "b": 0, "c": 0}, now=now)
    # Request 1 sets a; request 2, from the same loaded state, sets b and removes c.
    first = target.store.update(
        key, texts({"a": 1, "b": 0, "c": 0}), Delta(texts({"a": 1})), ttl=60, now=now
    )
    second = target.store.update(
        key,
        texts({"a": 0, "b": 1}),
        Delta(texts({"b": 1}), frozenset({"c"})),
        ttl=60,
        now=now,
    )
    assert first and second
    if target.merges_concurrent_updates:
        assert target.state(key, now) == texts({"a": 1, "b": 1})
    else:
        assert target.state(key, now) == texts({"a": 0, "b": 1})


def check_parallel_updates_keep_every_key(target: StoreTarget) -> None:
    """Many workers update their own key of one session at the same time; nothing is lost
    (a store that does not merge keeps one worker's last full state)."""
    now = target.now()
    key = target.save({"base": True}, now=now)
    update = target.concurrent_update or target.store.update
    lanes: list[list[Callable[[], object]]] = []
    for worker in range(_UPDATE_WORKERS):
        lane: list[Callable[[], object]] = []
        for round_ in range(_UPDATES_PER_WORKER):
            change = texts({f"worker-{worker}": round_})

            def call(change: dict[str, str] = change) -> object:
                return update(key, change, Delta(change), ttl=60, now=now)

            lane.append(call)
        lanes.append(lane)
    target.concurrently(lanes)
    final = target.state(key, now)
    if target.merges_concurrent_updates:
        expected = {"base": True} | {
            f"worker-{worker}": _UPDATES_PER_WORKER - 1 for worker in range(_UPDATE_WORKERS)
        }
        assert final == texts(expected)
    else:
        written = [
            texts({f"worker-{worker}": round_})
            for worker in range(_UPDATE_WORKERS)
            for round_ in range(_UPDATES_PER_WORKER)
        ]
        assert final in written, f"a torn write: {final}"


# -- through the core -------------------------------------------------------------------------


def _manager(target: StoreTarget, **config: Any) -> SessionManager:
    """A manager over the target store, on the target's clock."""
    return SessionManager(
        key=Key.from_bytes(bytes(range(64))),
        store=target.store,
        config=SessionConfig(cookie_secure=False, **config),
        now=Clock(target.now()) if target.honours_now else time.time,
    )


def check_a_session_lives_through_the_core(target: StoreTarget) -> None:
    """Log in, count, renew, log out: the store under the real exchange."""
    manager = _manager(target, renew_grace=0)
    cookie: list[str] = []

    def request(handler: Callable[[Session], None]) -> dict[str, Any]:
        exchange = manager.begin("; ".join(cookie))
        run_commands(exchange, target.store)
        seen = exchange.session.copy()
        handler(exchange.session)
        exchange.finish()
        run_commands(exchange, target.store)
        if exchange.set_cookie is not None:
            value = cookie_value(exchange.set_cookie)
            cookie[:] = [f"{manager.config.cookie_name}={value}"] if value else []
        return seen

    request(lambda session: session.update(user="ada", visits=0))
    before = cookie[:]
    request(lambda session: session.update(visits=session["visits"] + 1))
    request(lambda session: session.renew())
    assert request(lambda session: None) == {"user": "ada", "visits": 1}
    exchange = manager.begin("; ".join(before))
    run_commands(exchange, target.store)
    assert exchange.session.copy() == {}, "a renewed-away session still loads"
    request(lambda session: session.purge())
    assert cookie == []


def check_a_session_deleted_during_a_request_stays_deleted(target: StoreTarget) -> None:
    """A request that loaded a session deleted meanwhile (logout in another tab, a
    revocation) cannot write it back: its changes are dropped and its cookie removed."""
    manager = _manager(target)
    created = manager.begin(None)
    run_commands(created, target.store)
    created.session["user"] = "ada"
    created.finish()
    run_commands(created, target.store)
    assert created.set_cookie is not None
    cookie = f"{manager.config.cookie_name}={cookie_value(created.set_cookie)}"

    late = manager.begin(cookie)
    run_commands(late, target.store)
    assert late.session["user"] == "ada"
    logout = manager.begin(cookie)
    run_commands(logout, target.store)
    logout.session.purge()
    logout.finish()
    run_commands(logout, target.store)
    late.session["cart"] = ["book"]
    late.finish()
    run_commands(late, target.store)
    assert late.set_cookie is not None
    assert cookie_value(late.set_cookie) == "", "a deleted session's request got a live cookie"
    replay = manager.begin(cookie)
    run_commands(replay, target.store)
    assert replay.session.copy() == {}, "a deleted session came back to life"


BASE_CHECKS: tuple[Callable[[StoreTarget], None], ...] = (
    check_load_of_a_missing_key_is_none,
    check_any_state_round_trips,
    check_load_reports_the_expiry,
    check_save_never_overwrites_a_live_session,
    check_keys_are_never_reused,
    check_saved_state_is_a_snapshot,
    check_update_applies_the_delta,
    check_update_of_a_missing_session_is_none,
    check_update_ttl_keeps_the_state,
    check_update_ttl_of_a_missing_session_is_none,
    check_delete_removes_the_session,
    check_delete_of_a_missing_session_is_fine,
    check_expiry_is_honoured,
    check_a_ttl_of_zero_is_dead_at_once,
    check_garbage_records_are_stale_not_errors,
    check_concurrent_updates_to_different_keys_both_survive,
    check_parallel_updates_keep_every_key,
    check_a_session_lives_through_the_core,
    check_a_session_deleted_during_a_request_stays_deleted,
)
"""The contract of every server-side store."""

STORE_CHECKS: tuple[Callable[[StoreTarget], None], ...] = (
    BASE_CHECKS + ACCOUNT_CHECKS + INDEX_CHECKS + FORWARDING_CHECKS
)
"""Every check, in the order `check_store` runs them."""


def applicable(check: Callable[[StoreTarget], None], target: StoreTarget) -> bool:
    """Whether ``check`` applies to the capabilities ``target`` declares."""
    if check in INDEX_CHECKS:
        return target.keeps_index
    if check in FORWARDING_CHECKS:
        return target.forwards
    return True


def run_check(check: Callable[[StoreTarget], None], target: StoreTarget) -> None:
    """Run ``check``; one for a capability the store does not declare proves instead
    that the store really lacks it (the core then never asks for it)."""
    if applicable(check, target):
        check(target)
    else:
        check_declared_capabilities(target)


class _BlockingView:
    """An `AsyncSessionStore` driven from sync check code on one event loop."""

    def __init__(self, store: AsyncSessionStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self._loop = loop

    def load(self, key: str, *, now: float) -> StoredState | None:
        return self._loop.run_until_complete(self.store.load(key, now=now))

    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        store: Any = self.store
        if meta is None:
            return self._loop.run_until_complete(store.save(key, state, ttl=ttl, now=now))  # type: ignore[no-any-return]
        return self._loop.run_until_complete(store.save(key, state, ttl=ttl, now=now, meta=meta))  # type: ignore[no-any-return]

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        return self._loop.run_until_complete(self.store.update(key, state, delta, ttl=ttl, now=now))

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        return self._loop.run_until_complete(self.store.update_ttl(key, ttl=ttl, now=now))

    def delete(self, key: str) -> None:
        self._loop.run_until_complete(self.store.delete(key))

    def __getattr__(self, name: str) -> Any:
        # The account methods (index, renew, cap), when the store has them.
        method = getattr(self.store, name)
        if not callable(method):
            return method

        def blocking(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(method(*args, **kwargs))

        return blocking


Hook = Callable[..., Any]


@contextmanager
def opened_store(
    make_store: Callable[[], Any],
    *,
    close_store: Hook | None = None,
    plant_garbage: Hook | None = None,
    **options: Any,
) -> Iterator[StoreTarget]:
    """A fresh store from ``make_store``, seen as a `StoreTarget`, closed afterwards.

    An async store (its ``load`` is a coroutine function) runs on a private event loop
    behind a blocking view; its hooks may then be coroutine functions too.
    """
    loop: asyncio.AbstractEventLoop | None = None

    def finish(result: Any) -> Any:
        if inspect.isawaitable(result):
            if loop is None:
                return asyncio.run(_awaited(result))
            return loop.run_until_complete(result)
        return result

    made = make_store()
    if inspect.isawaitable(made) or inspect.iscoroutinefunction(getattr(made, "load", None)):
        loop = asyncio.new_event_loop()
    try:
        store = finish(made)
        target = StoreTarget(store, **options)
        if loop is not None:
            view = _BlockingView(store, loop)
            target.store = view
            target.concurrently = lambda lanes: _in_tasks(loop, lanes)
            target.concurrent_update = store.update
        if plant_garbage is not None:
            target.garbage = lambda now: finish(plant_garbage(store, now))
        try:
            yield target
        finally:
            if close_store is not None:
                finish(close_store(store))
    finally:
        if loop is not None:
            loop.close()


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _in_tasks(loop: asyncio.AbstractEventLoop, lanes: Lanes) -> None:
    """One task per lane; each call returns a coroutine."""

    async def run(calls: list[Callable[[], object]]) -> None:
        for call in calls:
            await call()  # type: ignore[misc]

    async def together() -> None:
        await asyncio.gather(*(run(calls) for calls in lanes))

    loop.run_until_complete(together())


def check_store(
    make_store: Callable[[], Any],
    *,
    close_store: Hook | None = None,
    plant_garbage: Hook | None = None,
    **options: Any,
) -> None:
    """Run every check of the store contract against stores ``make_store`` makes.

    A fresh store per check; ``options`` are the `StoreTarget` fields (``honours_now``,
    ``merges_concurrent_updates``, ``short_ttl``, ``keeps_index``, ``forwards``).
    Raises ``AssertionError`` on the first broken rule, naming the check. Works for sync
    and async stores alike.
    """
    for check in STORE_CHECKS:
        if check is check_garbage_records_are_stale_not_errors and plant_garbage is None:
            continue
        with opened_store(
            make_store, close_store=close_store, plant_garbage=plant_garbage, **options
        ) as target:
            if not applicable(check, target):
                continue
            try:
                check(target)
            except AssertionError as error:
                raise AssertionError(f"{check.__name__}: {error}") from error


check_async_store = check_store
"""`check_store` for async stores (one function serves both; the name reads better)."""
