"""coatcheck_testing keeps its promises: strategies produce what they say, the browser
and the clock behave, and the lifecycle machine and the conformance suite fail on
broken stores and broken glue (so their passing means something)."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from coatcheck import (
    CookieContentSecurity,
    CookieStore,
    Delta,
    Forwarded,
    JSONSerializer,
    Key,
    MemoryStore,
    PersistentSession,
    SessionConfig,
    SessionManager,
    SessionMeta,
    SessionStore,
)
from coatcheck.sansio import run_commands, subject_text
from coatcheck_testing import (
    STORE_CHECKS,
    AsyncStoreWrapper,
    Clock,
    Cookie,
    CookieJar,
    DeterministicTokens,
    ExchangeClient,
    Handler,
    Response,
    StoreTarget,
    check_async_store,
    check_store,
    opened_store,
)
from coatcheck_testing._checks import (
    check_a_session_deleted_during_a_request_stays_deleted,
    check_a_ttl_of_zero_is_dead_at_once,
    check_concurrent_updates_to_different_keys_both_survive,
    check_delete_removes_the_session,
    check_expiry_is_honoured,
    check_parallel_updates_keep_every_key,
    check_save_never_overwrites_a_live_session,
    check_update_applies_the_delta,
)
from coatcheck_testing.hypothesis import (
    SessionLifecycle,
    genuine_cookies,
    hostile_cookie_headers,
    json_values,
    keys,
    session_configs,
    session_states,
)
from coatcheck_testing.hypothesis._strategies import _seal
from coatcheck_testing.pytest import StoreConformance

KEY = Key.from_bytes(bytes(range(64)))
INSECURE = SessionConfig(cookie_secure=False)
serializer = JSONSerializer()


def assert_covers(strategy: st.SearchStrategy[Any], conditions: dict[str, Any]) -> None:
    """Within a few hundred draws, every condition holds for some example."""
    seen: set[str] = set()

    @settings(
        max_examples=400,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(strategy)
    def draw(example: Any) -> None:
        seen.update(name for name, holds in conditions.items() if holds(example))

    draw()
    assert seen == set(conditions), f"never drawn: {sorted(set(conditions) - seen)}"


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


# -- strategies --------------------------------------------------------------------------


@given(session_states())
def test_states_round_trip_through_the_serializer(state: dict[str, Any]) -> None:
    for value in state.values():
        text = serializer.dumps(value)
        assert serializer.dumps(serializer.loads(text)) == text


def test_states_cover_big_small_nested_and_unicode() -> None:
    assert_covers(
        session_states(),
        {
            "big": lambda s: sum(len(serializer.dumps(v)) for v in s.values()) > 8192,
            "nested": lambda s: any(depth(v) >= 3 for v in s.values()),
            "unicode keys": lambda s: any(not key.isascii() for key in s),
            "unicode values": lambda s: any(not serializer.dumps(v).isascii() for v in s.values()),
            "big integers": lambda s: any(type(v) is int and abs(v) > 2**64 for v in s.values()),
            "small": lambda s: 0 < sum(len(serializer.dumps(v)) for v in s.values()) < 50,
        },
    )


@given(session_states(max_bytes=500))
def test_max_bytes_bounds_the_serialized_size(state: dict[str, Any]) -> None:
    assert sum(len(k) + len(serializer.dumps(v)) for k, v in state.items()) <= 500


@given(json_values(big=False))
def test_small_values_stay_small(value: Any) -> None:
    assert len(serializer.dumps(value)) < 2000


@given(
    config=session_configs(
        ttls=st.integers(1, 10**7), absolute_lifetimes=st.none() | st.integers(1, 10**7)
    ),
    key=keys(),
    state=session_states(min_keys=1, max_bytes=300),
)
def test_every_drawn_config_carries_a_session(
    config: SessionConfig, key: Key, state: dict[str, Any]
) -> None:
    store = MemoryStore()
    manager = SessionManager(key=key, store=store, config=config, now=Clock())
    exchange = manager.begin(None)
    run_commands(exchange, store)
    exchange.session.update(state)
    exchange.finish()
    run_commands(exchange, store)
    assert exchange.set_cookie is not None
    assert exchange.set_cookie.startswith(config.cookie_name + "=")
    header = exchange.set_cookie.split(";", 1)[0]
    again = manager.begin(header)
    run_commands(again, store)
    assert again.session.copy() == state


def test_configs_cover_every_option() -> None:
    assert_covers(
        session_configs(),
        {
            "__Host- prefix": lambda c: c.cookie_name.startswith("__Host-"),
            "__Secure- prefix": lambda c: c.cookie_name.startswith("__Secure-"),
            "plain http": lambda c: not c.cookie_secure,
            "a domain": lambda c: c.cookie_domain is not None,
            "a deep path": lambda c: c.cookie_path.count("/") > 1,
            "SameSite=None": lambda c: c.cookie_same_site == "none",
            "partitioned": lambda c: c.cookie_partitioned,
            "signed": lambda c: c.cookie_content_security == "signed",
            "persistent": lambda c: isinstance(c.lifecycle, PersistentSession),
            "every request": lambda c: c.lifecycle.ttl_extension_policy == "on_every_request",
            "a TTL of zero": lambda c: c.lifecycle.ttl_seconds == 0,
            "an absolute lifetime": lambda c: c.absolute_lifetime is not None,
            "a permanent lifecycle": lambda c: c.permanent_lifecycle is not None,
            "no renewal grace": lambda c: c.renew_grace_seconds == 0,
            "a renewal grace": lambda c: c.renew_grace_seconds > 0,
            "a throttled refresh": lambda c: c.lifecycle.refresh_after is not None,
        },
    )


@pytest.mark.parametrize("store_class", [CookieStore, MemoryStore])
def test_genuine_cookies_decode_and_load_their_state(
    store_class: type[SessionStore | CookieStore],
) -> None:
    store = store_class()
    clock = Clock()
    manager = SessionManager(key=KEY, store=store, config=INSECURE, now=clock)

    @given(genuine_cookies(KEY, INSECURE, store, now=clock))
    def check(cookie: Any) -> None:
        envelope = manager.settings.codec.decode(cookie.value)
        assert envelope is not None
        if cookie.session_key is not None:
            assert envelope.payload.decode() == cookie.session_key
        assert cookie.set_cookie.startswith(cookie.header)
        exchange = manager.begin(f"other=1; {cookie.header}")
        run_commands(exchange, store)
        assert exchange.session.copy() == cookie.state
        assert not exchange.session.new

    check()


def stored_sessions(store: SessionStore | CookieStore, manager: SessionManager) -> list[str]:
    """Save a few genuine sessions, so a hostile header has something to hit."""
    headers = []
    for n in range(3):
        exchange = manager.begin(None)
        run_commands(exchange, store)
        exchange.session["n"] = n
        exchange.finish()
        run_commands(exchange, store)
        assert exchange.set_cookie is not None
        headers.append(exchange.set_cookie.split(";", 1)[0])
    return headers


@pytest.mark.parametrize(
    "config", [INSECURE, SessionConfig(cookie_content_security=CookieContentSecurity.SIGNED)]
)
@pytest.mark.parametrize("store_class", [CookieStore, MemoryStore])
def test_hostile_headers_never_crash_and_never_yield_a_session(
    config: SessionConfig, store_class: type[SessionStore | CookieStore]
) -> None:
    store = store_class()
    manager = SessionManager(key=KEY, store=store, config=config, now=Clock())
    stored_sessions(store, manager)

    @given(hostile_cookie_headers(KEY, config))
    def check(header: str) -> None:
        exchange = manager.begin(header)
        assert exchange.next_command() is None, "a hostile header made the core load"
        session = exchange.session
        assert session.copy() == {} and session.new
        exchange.finish()
        assert exchange.done and exchange.set_cookie is None

    check()


def test_hostile_headers_cover_duplicates_oversize_and_odd_characters() -> None:
    assert_covers(
        hostile_cookie_headers(KEY),
        {
            "duplicates": lambda h: h.count("session=") >= 3,
            "oversize": lambda h: len(h) > 4096,
            "non-ASCII": lambda h: not h.isascii(),
            "control characters": lambda h: any(ord(c) < 32 for c in h),
        },
    )


@pytest.mark.parametrize("security", list(CookieContentSecurity))
def test_sealed_envelopes_fail_only_for_their_content(security: CookieContentSecurity) -> None:
    """The hostile "sealed" pieces are sealed right: a valid envelope sealed the same way
    is accepted, so their rejection tests the version, flag, time and UTF-8 checks."""
    manager = SessionManager(
        key=KEY, store=MemoryStore(), config=SessionConfig(cookie_content_security=security)
    )
    codec = manager.settings.codec
    envelope_bytes = struct.pack(">d", 1.7e9) + b"session-key"
    value = _seal(KEY, "session", security, (2 << 4, envelope_bytes), bytes(12))
    envelope = codec.decode(value)
    assert envelope is not None and envelope.payload == b"session-key"
    wrong_version = (1 << 4, envelope_bytes)
    assert codec.decode(_seal(KEY, "session", security, wrong_version, bytes(12))) is None


@given(data=st.data())
def test_hostile_headers_hide_no_session_behind_junk(data: st.DataObject) -> None:
    """The junk is harmless even in front of a genuine cookie: the real session loads."""
    store = MemoryStore()
    manager = SessionManager(key=KEY, store=store, config=INSECURE, now=Clock())
    [genuine, *_] = stored_sessions(store, manager)
    hostile = data.draw(hostile_cookie_headers(KEY, INSECURE))
    exchange = manager.begin(f"{genuine}; {hostile}")
    run_commands(exchange, store)
    assert exchange.session.copy() == {"n": 0}


def test_importing_coatcheck_does_not_import_hypothesis() -> None:
    code = (
        "import sys, coatcheck; "
        "assert 'hypothesis' not in sys.modules and 'coatcheck_testing' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- the browser, the clock and the random source --------------------------------------------


def test_jar_honours_max_age_over_expires_and_expiry_is_exclusive() -> None:
    clock = Clock(1000.0)
    jar = CookieJar(clock)
    jar.receive(["a=1; Max-Age=10; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
    jar.receive(["b=2; Expires=Thu, 01 Jan 1970 00:16:50 GMT"])  # 1010 s
    assert jar.header() == "a=1; b=2"
    clock.advance(9.5)
    assert jar.header() == "a=1; b=2"
    clock.advance(0.5)
    assert jar.header() is None


def test_jar_removes_with_max_age_zero_or_a_past_date() -> None:
    jar = CookieJar(Clock())
    jar.receive(["a=1", "b=2; Path=/", "c=3"])
    jar.receive(["a=; Max-Age=0", "b=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "c=; Max-Age=-5"])
    assert jar.cookies() == []


def test_jar_matches_paths_like_a_browser() -> None:
    jar = CookieJar(Clock())
    jar.receive(["root=1; Path=/", "app=2; Path=/app", "deep=3; Path=/app/admin/"])
    assert jar.header("/app") == "app=2; root=1"
    assert jar.header("/app/x") == "app=2; root=1"
    assert jar.header("/apple") == "root=1"
    assert jar.header("/app/admin/users") == "deep=3; app=2; root=1"
    jar.receive(["implicit=4"], request_path="/shop/cart")
    assert jar.lookup("implicit", None, "/shop") is not None


def test_jar_keeps_same_named_cookies_of_other_domains_apart() -> None:
    jar = CookieJar(Clock())
    jar.receive(["s=ours; Path=/"])
    jar.set(Cookie("s", "theirs", path="/", domain="other.example"))
    jar.receive(["s=; Max-Age=0; Path=/"])
    assert jar.header() == "s=theirs"


def test_jar_restart_drops_only_browser_session_cookies() -> None:
    jar = CookieJar(Clock())
    jar.receive(["session=1", "remembered=2; Max-Age=60"])
    jar.close_browser()
    assert jar.header() == "remembered=2"


def test_tokens_are_distinct_reproducible_and_can_repeat_on_demand() -> None:
    first, second = DeterministicTokens(7), DeterministicTokens(7)
    draws = [first(32) for _ in range(100)]
    assert len(set(draws)) == 100
    assert draws == [second(32) for _ in range(100)]
    first.repeat_next(draws[0])
    assert first(12) != draws[0][:12]  # other sizes are not affected
    assert first(32) == draws[0]
    assert first.pending_repeats() == 0


def test_clock_only_moves_forward() -> None:
    clock = Clock(10.0)
    assert clock.advance(2.5) == 12.5 == clock()
    with pytest.raises(ValueError):
        clock.advance(-1)


# -- the kit fails on broken stores and broken glue ------------------------------------------

CATCH = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class IgnoresExpiry(MemoryStore):
    def load(self, key: str, *, now: float) -> Any:
        return super().load(key, now=float("-inf"))


class NeverDeletes(MemoryStore):
    def delete(self, key: str) -> None:
        pass


class LosesRemovals(MemoryStore):
    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        return super().update(key, state, Delta(delta.changed), ttl=ttl, now=now)


class OverwritesOnSave(MemoryStore):
    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        self.delete(key)
        return super().save(key, state, ttl=ttl, now=now, meta=meta)


class WritesWholeState(MemoryStore):
    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        if self.load(key, now=now) is None:
            return False
        self.delete(key)
        return super().save(key, state, ttl=ttl, now=now)


class ForwardsForever(MemoryStore):
    """Renewed keys keep serving their successor long after the grace window."""

    def renew(
        self,
        key: str,
        new_key: str,
        state: Mapping[str, str],
        delta: Delta,
        *,
        ttl: int,
        now: float,
        grace: int,
        forward: str,
    ) -> bool | Forwarded:
        return super().renew(
            key, new_key, state, delta, ttl=ttl, now=now, grace=grace + 10**7, forward=forward
        )


class RevokesOnlyTheIndex(MemoryStore):
    """``revoke`` forgets the session's index entry but leaves the session usable."""

    def revoke(self, subject: str | int, session_id: str, *, now: float | None = None) -> bool:
        entries = self._index.get(subject_text(subject), {})
        return entries.pop(session_id, None) is not None


# The account stores' faults show only with subjects and a grace window: fix the config.
ACCOUNTS_CONFIG = SessionConfig(cookie_secure=False, subject_key="uid", renew_grace=10)
ACCOUNT_FAULTS = (ForwardsForever, RevokesOnlyTheIndex)


def machine_for(store_class: type[MemoryStore]) -> type[SessionLifecycle]:
    class Machine(SessionLifecycle):
        config = ACCOUNTS_CONFIG if store_class in ACCOUNT_FAULTS else None

        def make_store(self) -> MemoryStore:
            return store_class()

    return Machine


@pytest.mark.parametrize(
    ("store_class", "message"),
    [
        (IgnoresExpiry, r"still holds session .* \(expired\)"),
        (NeverDeletes, "still holds session"),
        (LosesRemovals, "the store holds|the renewed key .* loads"),
        (OverwritesOnSave, "still holds session|handed out the key|the store holds"),
        (ForwardsForever, r"\(renewed away, grace over\)|the application read"),
        (RevokesOnlyTheIndex, r"still holds session .* \(revoked\)"),
    ],
)
def test_lifecycle_catches_a_broken_store(store_class: type[MemoryStore], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(machine_for(store_class), settings=CATCH)


class LeakyStore(MemoryStore):
    """Purges look fine from outside (loads return nothing) but the data stays."""

    def __init__(self) -> None:
        super().__init__()
        self.ghosts: set[str] = set()

    def delete(self, key: str) -> None:
        self.ghosts.add(key)

    def load(self, key: str, *, now: float) -> Any:
        return None if key in self.ghosts else super().load(key, now=now)


def test_lifecycle_live_keys_hook_catches_a_leak() -> None:
    class Machine(SessionLifecycle):
        def make_store(self) -> LeakyStore:
            return LeakyStore()

        def live_keys(self, store: LeakyStore, now: float) -> set[str]:
            return set(store.live_keys(now)) | {k for k in store.ghosts if k in store._sessions}

    with pytest.raises(AssertionError, match="the model says are dead"):
        run_state_machine_as_test(Machine, settings=CATCH)


class DropsSetCookie(ExchangeClient):
    """Adapter glue that forgets to send the cookie."""

    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        return super().request(path, cookie_header, handler)._replace(set_cookies=())


class ForgetsVary(ExchangeClient):
    def request(self, path: str, cookie_header: str | None, handler: Handler | None) -> Response:
        return super().request(path, cookie_header, handler)._replace(vary=False)


@pytest.mark.parametrize(
    ("client_class", "message"),
    [(DropsSetCookie, "should set the session cookie"), (ForgetsVary, "Vary: Cookie is missing")],
)
def test_lifecycle_catches_broken_adapter_glue(
    client_class: type[ExchangeClient], message: str
) -> None:
    class Machine(SessionLifecycle):
        def make_store(self) -> MemoryStore:
            return MemoryStore()

        def make_client(self, manager: SessionManager, store: Any) -> ExchangeClient:
            return client_class(manager, store)

    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(Machine, settings=CATCH)


def test_lifecycle_drives_a_custom_client() -> None:
    """A client of one's own (here: the embedding example's per-request steps) passes."""

    class EmbedClient:
        def __init__(self, manager: SessionManager, store: SessionStore) -> None:
            self.manager, self.store = manager, store

        def request(
            self, path: str, cookie_header: str | None, handler: Handler | None
        ) -> Response:
            exchange = self.manager.begin(cookie_header)
            exchange.load_inline(self.store)
            if handler is not None:
                handler(exchange.session)
            exchange.finish()
            run_commands(exchange, self.store)
            cookies = () if exchange.set_cookie is None else (exchange.set_cookie,)
            return Response(cookies, exchange.vary)

        def close(self) -> None:
            pass

    class Machine(SessionLifecycle):
        eager_load = False

        def make_store(self) -> MemoryStore:
            return MemoryStore()

        def make_client(self, manager: SessionManager, store: Any) -> EmbedClient:
            return EmbedClient(manager, store)

    run_state_machine_as_test(Machine, settings=settings(CATCH, max_examples=50))


def conformance_for(store_class: type[SessionStore]) -> StoreConformance:
    class Suite(StoreConformance):
        make_store = store_class

    return Suite()


@pytest.mark.parametrize(
    ("store_class", "check"),
    [
        (IgnoresExpiry, check_expiry_is_honoured),
        (IgnoresExpiry, check_a_ttl_of_zero_is_dead_at_once),
        (NeverDeletes, check_delete_removes_the_session),
        (NeverDeletes, check_a_session_deleted_during_a_request_stays_deleted),
        (LosesRemovals, check_update_applies_the_delta),
        (OverwritesOnSave, check_save_never_overwrites_a_live_session),
        (WritesWholeState, check_concurrent_updates_to_different_keys_both_survive),
        (WritesWholeState, check_parallel_updates_keep_every_key),
    ],
)
def test_the_store_checks_catch_a_broken_store(
    store_class: type[SessionStore], check: Callable[[StoreTarget], None]
) -> None:
    with opened_store(store_class) as target, pytest.raises(AssertionError):
        check(target)
    with pytest.raises(AssertionError, match=r"^check_\w+: "):  # names the first broken check
        check_store(store_class)
    suite = conformance_for(store_class)
    with pytest.raises(AssertionError):
        getattr(suite, "test_" + check.__name__.removeprefix("check_"))()


def test_the_store_checks_pass_a_sound_store_sync_and_async() -> None:
    check_store(MemoryStore, plant_garbage=plant_memory_garbage)
    check_async_store(lambda: AsyncStoreWrapper(MemoryStore()))


def plant_memory_garbage(store: MemoryStore, now: float) -> list[str]:
    store.save("garbage", {"a": "{not json"}, ttl=60, now=now)
    store.save("nan", {"a": "NaN"}, ttl=60, now=now)
    return ["garbage", "nan"]


def test_conformance_accepts_a_class_a_factory_function_or_a_method() -> None:
    class WithClass(StoreConformance):
        make_store = MemoryStore

    class WithLambda(StoreConformance):
        make_store = staticmethod(lambda: MemoryStore())

    class WithMethod(StoreConformance):
        def make_store(self) -> MemoryStore:
            return MemoryStore()

    class WithZeroArgumentFunction(StoreConformance):
        pass

    def factory() -> MemoryStore:
        return MemoryStore()

    WithZeroArgumentFunction.make_store = factory  # type: ignore[method-assign,assignment]
    name = "test_update_applies_the_delta"  # made from STORE_CHECKS: mypy cannot see it
    for suite_class in (WithClass, WithLambda, WithMethod, WithZeroArgumentFunction):
        getattr(suite_class(), name)()


def test_the_pytest_layer_has_a_test_per_check_and_the_base_needs_no_pytest() -> None:
    tests = {name for name in dir(StoreConformance) if name.startswith("test_")}
    expected = {"test_" + check.__name__.removeprefix("check_") for check in STORE_CHECKS}
    assert tests == expected | {"test_drawn_states_round_trip"}
    code = (
        "import sys, coatcheck_testing; "
        "assert 'pytest' not in sys.modules and 'hypothesis' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
