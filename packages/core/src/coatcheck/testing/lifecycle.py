"""`SessionLifecycle`: a hypothesis state machine that plays browser, clock and application.

The system under test is a store (and optionally an adapter, through a `Driver`); the
machine plays everything around it:

- a browser: a `CookieJar` honouring ``Max-Age``, ``Expires``, ``Path`` and removal, which
  can restart (dropping browser-session cookies) and gets a same-named foreign cookie;
- a `Clock` injected as the manager's ``now``, moved past TTLs and onto expiry edges;
- `DeterministicTokens` as the random source, which can make a fresh session key collide
  with a live one;
- an application issuing random requests: inserts, removals, ``clear()``, in-place
  mutation of lists and dicts read from the session, equal rewrites, ``purge()``,
  ``renew()``, ``permanent`` on and off, forced saves, reads, untouched requests and
  requests outside the cookie's path; plus key rotation and replays of dead cookies.

A plain-dict model (DESIGN.md section 3, restated) predicts every request. Checked:

- what the application reads (state, ``new``, ``permanent``, ``created_at``,
  ``expires_at``) equals the model;
- every response sets, removes or keeps the cookie as the decision table says, with
  ``Vary: Cookie`` when due, a fresh never-seen key for a new session, the current key
  sealing every cookie set, and a persistent cookie's expiry matching its state's;
- the store holds exactly the model's live states, and every expired, purged, emptied
  or renewed-away session loads as nothing;
- with the `live_keys` hook, the store holds no session the model says is dead.

Subclass it, give `make_store`, and run ``YourMachine.TestCase`` (see ``docs/testing.md``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any, ClassVar, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .. import (
    Key,
    Session,
    SessionConfig,
    SessionManager,
    is_async_store,
    sets_cookie,
)
from ._actions import (
    Action,
    Clear,
    DeleteKey,
    Force,
    Mutate,
    Purge,
    Read,
    Remove,
    Renew,
    Rewrite,
    SetDefault,
    SetPermanent,
    SetValue,
    UpdateMany,
)
from ._model import DeadKey, Expectation, ModelSession, SessionModel, Visit
from .clock import Clock
from .cookie_jar import Cookie, CookieJar, path_matches
from .drivers import AsyncExchangeDriver, Driver, ExchangeDriver, Response
from .strategies import json_values, session_configs
from .tokens import DeterministicTokens

__all__ = ["SessionLifecycle"]

_T = TypeVar("_T")

_NAMES = st.sampled_from(["user", "cart", "n", "ключ", ""])
_SUBS = st.sampled_from(["a", "b", "ü"])
_ITEMS = st.integers(-3, 3) | st.text(max_size=4)
_VALUES = json_values(max_leaves=3, big=False)
_ACTIONS: st.SearchStrategy[Action] = st.one_of(
    st.builds(SetValue, _NAMES, _VALUES),
    st.builds(Remove, _NAMES),
    st.builds(DeleteKey, _NAMES),
    st.builds(Clear),
    st.builds(Mutate, _NAMES, _ITEMS, _SUBS),
    st.builds(Rewrite, _NAMES),
    st.builds(UpdateMany, st.dictionaries(_NAMES, _VALUES, max_size=2)),
    st.builds(SetDefault, _NAMES, _VALUES),
    st.builds(Read, _NAMES),
    st.builds(Purge),
    st.builds(Renew),
    st.builds(SetPermanent, st.booleans()),
    st.builds(Force),
)
_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_FOREIGN_DOMAIN = "other.example"
_RECHECKED_DEAD_KEYS = 4
_SESSION_KEY_BYTES = 32


def _configs(real_clock: bool) -> st.SearchStrategy[SessionConfig]:
    if real_clock:
        # Nothing may expire while the test runs: the machine cannot move a real clock.
        ttls = st.sampled_from([2 * 86400, 30 * 86400])
        lifetimes: st.SearchStrategy[int | None] = st.none() | st.just(60 * 86400)
    else:
        ttls = st.sampled_from([0, 1, 5, 30, 60, 60, 3600])
        lifetimes = st.none() | st.none() | st.sampled_from([1, 60, 90, 7200])
    return session_configs(
        ttls=ttls,
        absolute_lifetimes=lifetimes,
        cookie_paths=st.sampled_from(["/", "/app"]),
        cookie_domains=st.none() | st.just("example.org"),
    )


def _cookie_value(header: str) -> str:
    return header.split(";", 1)[0].partition("=")[2].strip(" \t")


def _raw_session_key(key: str) -> bytes | None:
    """The token bytes a core-drawn session key came from, if it is one."""
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _SESSION_KEY_BYTES else None


class SessionLifecycle(RuleBasedStateMachine):
    """The core's request lifecycle against a store, checked against a plain-dict model.

    Subclass it and implement `make_store`; optionally set `config`, `revocable`,
    `real_clock` and `eager_load`, and override `live_keys`, `close_store` and
    `make_driver`. Run it as ``TestMyStore = MyLifecycle.TestCase``.
    """

    config: ClassVar[SessionConfig | None] = None
    """The configuration under test; ``None`` draws a new one for every run."""
    revocable: ClassVar[bool] = True
    """False for stores whose key carries the state (`CookieStore`): a session they
    stopped naming stays loadable until it expires, and equal states may share a key."""
    real_clock: ClassVar[bool] = False
    """True when the code under test reads the real clock (a store with a clock of its
    own such as Redis, or an adapter that takes no ``now``): the machine then draws
    TTLs of days, never moves time and never collides session keys."""
    eager_load: ClassVar[bool | None] = None
    _loop: asyncio.AbstractEventLoop | None = None
    """Whether a request that never touches the session still loads it (the ASGI
    adapter with an I/O store); ``None`` draws it for the built-in drivers."""

    # -- hooks for subclasses ----------------------------------------------------------------

    def make_store(self) -> Any:
        """A fresh, empty store (a `SessionStore` or an `AsyncSessionStore`)."""
        raise NotImplementedError("subclass SessionLifecycle and implement make_store()")

    def close_store(self, store: Any) -> None:
        """Release the store at the end of a run (use `run_async` for async clean-up)."""

    def live_keys(self, store: Any, now: float) -> Collection[str] | None:
        """Every key the store holds a live session under at ``now``, or ``None`` if it
        cannot tell. With it, the machine checks the store holds nothing the model says
        is dead (a leak a load-only check cannot see)."""
        return None

    def make_driver(self, manager: SessionManager, store: Any) -> Driver:
        """The `Driver` requests go through; by default the core's exchange, directly.

        Called at the start and after every key rotation, with a manager holding the
        configuration, the keys, the machine's clock and its token source.
        """
        if is_async_store(store):
            return AsyncExchangeDriver(manager, store, self.run_async, eager=self.eager)
        return ExchangeDriver(manager, store, eager=self.eager)

    def run_async(self, awaitable: Awaitable[_T]) -> _T:
        """Run ``awaitable`` on the machine's event loop (one loop per run)."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(awaitable)

    # -- set-up and tear-down ----------------------------------------------------------------

    def __init__(self) -> None:
        super().__init__()
        self._ready = False
        self._driver: Driver | None = None
        self._store: Any = None
        self._pending_dead: list[DeadKey] = []
        self._checked_dead: list[DeadKey] = []
        self._dead_seen = 0
        self._seen_keys: set[str] = set()

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Draw the configuration, seed and loading mode; open the store and the browser."""
        config = type(self).config
        if config is None:
            config = data.draw(_configs(self.real_clock), label="config")
        self.session_config = config
        self.eager = (
            data.draw(st.booleans(), label="eager") if self.eager_load is None else self.eager_load
        )
        self.tokens = DeterministicTokens(data.draw(st.integers(0, 2**32), label="seed"))
        if self.real_clock:
            self.clock: Callable[[], float] = time.time
            self.keys: tuple[Key, ...] = (Key.generate(),)
        else:
            self.fake_clock = Clock()
            self.clock = self.fake_clock
            self.keys = (Key.from_bytes(self.tokens(64)),)
        self.tolerance = 5.0 if self.real_clock else 0.0
        self.jar = CookieJar(self.clock)
        self.model = SessionModel(config, self.revocable)
        self.path = config.cookie_path
        self._store = self.make_store()
        self._build_driver()
        self._ready = True

    def _build_driver(self) -> None:
        if self._driver is not None:
            self._driver.close()
        if self.real_clock:
            self.manager = SessionManager(key=self.keys, config=self.session_config)
        else:
            self.manager = SessionManager(
                key=self.keys, config=self.session_config, now=self.clock, token=self.tokens
            )
        self._driver = self.make_driver(self.manager, self._store)

    def teardown(self) -> None:
        """Close the driver, the store and the event loop."""
        try:
            if self._driver is not None:
                self._driver.close()
            if self._ready:
                self.close_store(self._store)
        finally:
            if self._loop is not None:
                self._loop.close()
                self._loop = None

    # -- the application's requests ---------------------------------------------------------

    @rule(actions=st.lists(_ACTIONS, max_size=5))
    def request(self, actions: list[Action]) -> None:
        """A request whose handler reads the session, then does ``actions`` to it."""
        self._request(actions)

    @rule(action=_ACTIONS)
    def request_doing_one_thing(self, action: Action) -> None:
        """A request doing a single thing to the session."""
        self._request([action])

    @rule(user=_VALUES, remember=st.booleans())
    def log_in(self, user: Any, remember: bool) -> None:
        """The classic login: store the user, renew the key, maybe "remember me"."""
        self._request([SetValue("user", user), Renew(), SetPermanent(remember)])

    @rule(flash=st.none() | st.text(max_size=8))
    def log_out(self, flash: str | None) -> None:
        """The classic logout: purge, then perhaps leave a message for the next page."""
        self._request([Purge()] if flash is None else [Purge(), SetValue("flash", flash)])

    @rule()
    def untouched_request(self) -> None:
        """A request that never touches the session."""
        self._request(None)

    @precondition(lambda self: self.path != "/")
    @rule(actions=st.lists(_ACTIONS, min_size=1, max_size=3))
    def request_elsewhere(self, actions: list[Action]) -> None:
        """A request outside the cookie's path: the browser does not send the cookie."""
        self._request(actions, path="/elsewhere")

    @precondition(lambda self: not self.real_clock and self._collidable())
    @rule(pick=st.integers(0, 63), name=_NAMES, value=_VALUES)
    def collide_with_a_live_key(self, pick: int, name: str, value: Any) -> None:
        """The next session key drawn equals a live session's key: the store must refuse
        it (``save`` returns ``None``) and the core draw another."""
        sessions = self._collidable()
        raw = _raw_session_key(sessions[pick % len(sessions)].key or "")
        assert raw is not None
        self.tokens.repeat_next(raw)
        try:
            self._request([SetValue(name, value), Renew()])
        finally:
            self.tokens.clear_repeats()

    @precondition(lambda self: bool(self._due_dead_keys()))
    @rule(pick=st.integers(0, 63))
    def replay_a_dead_cookie(self, pick: int) -> None:
        """Someone sends a genuine cookie naming a dead session: it must come back empty."""
        due = self._due_dead_keys()
        dead = due[pick % len(due)]
        value = self.manager.codec.encode(dead.key, self.clock(), None)
        seen: dict[str, Any] = {}

        def handler(session: Session) -> None:
            seen["state"] = session.copy()
            seen["new"] = session.new

        response = self._send(self.path, f"{self.session_config.cookie_name}={value}", handler)
        assert seen == {"state": {}, "new": True}, (
            f"a cookie naming session {dead.key!r} ({dead.why}) still loads {seen}"
        )
        for header in self._our_set_cookies(response):
            assert not _cookie_value(header), f"a dead session's replay set a cookie: {header}"

    # -- the browser and the world -----------------------------------------------------------

    @precondition(lambda self: not self.real_clock)
    @rule(seconds=st.sampled_from([0.5, 1, 2, 5, 30, 59, 60, 61, 90, 3600, 86400, 10**6]))
    def advance_clock(self, seconds: float) -> None:
        """Time passes."""
        self.fake_clock.advance(seconds)

    @precondition(lambda self: not self.real_clock and bool(self.model.sessions))
    @rule(pick=st.integers(0, 63), offset=st.sampled_from([-1.0, -0.5, 0.0, 0.5]))
    def advance_to_an_expiry(self, pick: int, offset: float) -> None:
        """Time moves to just before, onto or just past a live session's expiry."""
        sessions = sorted(self.model.sessions.values(), key=lambda s: s.ident)
        target = sessions[pick % len(sessions)].expires_at + offset
        if target > self.fake_clock.now:
            self.fake_clock.advance(target - self.fake_clock.now)

    @precondition(lambda self: any(not c.persistent for c in self.jar.cookies()))
    @rule()
    def restart_browser(self) -> None:
        """The browser restarts: browser-session cookies are gone, persistent ones stay."""
        self.jar.close_browser()

    @precondition(lambda self: not any(c.domain == _FOREIGN_DOMAIN for c in self.jar.cookies()))
    @rule(value=st.text(_B64URL, min_size=1, max_size=64))
    def plant_a_foreign_cookie(self, value: str) -> None:
        """Another application on a parent domain sets a cookie of the same name."""
        self.jar.set(
            Cookie(self.session_config.cookie_name, value, path="/", domain=_FOREIGN_DOMAIN)
        )

    @precondition(lambda self: self._cookie_under_current_key())
    @rule()
    def rotate_keys(self) -> None:
        """A new key signs from now on; the two before it are still accepted."""
        new = Key.generate() if self.real_clock else Key.from_bytes(self.tokens(64))
        self.keys = (new, *self.keys)[:3]
        self._build_driver()

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def store_holds_every_live_session(self) -> None:
        """Every live session loads from the store with exactly the model's state."""
        if not self._ready:
            return
        now = self._now()
        dumps = self.session_config.serializer.dumps
        for session in list(self.model.sessions.values()):
            if session.key is None:
                continue
            stored = self._load(session.key, now)
            expected = {key: dumps(value) for key, value in session.state.items()}
            assert stored is not None, (
                f"the store lost a live session (key {session.key!r}, model {session.state})"
            )
            assert dict(stored.state) == expected, (
                f"the store holds {dict(stored.state)} under {session.key!r}, the model {expected}"
            )

    @invariant()
    def dead_sessions_are_gone(self) -> None:
        """Expired, purged, emptied and renewed-away sessions load as nothing."""
        if not self._ready:
            return
        now = self._now()
        for dead in self._due_dead_keys(now, consume=True):
            assert self._load(dead.key, now) is None, (
                f"the store still holds session {dead.key!r} ({dead.why}) at {now}"
            )

    @invariant()
    def store_holds_nothing_else(self) -> None:
        """With the `live_keys` hook: the store's live keys are exactly the model's."""
        if not self._ready:
            return
        now = self._now()
        held = self.live_keys(self._store, now)
        if held is None:
            return
        expected = {s.key for s in self.model.sessions.values() if s.key is not None}
        assert set(held) == expected, (
            f"the store holds sessions {sorted(set(held) - expected)} the model says are "
            f"dead and lacks {sorted(expected - set(held))}"
        )

    # -- the request, checked ------------------------------------------------------------------

    def _now(self) -> float:
        now = self.clock()
        self.model.expire(now)
        return now

    def _load(self, key: str, now: float) -> Any:
        store = self._store
        if is_async_store(store):
            return self.run_async(store.load(key, now=now))
        return store.load(key, now=now)

    def _due_dead_keys(self, now: float | None = None, *, consume: bool = False) -> list[DeadKey]:
        """Dead keys whose death is due at ``now``; with ``consume``, the ones to check now:
        those newly due plus the few most recent (a resurrection shows there first)."""
        if not self._ready:
            return []
        if now is None:
            now = self.clock()
        dead = self.model.dead
        self._pending_dead.extend(dead[self._dead_seen :])
        self._dead_seen = len(dead)
        due = [d for d in self._pending_dead if d.dead_from <= now]
        if consume:
            self._pending_dead = [d for d in self._pending_dead if d.dead_from > now]
            candidates = due + self._checked_dead[-_RECHECKED_DEAD_KEYS:]
            self._checked_dead = (self._checked_dead + due)[-4 * _RECHECKED_DEAD_KEYS :]
        else:
            candidates = due + [d for d in self._checked_dead if d not in due]
        live = {s.key for s in self.model.sessions.values()}
        # A key-is-state store may hand out an equal record again: that one is alive.
        return [d for d in candidates if d.key not in live]

    def _collidable(self) -> list[ModelSession]:
        if not self.revocable:
            return []
        return [
            s
            for s in sorted(self.model.sessions.values(), key=lambda s: s.ident)
            if s.key is not None and _raw_session_key(s.key) is not None
        ]

    def _cookie_under_current_key(self) -> bool:
        """The browser holds a session cookie sealed by the newest key (rotation matters)."""
        cookie = self._our_cookie()
        envelope = None if cookie is None else self.manager.codec.decode(cookie.value)
        return envelope is not None and envelope.key_index == 0

    def _our_cookie(self) -> Cookie | None:
        config = self.session_config
        return self.jar.lookup(config.cookie_name, config.cookie_domain, config.cookie_path)

    def _our_set_cookies(self, response: Response) -> list[str]:
        name = self.session_config.cookie_name
        return [header for header in response.set_cookies if sets_cookie(header, name)]

    def _send(
        self, path: str, header: str | None, handler: Callable[[Session], None] | None
    ) -> Response:
        assert self._driver is not None
        return self._driver.request(path, header, handler)

    def _visit(self, now: float, path: str) -> Visit:
        cookie = self._our_cookie()
        if cookie is None or not path_matches(path, cookie.path):
            return Visit(now, False, None, False)
        envelope = self.manager.codec.decode(cookie.value)
        if envelope is None:
            return Visit(now, False, None, False)
        return Visit(now, True, self.model.by_key(envelope.session_key), envelope.key_index > 0)

    def _texts(self, state: dict[str, Any]) -> dict[str, str]:
        dumps = self.session_config.serializer.dumps
        return {key: dumps(value) for key, value in state.items()}

    def _request(self, actions: list[Action] | None, *, path: str | None = None) -> None:
        now = self._now()
        path = self.path if path is None else path
        visit = self._visit(now, path)
        live = visit.session
        loaded = self._texts(live.state) if live is not None else {}
        seen: dict[str, Any] = {}
        handler = None
        if actions is not None:
            texts = self._texts
            run = actions

            def handler(session: Session) -> None:
                seen["texts"] = texts(session.copy())
                seen["new"] = session.new
                seen["permanent"] = session.permanent
                seen["created_at"] = session.created_at
                seen["expires_at"] = session.expires_at
                for action in run:
                    action.on_session(session)
                seen["after"] = texts(session.copy())

        response = self._send(path, self.jar.header(path), handler)
        ours = self._our_set_cookies(response)
        assert len(ours) <= 1, f"the response sets the session cookie twice: {ours}"
        self.jar.receive(response.set_cookies, path)
        touched = actions is not None
        assert response.vary == (touched or bool(ours)), (
            f"Vary: Cookie is {'present' if response.vary else 'missing'} on a response that "
            f"{'touched' if touched else 'did not touch'} the session and set "
            f"{'a' if ours else 'no'} cookie"
        )

        if actions is None and not self.eager:
            expectation = self.model.untouched(visit)
        else:
            draft = self.model.draft(visit)
            if actions is not None:
                self._check_reads(seen, visit, loaded)
            for action in actions or ():
                action.on_draft(draft)
            if actions is not None:
                assert seen["after"] == self._texts(draft.state), (
                    f"after {actions} the session holds {seen['after']}, the model {draft.state}"
                )
            changed = self._texts(draft.state) != loaded
            expectation = self.model.touched(visit, draft, changed)
        self._check_response(ours[0] if ours else None, expectation, visit)

    def _check_reads(self, seen: dict[str, Any], visit: Visit, loaded: dict[str, str]) -> None:
        live = visit.session
        assert seen["texts"] == loaded, f"the application read {seen['texts']}, the model {loaded}"
        assert seen["new"] == (live is None), f"session.new is {seen['new']}"
        expected_permanent = self.model.default_permanent if live is None else live.permanent
        assert seen["permanent"] == expected_permanent, f"session.permanent is {seen['permanent']}"
        if live is None:
            assert seen["created_at"] is None, f"a new session has created_at {seen['created_at']}"
            assert seen["expires_at"] is None, f"a new session has expires_at {seen['expires_at']}"
            return
        assert abs(seen["created_at"] - live.created_at) <= self.tolerance, (
            f"session.created_at is {seen['created_at']}, the model {live.created_at}"
        )
        if seen["expires_at"] is not None:
            assert abs(seen["expires_at"] - live.expires_at) <= self.tolerance, (
                f"session.expires_at is {seen['expires_at']}, the model {live.expires_at}"
            )

    def _check_response(self, header: str | None, expectation: Expectation, visit: Visit) -> None:
        now = visit.now
        sets = header is not None and bool(_cookie_value(header))
        removes = header is not None and not sets
        kind = expectation.cookie
        if kind == "set":
            assert sets, f"the response should set the session cookie, it sent {header!r}"
        elif kind == "remove":
            assert removes, f"the response should remove the session cookie, it sent {header!r}"
        elif kind == "none":
            assert header is None, f"the response should leave the cookie alone: {header!r}"
        target = expectation.session
        if header is not None and sets:
            assert target is not None, f"the response set a cookie for no live session: {header}"
            self._bind(_cookie_value(header), target, expectation, now)
        self._now()  # a session born with a TTL of zero is already dead
        cookie = self._our_cookie()
        if removes:
            assert cookie is None, f"the removal {header!r} left {cookie} in the browser"
        if target is None or target.ident not in self.model.sessions:
            return
        assert cookie is not None, "the browser lost the cookie of a live session"
        envelope = self.manager.codec.decode(cookie.value)
        assert envelope is not None and envelope.session_key == target.key, (
            "the browser's cookie does not name the session the model expects"
        )
        assert cookie.persistent == target.permanent, (
            f"the cookie is {'persistent' if cookie.persistent else 'a browser-session cookie'}"
            f" but the session's permanent is {target.permanent}"
        )
        if sets and cookie.expires_at is not None:
            low = target.expires_at - self.tolerance
            high = target.expires_at + self.tolerance if expectation.exact_expiry else float("inf")
            assert low <= cookie.expires_at <= high, (
                f"the cookie expires at {cookie.expires_at}, the state at {target.expires_at}"
            )

    def _bind(self, value: str, target: ModelSession, expectation: Expectation, now: float) -> None:
        envelope = self.manager.codec.decode(value)
        assert envelope is not None, f"the response set a cookie the core cannot read: {value!r}"
        assert envelope.key_index == 0, "a cookie was sealed with an old key"
        effective = (
            self.model.default_permanent if envelope.permanent is None else envelope.permanent
        )
        assert effective == target.permanent, (
            f"the cookie says permanent={effective}, the model {target.permanent}"
        )
        if self.real_clock and expectation.fresh:
            target.created_at = envelope.created_at
        assert abs(envelope.created_at - target.created_at) <= self.tolerance, (
            f"the cookie says created at {envelope.created_at}, the model {target.created_at}"
        )
        key = envelope.session_key
        if key == target.key:
            return
        if not expectation.fresh:
            assert expectation.may_move, (
                f"the session moved from key {target.key!r} to {key!r} without a store write"
            )
            assert target.key is not None
            self.model.moved(target, target.key, expectation.previous_expiry, now)
        if self.revocable:
            assert key not in self._seen_keys, f"the store handed out the key {key!r} again"
        else:
            # Equal records are one session to a key-is-state store: keep the newest.
            for twin in [s for s in self.model.sessions.values() if s.key == key]:
                if twin is not target:
                    del self.model.sessions[twin.ident]
        self._seen_keys.add(key)
        target.key = key
