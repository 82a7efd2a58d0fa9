"""`SessionLifecycle`: a hypothesis state machine that plays browser, clock and application.

The system under test is a store (and optionally an adapter, through a `Client`); the
machine plays everything around it:

- a browser: a `CookieJar` honouring ``Max-Age``, ``Expires``, ``Path`` and removal, which
  can restart (dropping browser-session cookies) and gets a same-named foreign cookie;
- a `Clock` injected as the manager's ``now``, moved past TTLs and onto expiry edges;
- `DeterministicTokens` as the random source, which can make a fresh session key collide
  with a live one;
- an application issuing random requests: inserts, removals, ``clear()``, in-place
  mutation of lists and dicts read from the session, equal rewrites, ``purge()``,
  ``renew()``, ``permanent`` on and off, forced saves, reads, untouched requests,
  requests outside the cookie's path and requests that write, then answer 500; plus key
  rotation and replays of dead cookies;
- with a subject key: logins, step-ups (``mark_authenticated()``) and logouts on two
  devices (browsers), and, when the store keeps the session index, an administrator
  revoking one session of a subject or all of them but one; with a store that forwards,
  requests in flight with a cookie from before a renewal (a second tab), inside and past
  the grace window.

A plain-dict model (the rules of docs/design.md and of the account layer, restated)
predicts every request; what the store offers beyond the base contract is read from it
(`coatcheck.sansio.forwards`, `coatcheck.sansio.indexes_subjects`). Checked:

- what the application reads (state, ``new``, ``permanent``, ``created_at``,
  ``expires_at``, ``id``, ``subject``, ``authenticated_at``) equals the model;
- every response sets, removes or keeps the cookie as the decision table says, with
  ``Vary: Cookie`` when due, a fresh never-seen key for a new session, the current key
  sealing every cookie set, a persistent cookie's expiry matching its state's, and with
  ``refresh_after`` no write and no cookie until the extension is due;
- the store holds exactly the model's live states, a renewed key loads its successor's
  state until ``renew_grace`` is over, and every expired, purged, emptied, revoked or
  renewed-away session (and every forwarding record to one) loads as nothing;
- a response with status 500 sets no cookie and leaves the store as it was;
- with the index, ``list_sessions`` and ``count_sessions`` of every subject list
  exactly the model's live sessions of that subject (ids, times, order), ``revoke``
  and ``revoke_all`` end exactly the sessions they name, and a login past
  ``max_sessions_per_subject`` ends the least recently active others;
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

from coatcheck import Key, Session, SessionConfig, SessionManager, StoredState
from coatcheck._cookie_codec import Envelope
from coatcheck._cookie_store import unpack_record
from coatcheck._identity import session_id
from coatcheck.sansio import (
    forwards,
    indexes_subjects,
    is_async_store,
    sets_cookie,
    state_in_cookie,
)

from .._clients import AsyncExchangeClient, Client, ExchangeClient, Handler, Response
from .._clock import Clock
from .._cookie_jar import Cookie, CookieJar, path_matches
from .._tokens import DeterministicTokens
from ._actions import (
    Action,
    Clear,
    DeleteKey,
    Force,
    MarkAuthenticated,
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
from ._strategies import json_values, session_configs

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
_FAMILY_BYTES = 4
_SUBJECT_KEY = "uid"
"""The subject key drawn configs use: no other action writes it."""
_SUBJECTS = st.sampled_from(["ada", "bob", 7, "7"])
"""Subjects a login sets (``7`` and ``"7"`` are one subject, compared as text)."""
_SUBJECT_TEXTS = ("ada", "bob", "7")
_DEVICES = 2
"""Browsers the user has (a subject's sessions on several devices)."""
_OLD_COOKIES = 8
"""Cookies a browser held before a response replaced them, kept for replays."""
_SERVER_ERROR = 500


def _configs(real_clock: bool, indexes: bool) -> st.SearchStrategy[SessionConfig]:
    if real_clock:
        # Nothing may expire while the test runs: the machine cannot move a real clock.
        ttls = st.sampled_from([2 * 86400, 30 * 86400])
        lifetimes: st.SearchStrategy[int | None] = st.none() | st.just(60 * 86400)
        graces = st.sampled_from([0, 3600])
    else:
        ttls = st.sampled_from([0, 1, 5, 30, 60, 60, 3600])
        lifetimes = st.none() | st.none() | st.sampled_from([1, 60, 90, 7200])
        graces = st.sampled_from([0, 1, 10, 60, 3600])
    return session_configs(
        ttls=ttls,
        absolute_lifetimes=lifetimes,
        cookie_paths=st.sampled_from(["/", "/app"]),
        cookie_domains=st.none() | st.just("example.org"),
        renew_graces=graces,
        refresh_afters=st.none() | st.sampled_from([0.25, 0.5, 0.9]),
        subject_keys=st.none() | st.just(_SUBJECT_KEY),
        max_sessions=st.none() | st.sampled_from([1, 2]) if indexes else st.none(),
    )


def _cookie_value(header: str) -> str:
    return header.split(";", 1)[0].partition("=")[2].strip(" \t")


def _raw_session_key(key: str) -> bytes | None:
    """The token draw that makes the core draw ``key`` for a new anonymous session (its
    random part, then its family), if ``key`` is a core-drawn key."""
    token, dot, family = key.rpartition(".")
    if not dot:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        family_bytes = bytes.fromhex(family)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _SESSION_KEY_BYTES or len(family_bytes) != _FAMILY_BYTES:
        return None
    return raw + family_bytes


class SessionLifecycle(RuleBasedStateMachine):
    """The core's request lifecycle against a store, checked against a plain-dict model.

    Subclass it and implement `make_store`; optionally set `config`, `real_clock`,
    `eager_load` and `server_errors`, and override `live_keys`, `close_store` and
    `make_client`. Run it as ``TestMyStore = MyLifecycle.TestCase``. What the store can
    do beyond the base contract (forwarding records, the session index) is read from the
    store itself (`coatcheck.sansio.forwards`, `coatcheck.sansio.indexes_subjects`).
    """

    config: ClassVar[SessionConfig | None] = None
    """The configuration under test; ``None`` draws a new one for every run."""
    real_clock: ClassVar[bool] = False
    """True when the code under test reads the real clock (a store with a clock of its
    own such as Redis, or an adapter that takes no ``now``): the machine then draws
    TTLs of days, never moves time and never collides session keys."""
    eager_load: ClassVar[bool | None] = None
    """Whether a request that never touches the session still loads it (the ASGI
    adapter with an I/O store); ``None`` draws it for the built-in clients."""
    server_errors: ClassVar[bool | None] = None
    """Whether the client answers with the status code the handler returns (a handler
    returns ``500`` to fail after writing); ``None``: only the built-in clients do."""
    _loop: asyncio.AbstractEventLoop | None = None

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

    def make_client(self, manager: SessionManager, store: Any) -> Client:
        """The `Client` requests go through; by default the core's exchange, directly.

        Called at the start and after every key rotation, with a manager holding the
        configuration, the keys, the machine's clock and its token source.
        """
        if is_async_store(store):
            return AsyncExchangeClient(manager, store, self.run_async, eager=self.eager)
        return ExchangeClient(manager, store, eager=self.eager)

    def run_async(self, awaitable: Awaitable[_T]) -> _T:
        """Run ``awaitable`` on the machine's event loop (one loop per run)."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(awaitable)

    # -- set-up and tear-down ----------------------------------------------------------------

    def __init__(self) -> None:
        super().__init__()
        self._ready = False
        self._client: Client | None = None
        self._store: Any = None
        self._pending_dead: list[DeadKey] = []
        self._checked_dead: list[DeadKey] = []
        self._dead_seen = 0
        self._seen_keys: set[str] = set()
        self._override_jar: CookieJar | None = None
        self._old_cookies: list[Cookie] = []
        self.device = 0

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Draw the configuration, seed and loading mode; open the store and the browser."""
        self._store = self.make_store()
        config = type(self).config
        if config is None:
            indexes = indexes_subjects(self._store)
            config = data.draw(_configs(self.real_clock, indexes), label="config")
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
        self.jars = [CookieJar(self.clock) for _ in range(_DEVICES)]
        # The state in the cookie (CookieStore) cannot be revoked: a cookie no response
        # names any more stays readable until it expires, and equal states are equal.
        self.revocable = not state_in_cookie(self._store)
        self.model = SessionModel(
            config,
            self.revocable,
            forwarding=self.revocable and forwards(self._store),
            indexing=config.subject_key is not None and indexes_subjects(self._store),
        )
        self.path = config.cookie_path
        self._build_client()
        self.statuses = (
            isinstance(self._client, (ExchangeClient, AsyncExchangeClient))
            if self.server_errors is None
            else self.server_errors
        )
        self._ready = True

    @property
    def jar(self) -> CookieJar:
        """The browser the next request comes from (the current device's, or a tab
        replaying an old cookie)."""
        if self._override_jar is not None:
            return self._override_jar
        return self.jars[self.device]

    def _build_client(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.real_clock:
            self.manager = SessionManager(
                key=self.keys, store=self._store, config=self.session_config
            )
        else:
            self.manager = SessionManager(
                key=self.keys,
                store=self._store,
                config=self.session_config,
                now=self.clock,
                token=self.tokens,
            )
        self._client = self.make_client(self.manager, self._store)

    def teardown(self) -> None:
        """Close the client, the store and the event loop."""
        try:
            if self._client is not None:
                self._client.close()
            if self._store is not None:
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

    @rule(
        user=_VALUES,
        subject=_SUBJECTS,
        remember=st.booleans(),
        renew=st.booleans(),
        device=st.integers(0, _DEVICES - 1),
    )
    def log_in(
        self, user: Any, subject: str | int, remember: bool, renew: bool, device: int
    ) -> None:
        """The classic login: store the user, renew the key, maybe "remember me". With a
        subject key, setting the subject is the login (it renews by itself, with no
        grace), on either browser; ``renew`` adds an explicit renewal."""
        key = self.session_config.subject_key
        if key is not None and self.revocable:
            self.device = device
        if key is None:
            self._request([SetValue("user", user), Renew(), SetPermanent(remember)])
        else:
            actions: list[Action] = [SetValue(key, subject), SetPermanent(remember)]
            self._request([*actions, Renew()] if renew else actions)

    @rule(flash=st.none() | st.text(max_size=8), how=st.sampled_from(["purge", "forget"]))
    def log_out(self, flash: str | None, how: str) -> None:
        """The classic logout: purge, then perhaps leave a message for the next page.
        With a subject key, also the lazy one: forget the subject and keep the rest (a
        change of subject: the key is renewed, the old one dies at once)."""
        key = self.session_config.subject_key
        if how == "forget" and key is not None:
            actions: list[Action] = [Remove(key)]
        else:
            actions = [Purge()]
        self._request(actions if flash is None else [*actions, SetValue("flash", flash)])

    @precondition(lambda self: self._signed_in())
    @rule(actions=st.lists(_ACTIONS, max_size=2))
    def confirm_identity(self, actions: list[Action]) -> None:
        """A step-up ("confirm your password"): ``mark_authenticated()`` renews the key
        (with grace: the subject stays) and makes ``authenticated_at`` now."""
        self._request([MarkAuthenticated(), *actions])

    @precondition(lambda self: self.statuses)
    @rule(actions=st.lists(_ACTIONS, min_size=1, max_size=4), subject=st.none() | _SUBJECTS)
    def request_failing_with_500(self, actions: list[Action], subject: str | int | None) -> None:
        """The application changes the session (perhaps logs in), then fails: nothing
        may persist (no write, no rotation, no index entry, no cookie)."""
        key = self.session_config.subject_key
        if subject is not None and key is not None:
            actions = [SetValue(key, subject), *actions]
        self._request(actions, status=_SERVER_ERROR)

    @precondition(lambda self: self.revocable)
    @rule(device=st.integers(0, _DEVICES - 1))
    def switch_device(self, device: int) -> None:
        """The user goes on with another browser (each has a cookie jar of its own). Not
        with the state in the cookie: two browsers' equal records are one session."""
        self.device = device

    @precondition(lambda self: self.revocable and bool(self._old_cookies))
    @rule(
        pick=st.integers(0, 63),
        actions=st.none() | st.lists(_ACTIONS, max_size=3),
    )
    def request_with_an_old_cookie(self, pick: int, actions: list[Action] | None) -> None:
        """A request sent with a cookie a browser held before a response replaced it (a
        tab's request in flight during a renewal, or a replay): inside the grace window
        it is served, and given the cookie of, the session its key was renewed into;
        after it, or once the session ended, it is no session."""
        self._request_with(self._old_cookies[pick % len(self._old_cookies)], actions)

    @precondition(lambda self: bool(self._forwarding_cookies()))
    @rule(
        pick=st.integers(0, 63),
        actions=st.none() | st.lists(_ACTIONS, max_size=3),
    )
    def request_in_flight_during_a_renewal(self, pick: int, actions: list[Action] | None) -> None:
        """A second tab's request carries the cookie from before a renewal, inside the
        grace window: it is served the successor, may write into it, and gets its cookie."""
        cookies = self._forwarding_cookies()
        self._request_with(cookies[pick % len(cookies)], actions)

    @precondition(lambda self: bool(self._indexed_sessions()))
    @rule(pick=st.integers(0, 63), remember=st.booleans())
    def log_in_on_another_device(self, pick: int, remember: bool) -> None:
        """The user of a live session logs in on the other browser as well (one subject,
        several sessions: what the index lists and the cap bounds)."""
        sessions = self._indexed_sessions()
        session = sessions[pick % len(sessions)]
        key = self.session_config.subject_key
        assert key is not None
        self.device = (self.device + 1) % _DEVICES
        self._request([SetValue(key, session.state[key]), SetPermanent(remember)])

    @precondition(lambda self: self._indexed_sessions())
    @rule(pick=st.integers(0, 63), how=st.sampled_from(["own", "wrong subject", "old key"]))
    def revoke_a_session(self, pick: int, how: str) -> None:
        """An administrator (or the user, from another device) ends one session by its
        id; an id of another subject's session, or of a renewed-away key, ends nothing."""
        now = self._now()
        sessions = self._indexed_sessions()
        target = sessions[pick % len(sessions)]
        assert target.key is not None
        subject = self.model.subject_of(target.state)
        assert subject is not None
        if how == "wrong subject":
            other = next(text for text in _SUBJECT_TEXTS if text != subject)
            ended = self._index("revoke", other, session_id(target.key), now=now)
            assert ended is False, f"revoke() ended a session of {subject!r} as one of {other!r}"
            return
        if how == "old key":
            old = sorted(self.model.forwards)
            if not old:
                return
            ended = self._index("revoke", subject, session_id(old[pick % len(old)]), now=now)
            assert ended is False, "revoke() took the id of a renewed-away key"
            return
        ended = self._index("revoke", subject, session_id(target.key), now=now)
        assert ended is True, f"revoke() did not find a live session of {subject!r}"
        self.model.kill(target, now, "revoked")

    @precondition(lambda self: self.model.indexing)
    @rule(
        subject=st.sampled_from(_SUBJECT_TEXTS),
        keep=st.sampled_from(["nothing", "this device", "any"]),
        pick=st.integers(0, 63),
    )
    def revoke_all_sessions(self, subject: str, keep: str, pick: int) -> None:
        """ "Log out my other devices" (keep this device's session), or end them all."""
        now = self._now()
        sessions = self.model.of_subject(subject)
        kept: str | None = None
        if keep == "this device":
            visit = self._visit(now, self.path)
            if visit.session is not None and visit.session.key is not None:
                kept = session_id(visit.session.key)
        elif keep == "any" and self.model.sessions:
            everyone = sorted(self.model.sessions.values(), key=lambda s: s.ident)
            chosen = everyone[pick % len(everyone)].key
            kept = None if chosen is None else session_id(chosen)
        ended = self._index("revoke_all", subject, keep=kept, now=now)
        doomed = [s for s in sessions if s.key is not None and session_id(s.key) != kept]
        assert ended == len(doomed), (
            f"revoke_all({subject!r}) ended {ended} sessions, the model has {len(doomed)}"
        )
        for session in doomed:
            self.model.kill(session, now, "revoked with all others")

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
        it (``save`` returns false) and the core draw another. The request logs out and
        starts a new anonymous session, whose key is one draw of token and family (a
        renewal keeps its family, and one with grace moves the session with ``renew``,
        which trusts the core's fresh key)."""
        sessions = self._collidable()
        raw = _raw_session_key(sessions[pick % len(sessions)].key or "")
        assert raw is not None
        self.tokens.repeat_next(raw)
        try:
            self._request([Purge(), SetValue(name, value)])
        finally:
            self.tokens.clear_repeats()

    @precondition(lambda self: bool(self._due_dead_keys()))
    @rule(pick=st.integers(0, 63))
    def replay_a_dead_cookie(self, pick: int) -> None:
        """Someone sends a genuine cookie naming a dead session: it must come back empty."""
        due = self._due_dead_keys()
        dead = due[pick % len(due)]
        value = self.manager.settings.codec.encode(self._payload(dead.key), self.clock(), None)
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

    @precondition(lambda self: not self.real_clock and self._refresh_time() is not None)
    @rule(offset=st.sampled_from([-0.5, 0.0, 0.5]))
    def advance_to_a_refresh(self, offset: float) -> None:
        """Time moves to just before, onto or just past the moment the browser's session
        is due for its next (throttled) extension."""
        due = self._refresh_time()
        assert due is not None
        if due + offset > self.fake_clock.now:
            self.fake_clock.advance(due + offset - self.fake_clock.now)

    @precondition(lambda self: not self.real_clock and bool(self.model.forwards))
    @rule(pick=st.integers(0, 63), offset=st.sampled_from([-0.5, 0.0, 0.5]))
    def advance_to_a_grace_end(self, pick: int, offset: float) -> None:
        """Time moves to just before, onto or just past the end of a renewal's grace."""
        ends = sorted(forward.until for forward in self.model.forwards.values())
        target = ends[pick % len(ends)] + offset
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
        self._build_client()

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
    def renewed_keys_forward_until_their_grace_ends(self) -> None:
        """A key renewed with grace loads its (live) successor's state, saying so."""
        if not self._ready:
            return
        now = self._now()
        dumps = self.session_config.serializer.dumps
        for old_key in list(self.model.forwards):
            found = self.model.resolve(old_key, now)
            assert found is not None
            session, hops = found
            stored = self._load(old_key, now)
            expected = {key: dumps(value) for key, value in session.state.items()}
            assert stored is not None, (
                f"the renewed key {old_key!r} stopped forwarding inside its grace window"
            )
            assert dict(stored.state) == expected, (
                f"the renewed key {old_key!r} loads {dict(stored.state)}, its successor "
                f"holds {expected}"
            )
            assert len(stored.forward) == hops, (
                f"loading the renewed key {old_key!r} followed {len(stored.forward)} "
                f"forwarding records, not {hops}"
            )

    @invariant()
    def the_index_lists_each_subjects_live_sessions(self) -> None:
        """``list_sessions`` and ``count_sessions`` agree with the model, for every
        subject: the live sessions, never a dead or renewed-away one, newest first."""
        if not self._ready or not self.model.indexing:
            return
        now = self._now()
        for subject in _SUBJECT_TEXTS:
            expected = {
                session_id(s.key): s for s in self.model.of_subject(subject) if s.key is not None
            }
            infos = self._index("list_sessions", subject, now=now)
            listed = [info.id for info in infos]
            assert sorted(listed) == sorted(expected), (
                f"list_sessions({subject!r}) lists {len(listed)} sessions, the model has "
                f"{len(expected)} (unexpected: {sorted(set(listed) - set(expected))})"
            )
            count = self._index("count_sessions", subject, now=now)
            assert count == len(expected), (
                f"count_sessions({subject!r}) is {count}, the model has {len(expected)}"
            )
            tolerance = self.tolerance
            for info in infos:
                session = expected[info.id]
                assert info.subject == subject, f"a session of {subject!r} lists {info.subject!r}"
                assert abs(info.expires_at - session.expires_at) <= tolerance, (
                    f"list_sessions says {info.id} expires at {info.expires_at}, the model "
                    f"{session.expires_at}"
                )
                assert abs(info.last_active - session.last_active) <= tolerance, (
                    f"list_sessions says {info.id} was last active at {info.last_active}, "
                    f"the model {session.last_active}"
                )
                assert abs(info.created_at - session.created_at) <= tolerance, (
                    f"list_sessions says {info.id} was created at {info.created_at}, the "
                    f"model {session.created_at}"
                )
            actives = [info.last_active for info in infos]
            assert actives == sorted(actives, reverse=True), (
                f"list_sessions({subject!r}) is not most recently active first: {actives}"
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

    def _refresh_time(self) -> float | None:
        """When the browser's live, throttled session is next due for an extension."""
        if not self._ready:
            return None
        cookie = self._our_cookie()
        envelope = None if cookie is None else self.manager.settings.codec.decode(cookie.value)
        if envelope is None or envelope.extended_at is None:
            return None
        visit = self._visit(self.clock(), self.path)
        every = self.model.refresh_every(visit.permanent)
        if visit.session is None or every is None:
            return None
        return envelope.extended_at + every

    def _signed_in(self) -> bool:
        """The current browser's cookie names a live session with a subject."""
        if not self._ready or self.session_config.subject_key is None:
            return False
        live = self._visit(self._now(), self.path).session
        return live is not None and self.model.subject_of(live.state) is not None

    def _request_with(self, cookie: Cookie, actions: list[Action] | None) -> None:
        """A request from a browser that holds just ``cookie``."""
        jar = CookieJar(self.clock)
        jar.set(cookie)
        self._override_jar = jar
        try:
            self._request(actions)
        finally:
            self._override_jar = None

    def _forwarding_cookies(self) -> list[Cookie]:
        """Old cookies whose key forwards to a renewed session now."""
        if not self._ready or not self.model.forwards:
            return []
        codec = self.manager.settings.codec
        found = []
        for cookie in self._old_cookies:
            envelope = codec.decode(cookie.value)
            if envelope is not None and self._key_of(envelope) in self.model.forwards:
                found.append(cookie)
        return found

    def _index(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of the store's index methods (awaited on an async store)."""
        result = getattr(self._store, name)(*args, **kwargs)
        if is_async_store(self._store):
            return self.run_async(result)
        return result

    def _indexed_sessions(self) -> list[ModelSession]:
        """The live sessions the index lists (those with a subject), oldest first."""
        if not self.model.indexing:
            return []
        return [
            session
            for session in sorted(self.model.sessions.values(), key=lambda s: s.ident)
            if session.key is not None and self.model.subject_of(session.state) is not None
        ]

    def _load(self, key: str, now: float) -> Any:
        store = self._store
        if state_in_cookie(store):
            return self._unseal(key, now)
        if is_async_store(store):
            return self.run_async(store.load(key, now=now))
        return store.load(key, now=now)

    def _unseal(self, key: str, now: float) -> StoredState | None:
        """What a cookie-carried state holds, as a store would answer for it."""
        record = unpack_record(bytes.fromhex(key))
        if record is None or now >= record[0]:
            return None
        serializer = self.session_config.serializer
        state = serializer.loads(record[1])
        return StoredState({k: serializer.dumps(v) for k, v in state.items()}, record[0])

    def _key_of(self, envelope: Envelope) -> str:
        """The model's name of the session a cookie carries: the store's key, or, when the
        state travels in the cookie, the sealed record itself (in hex)."""
        if state_in_cookie(self._store):
            return envelope.payload.hex()
        return envelope.payload.decode("utf-8", "surrogatepass")

    def _payload(self, key: str) -> bytes:
        if state_in_cookie(self._store):
            return bytes.fromhex(key)
        return key.encode("utf-8", "surrogatepass")

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
        live = {s.key for s in self.model.sessions.values()} | set(self.model.forwards)
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
        envelope = None if cookie is None else self.manager.settings.codec.decode(cookie.value)
        return envelope is not None and envelope.key_index == 0

    def _our_cookie(self) -> Cookie | None:
        config = self.session_config
        return self.jar.lookup(config.cookie_name, config.cookie_domain, config.cookie_path)

    def _our_set_cookies(self, response: Response) -> list[str]:
        name = self.session_config.cookie_name
        return [header for header in response.set_cookies if sets_cookie(header, name)]

    def _send(self, path: str, header: str | None, handler: Handler | None) -> Response:
        assert self._client is not None
        return self._client.request(path, header, handler)

    def _visit(self, now: float, path: str) -> Visit:
        default = self.model.default_permanent
        cookie = self._our_cookie()
        if cookie is None or not path_matches(path, cookie.path):
            return Visit(now, False, None, False, default)
        envelope = self.manager.settings.codec.decode(cookie.value)
        if envelope is None:
            return Visit(now, False, None, False, default)
        key = self._key_of(envelope)
        found = self.model.resolve(key, now)
        claimed = default if envelope.permanent is None else envelope.permanent
        hops = 0 if found is None else found[1]
        sealed = self.model.sealed_permanence(key, now) if hops else None
        return Visit(
            now,
            True,
            None if found is None else found[0],
            envelope.key_index > 0,
            claimed if sealed is None else sealed,
            hops,
            envelope.extended_at,
            cookie_permanent=claimed,
        )

    def _texts(self, state: dict[str, Any]) -> dict[str, str]:
        dumps = self.session_config.serializer.dumps
        return {key: dumps(value) for key, value in state.items()}

    def _request(
        self, actions: list[Action] | None, *, path: str | None = None, status: int | None = None
    ) -> None:
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

            def handler(session: Session) -> int | None:
                seen["texts"] = texts(session.copy())
                seen["new"] = session.new
                seen["permanent"] = session.permanent
                seen["created_at"] = session.created_at
                seen["expires_at"] = session.expires_at
                seen["id"] = session.id
                seen["subject"] = session.subject
                seen["authenticated_at"] = session.authenticated_at
                for action in run:
                    action.on_session(session)
                seen["after"] = texts(session.copy())
                return status

        before = self._our_cookie()
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
        after = self._our_cookie()
        replaced = before is not None and (after is None or after.value != before.value)
        if self._override_jar is None and before is not None and replaced:
            self._old_cookies = [*self._old_cookies, before][-_OLD_COOKIES:]

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
            if status is not None and status >= _SERVER_ERROR:
                # Nothing persists: the store and the browser stay as they were.
                assert not ours, f"a response with status {status} set a cookie: {ours}"
                return
            changed = self._texts(draft.state) != loaded
            expectation = self.model.touched(visit, draft, changed)
        self._check_response(ours[0] if ours else None, expectation, visit)
        target = expectation.session
        if expectation.forward_from is not None:
            self.model.settle_forward(expectation.forward_from, now)
        if expectation.capped is not None and target is not None:
            self._check_cap(expectation.capped, target, now)

    def _check_cap(self, subject: str, target: ModelSession, now: float) -> None:
        """A login past ``max_sessions_per_subject`` ended the least recently active of
        the subject's other sessions, and only as many as needed."""
        limit = self.session_config.max_sessions_per_subject
        assert limit is not None
        others = [s for s in self.model.of_subject(subject) if s is not target]
        listed = {info.id for info in self._index("list_sessions", subject, now=now)}
        survivors = [s for s in others if s.key is not None and session_id(s.key) in listed]
        ended = [s for s in others if s not in survivors]
        # The cap counts the new session only while it lives (a TTL of 0 ends it at once).
        kept = min(len(others), limit - (target.ident in self.model.sessions))
        assert len(survivors) == kept, (
            f"a login of {subject!r} with {len(others)} other session(s) and "
            f"max_sessions_per_subject={limit} left {len(survivors)} of them, not {kept}"
        )
        if ended and survivors:
            assert min(s.last_active for s in survivors) >= max(e.last_active for e in ended), (
                "the cap ended a more recently active session than one it kept"
            )
        for session in ended:
            self.model.kill(session, now, "evicted by max_sessions_per_subject")

    def _check_reads(self, seen: dict[str, Any], visit: Visit, loaded: dict[str, str]) -> None:
        live = visit.session
        assert seen["texts"] == loaded, f"the application read {seen['texts']}, the model {loaded}"
        assert seen["new"] == (live is None), f"session.new is {seen['new']}"
        expected_permanent = self.model.default_permanent if live is None else visit.permanent
        assert seen["permanent"] == expected_permanent, f"session.permanent is {seen['permanent']}"
        subject = None if live is None else self.model.subject_of(live.state)
        assert seen["subject"] == subject, (
            f"session.subject is {seen['subject']!r}, not {subject!r}"
        )
        authenticated_at = None if live is None else live.authenticated_at
        if subject is None or authenticated_at is None:
            assert seen["authenticated_at"] is None, (
                f"an anonymous session has authenticated_at {seen['authenticated_at']}"
            )
        else:
            assert seen["authenticated_at"] is not None, "session.authenticated_at is None"
            assert abs(seen["authenticated_at"] - authenticated_at) <= self.tolerance, (
                f"session.authenticated_at is {seen['authenticated_at']}, the model "
                f"{authenticated_at}"
            )
        if live is None:
            assert seen["id"] is None, f"a new session has the id {seen['id']!r}"
            assert seen["created_at"] is None, f"a new session has created_at {seen['created_at']}"
            assert seen["expires_at"] is None, f"a new session has expires_at {seen['expires_at']}"
            return
        expected_id = session_id(live.key) if self.revocable and live.key is not None else None
        assert seen["id"] == expected_id, (
            f"session.id is {seen['id']!r}, the id of its key is {expected_id!r}"
        )
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
        envelope = self.manager.settings.codec.decode(cookie.value)
        assert envelope is not None, "the browser's cookie does not open"
        key = self._key_of(envelope)
        if key != target.key:
            # Untouched, it may still name the renewed key that forwards to the session.
            found = self.model.resolve(key, self.clock())
            assert not sets and found is not None and found[0] is target, (
                "the browser's cookie does not name the session the model expects"
            )
            return
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
        envelope = self.manager.settings.codec.decode(value)
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
        key = self._key_of(envelope)
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
