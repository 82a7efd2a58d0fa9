"""Accounts in the core: subjects, rotation on login, the index, renewal with a grace
window, the renew/write race, throttled refresh, server errors, presets and the security
log (/work/shared/ACCOUNTS.md; docs/design.md, "Accounts")."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from coatcheck import (
    BrowserSession,
    CookieStore,
    MemoryStore,
    PersistentSession,
    Session,
    SessionConfig,
    TtlExtensionPolicy,
    session_id,
)
from coatcheck.sansio import Exchange, Renew, Update, run_commands
from coatcheck_testing import Clock, RecordingStore, cookie_value, removes_cookie

from .helpers import Client, manager

EVERY = TtlExtensionPolicy.ON_EVERY_REQUEST


def accounts(**overrides: Any) -> SessionConfig:
    arguments: dict[str, Any] = {"cookie_secure": False, "subject_key": "user_id"}
    arguments.update(overrides)
    return SessionConfig(**arguments)


def browser(
    config: SessionConfig | None = None, store: Any = None, clock: Clock | None = None
) -> tuple[Client, Any, Clock]:
    clock = clock or Clock()
    store = MemoryStore() if store is None else store
    return Client(manager(config or accounts(), store=store, clock=clock), store), store, clock


def log_in(user: object) -> Any:
    return lambda session: session.__setitem__("user_id", user)


def cookie_of(exchange: Exchange) -> str:
    assert exchange.set_cookie is not None, "the response set no cookie"
    return cookie_value(exchange.set_cookie)


def removed(exchange: Exchange) -> bool:
    """The response removed the cookie."""
    return exchange.set_cookie is not None and removes_cookie(exchange.set_cookie)


def writes(**values: Any) -> Any:
    """A handler that sets ``values``."""
    return lambda session: session.update(values)


def replay(client: Client, cookie: str, handler: Any = lambda session: None) -> Exchange:
    """A request from another tab that still holds ``cookie``."""
    other = Client(client.manager, client.store)
    other.cookie = cookie
    return other.request(handler)


# -- subjects and rotation -----------------------------------------------------------------


def test_a_login_renews_the_key_and_the_old_one_dies_at_once() -> None:
    client, store, clock = browser()
    client.request(lambda session: session.__setitem__("cart", [1]))
    anonymous = client.cookie
    assert anonymous is not None
    clock.advance(5)
    exchange = client.request(log_in(7), user_agent="Firefox")
    assert client.cookie != anonymous
    assert exchange.session.subject == "7"
    assert exchange.session.authenticated_at == clock()
    # No grace on a change of subject: the pre-login cookie is dead (fixation defence).
    stale = replay(client, anonymous, lambda session: session.get("cart"))
    assert stale.session.copy() == {} and removed(stale)
    (info,) = store.list_sessions(7, now=clock())
    assert info.id == exchange.session.id == session_id(exchange._session_key)
    assert (info.subject, info.user_agent, info.created_at) == ("7", "Firefox", clock() - 5)


@pytest.mark.parametrize("store_kind", ["memory", "cookie"])
def test_authenticated_at_survives_renew_and_resets_on_login_mark_and_purge(
    store_kind: str,
) -> None:
    store = MemoryStore() if store_kind == "memory" else CookieStore()
    client, _, clock = browser(store=store)
    login = clock()
    client.request(log_in("ada"))
    clock.advance(60)
    assert client.request().session.authenticated_at == login
    assert client.request(lambda session: session.renew()).session.authenticated_at == login
    assert client.request().session.is_fresh(timedelta(seconds=61))
    assert not client.request().session.is_fresh(60.0)
    clock.advance(10)
    step_up = client.request(lambda session: session.mark_authenticated())
    assert step_up.session.authenticated_at == clock()
    assert client.request().session.is_fresh(1)
    clock.advance(10)
    switched = client.request(log_in("bob"))
    assert switched.session.authenticated_at == clock() and switched.session.subject == "bob"
    clock.advance(10)

    def purge_then_write(session: Session) -> None:
        session.purge()
        session["n"] = 1

    purged = client.request(purge_then_write)
    assert purged.session.subject is None and purged.session.authenticated_at is None
    assert not purged.session.is_fresh(3600)


@pytest.mark.parametrize("store_kind", ["memory", "cookie"])
def test_a_login_after_a_purge_in_the_same_request_is_a_new_authentication(
    store_kind: str,
) -> None:
    """Log out and back in as the same user in one request (a login view that purges
    first): the purge reset ``authenticated_at``, so the login sets it to now."""
    store = MemoryStore() if store_kind == "memory" else CookieStore()
    client, _, clock = browser(store=store)
    client.request(log_in("ada"))
    clock.advance(60)

    def purge_then_log_in(session: Session) -> None:
        session.purge()
        session["user_id"] = "ada"

    relogged = client.request(purge_then_log_in)
    assert relogged.session.authenticated_at == clock()
    clock.advance(1)
    assert client.request().session.authenticated_at == clock() - 1


def test_mark_authenticated_needs_a_subject() -> None:
    client, _, _ = browser()
    with pytest.raises(ValueError, match="subject_key"):
        client.request(lambda session: session.mark_authenticated())
    with pytest.raises(ValueError, match="subject"):
        Session({"a": 1}).mark_authenticated()


def test_a_logout_that_keeps_other_keys_renews_and_leaves_the_index() -> None:
    client, store, clock = browser()
    client.request(log_in("ada"))
    signed_in = client.cookie
    assert signed_in is not None

    def log_out(session: Session) -> None:
        session.pop("user_id")
        session["flash"] = "bye"

    exchange = client.request(log_out)
    assert exchange.session.subject is None and client.cookie != signed_in
    assert store.count_sessions("ada", now=clock()) == 0
    assert replay(client, signed_in).session.copy() == {}


@pytest.mark.parametrize("bad", [{"id": 1}, 1.5, b"ada", True, ["ada"]])
def test_a_subject_that_is_not_text_or_a_number_fails_the_request_clearly(bad: object) -> None:
    client, store, _ = browser()
    with pytest.raises(TypeError, match=r"session\['user_id'\].*str or an int"):
        client.request(log_in(bad))
    assert client.last is None or client.last.failed
    assert len(store) == 0, "a request with a bad subject wrote something"


@pytest.mark.parametrize("subject", ["ada@example.org", "a:b{c}d", "ключ 🎉", "{", "0", 10**20])
def test_subjects_may_hold_any_characters(subject: object) -> None:
    client, store, clock = browser()
    exchange = client.request(log_in(subject))
    assert [info.id for info in store.list_sessions(subject, now=clock())] == [exchange.session.id]
    assert client.request(lambda session: session["user_id"]).session.subject == str(subject)


def test_session_id_is_none_before_the_first_save_and_under_the_cookie_store() -> None:
    client, _, _ = browser()
    fresh = client.request(writes(n=1))
    assert fresh.session.id is not None  # read after the commit: the session was saved
    assert client.request().session.id == fresh.session.id, "the id is not stable"
    unsaved = client.manager.begin(None, inline_store=MemoryStore())
    assert unsaved.session.id is None
    cookie_client, _, _ = browser(store=CookieStore())
    assert cookie_client.request(log_in(1)).session.id is None


def test_the_cookie_store_keeps_no_index() -> None:
    store = CookieStore()
    calls: list[Callable[[], object]] = [
        lambda: store.list_sessions("ada"),
        lambda: store.revoke("ada", "x"),
        lambda: store.revoke_all("ada"),
        lambda: store.count_sessions("ada"),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="CookieStore keeps no server-side state"):
            call()
    with pytest.raises(TypeError, match="max_sessions_per_subject"):
        manager(accounts(max_sessions_per_subject=2), store=CookieStore())


# -- the index -----------------------------------------------------------------------------


def test_a_request_whose_subject_does_not_change_costs_nothing_more() -> None:
    """Index upkeep rides on the commands a request sends anyway."""
    recording = RecordingStore(performs_io=False)
    client, _, _ = browser(store=recording)
    client.request(log_in("ada"))
    recording.clear()
    client.request(lambda session: session.__setitem__("n", 1))
    client.request()
    assert recording.methods == ["load", "update"]  # and nothing for the untouched one
    # A login costs what a renewal costs: save the new key, delete the old one.
    anonymous, _, _ = browser(store=recording)
    anonymous.request(lambda session: session.__setitem__("cart", [1]))
    recording.clear()
    anonymous.request(log_in("bob"))
    assert recording.methods == ["load", "save", "delete"]


def test_the_cap_ends_the_least_recently_active_sessions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    clock = Clock()
    config = accounts(max_sessions_per_subject=2)
    first, second, third = (browser(config, store, clock)[0] for _ in range(3))
    for device in (first, second):
        device.request(log_in("ada"))
        clock.advance(1)
    first.request(lambda session: session.__setitem__("seen", 1))  # active again
    clock.advance(1)
    with caplog.at_level(logging.WARNING, logger="coatcheck.security"):
        third.request(log_in("ada"))
    assert store.count_sessions("ada", now=clock()) == 2
    assert first.request().session.subject == "ada"
    assert third.request().session.subject == "ada"
    assert second.request().session.subject is None, "the least recently active survived"
    (line,) = [r for r in caplog.records if "max_sessions_per_subject" in r.getMessage()]
    assert "'ada'" in line.getMessage() and "1 least recently" in line.getMessage()


def test_revoking_every_other_device() -> None:
    store = MemoryStore()
    clock = Clock()
    phone, laptop, tablet = (browser(store=store, clock=clock)[0] for _ in range(3))
    for device in (phone, laptop, tablet):
        device.request(log_in("ada"))
    current = phone.request().session.id
    assert store.revoke_all("ada", keep=current, now=clock()) == 2
    assert phone.request().session.subject == "ada"
    for gone in (laptop, tablet):
        exchange = gone.request(lambda session: session.get("user_id"))
        assert exchange.session.copy() == {} and removed(exchange)


def test_a_request_in_flight_cannot_write_a_revoked_session_back() -> None:
    client, store, clock = browser()
    client.request(log_in("ada"))
    exchange = client.manager.begin(client.header)
    run_commands(exchange, store)
    assert exchange.session.subject == "ada"
    store.revoke_all("ada", now=clock())
    exchange.session["cart"] = [1]
    exchange.finish()
    run_commands(exchange, store)
    assert removed(exchange)
    assert store.count_sessions("ada", now=clock()) == 0 and len(store.live_keys(clock())) == 0


# -- renewal with a grace window -----------------------------------------------------------


def renewed(config: SessionConfig | None = None) -> tuple[Client, MemoryStore, Clock, str]:
    """A logged-in browser that just renewed its session; returns the old cookie."""
    client, store, clock = browser(config)
    client.request(log_in("ada"))
    client.request(lambda session: session.__setitem__("cart", []))
    old = client.cookie
    assert old is not None
    client.request(lambda session: session.renew())
    assert client.cookie != old
    return client, store, clock, old


def test_twenty_requests_in_flight_with_the_old_cookie_all_land() -> None:
    client, store, clock, old = renewed()
    start = clock()
    for n in range(20):
        clock.advance(0.05)
        exchange = replay(client, old, lambda session, n=n: session.__setitem__(f"k{n}", n))
        assert exchange.session["user_id"] == "ada" and not exchange.failed
        assert not removed(exchange), "a request in flight lost its session"
        follower = Client(client.manager, store)
        follower.cookie = cookie_of(exchange)
        assert follower.request().session.id == client.request().session.id, (
            "the response did not hand out the successor's cookie"
        )
    assert clock() - start <= 1.0
    final = client.request().session
    assert {f"k{n}" for n in range(20)} <= set(final), "a write through the old key was lost"
    assert store.count_sessions("ada", now=clock()) == 1


def test_the_old_cookie_is_stale_after_the_window(caplog: pytest.LogCaptureFixture) -> None:
    client, _, clock, old = renewed(accounts(renew_grace=10))
    clock.advance(11)
    with caplog.at_level(logging.WARNING, logger="coatcheck.security"):
        exchange = replay(client, old, lambda session: session.get("user_id"))
    assert exchange.session.copy() == {} and removed(exchange)
    assert any("stale session" in record.getMessage() for record in caplog.records)
    assert client.request().session.subject == "ada", "the renewed session is fine"


def test_the_grace_window_never_outlives_the_absolute_lifetime() -> None:
    client, store, clock = browser(accounts(absolute_lifetime=100, renew_grace=30))
    client.request(log_in("ada"))
    old = client.cookie
    assert old is not None
    clock.advance(95)
    recording = []
    exchange = client.manager.begin(client.header)
    exchange.load_inline(store)
    exchange.session.renew()
    exchange.finish()
    while (command := exchange.next_command()) is not None:
        recording.append(command)
        exchange.receive(command.run(store))
    (renew,) = [command for command in recording if isinstance(command, Renew)]
    assert renew.grace == 5


def test_a_forwarded_reissue_expires_with_the_stored_state() -> None:
    """A request in flight with the old cookie writes nothing: the successor's cookie it
    gets expires with the successor's stored state (rounded up), never with a fresh TTL:
    not at once (Max-Age=0) in the last second of the absolute lifetime; and as
    persistent as the renewal made it, whichever way it turned "remember me"."""
    client, _, clock = browser(
        accounts(lifecycle=PersistentSession(session_ttl=3600), absolute_lifetime=100)
    )
    client.request(log_in("ada"))
    old = client.cookie
    assert old is not None
    clock.advance(90)
    client.request(lambda session: session.renew())
    clock.advance(9.5)
    exchange = replay(client, old, lambda session: session.get("user_id"))
    assert exchange.session.subject == "ada" and exchange.set_cookie is not None
    assert exchange.session.expires_at == clock() + 0.5
    assert "Max-Age=1;" in exchange.set_cookie + ";", exchange.set_cookie

    client, _, clock = browser(
        accounts(
            lifecycle=BrowserSession(state_ttl=60),
            permanent_lifecycle=PersistentSession(session_ttl=3600),
        )
    )

    def remember(on: bool, renew: bool = False) -> Callable[[Session], None]:
        def handler(session: Session) -> None:
            session["user_id"] = "ada"
            session.permanent = on
            if renew:
                session.renew()

        return handler

    # The renewal turned "remember me" off: the old, persistent cookie is answered with the
    # successor's browser-session cookie, and the successor keeps its shorter lifetime.
    client.request(remember(True))
    old = client.cookie
    assert old is not None
    client.request(remember(False, renew=True))
    clock.advance(5)
    exchange = replay(client, old, lambda session: session.get("user_id"))
    assert exchange.session.expires_at == clock() + 55 and exchange.set_cookie is not None
    assert "Max-Age" not in exchange.set_cookie and not exchange.session.permanent

    # ...and turned on, the old browser-session cookie cannot undo it: the answer is the
    # successor's persistent cookie, expiring with the stored state.
    client.request(remember(False))
    old = client.cookie
    assert old is not None
    client.request(remember(True, renew=True))
    clock.advance(5)
    exchange = replay(client, old, lambda session: session.get("user_id"))
    assert exchange.session.permanent and exchange.set_cookie is not None
    assert exchange.session.expires_at == clock() + 3595
    assert "Max-Age=3595;" in exchange.set_cookie + ";", exchange.set_cookie


def test_an_untouched_request_forwarded_to_a_remembered_successor_keeps_it_remembered() -> None:
    """The old cookie says "browser session", so the untouched request moves the expiry
    by the short lifetime; the store forwards it to a successor the renewal made
    permanent, so the expiry moves again by the long one and the cookie persists."""
    client, store, clock = browser(
        accounts(
            lifecycle=BrowserSession(state_ttl=60, ttl_extension_policy=EVERY),
            permanent_lifecycle=PersistentSession(session_ttl=3600, ttl_extension_policy=EVERY),
        )
    )
    client.request(log_in("ada"))
    old = client.cookie
    assert old is not None

    def step_up(session: Session) -> None:
        session.mark_authenticated()
        session.permanent = True

    client.request(step_up)
    clock.advance(5)
    exchange = replay(client, old)
    assert not exchange.loaded and exchange.set_cookie is not None
    assert "Max-Age=3600;" in exchange.set_cookie + ";", exchange.set_cookie
    assert cookie_of(exchange) != old
    other = Client(client.manager, store)
    other.cookie = cookie_of(exchange)
    assert other.request(lambda session: session.get("user_id")).session.permanent


def test_a_renewal_without_forwarding_store_or_grace_deletes_the_old_key() -> None:
    client, store, clock, old = renewed(accounts(renew_grace=0))
    assert replay(client, old).session.copy() == {}
    assert len(store.live_keys(clock())) == 1


def test_the_renew_write_race_in_both_orders() -> None:
    """A request that loaded the session before another renewed it, and writes after (or
    just before) the renewal, never loses its write nor gets a cookie for a dead session.
    The two requests' commands are interleaved by hand, 200 runs per order."""
    rng = random.Random(1234)
    for order in ("write first", "renew first"):
        for run in range(200):
            client, store, clock = browser()
            client.request(log_in("ada"))
            key = f"w{rng.randrange(10**6)}"
            writer = client.manager.begin(client.header)
            renewer = client.manager.begin(client.header)
            for exchange in (writer, renewer):
                run_commands(exchange, store)
            writer.session[key] = run
            renewer.session["renewed"] = run
            renewer.session.renew()
            first, second = (writer, renewer) if order == "write first" else (renewer, writer)
            for exchange in (first, second):
                exchange.finish()
                run_commands(exchange, store)
            for exchange in (writer, renewer):
                assert not removed(exchange), f"{order}: cookie removed"
                holder = Client(client.manager, store)
                holder.cookie = cookie_of(exchange) if exchange.set_cookie else client.cookie
                seen = holder.request().session
                assert seen.get(key) == run, f"{order}, run {run}: the write was lost"
                assert seen.get("renewed") == run
            clock.advance(11)
            for exchange in (writer, renewer):
                holder = Client(client.manager, store)
                holder.cookie = cookie_of(exchange)
                if order == "write first" and exchange is writer:
                    continue  # the writer's cookie named the old key, past its window now
                assert holder.request().session.get(key) == run, "a cookie names a dead session"


def test_a_logout_in_a_tab_holding_the_old_cookie_logs_out() -> None:
    client, store, clock, old = renewed()
    exchange = replay(client, old, lambda session: session.purge())
    assert removed(exchange)
    assert client.request().session.copy() == {}
    assert store.count_sessions("ada", now=clock()) == 0


# -- throttled refresh ---------------------------------------------------------------------


def throttled(store: Any) -> tuple[Client, Any, Clock]:
    lifecycle = BrowserSession(state_ttl=1000, ttl_extension_policy=EVERY, refresh_after=0.5)
    return browser(accounts(lifecycle=lifecycle), store=store)


@pytest.mark.parametrize("store_kind", ["memory", "cookie"])
def test_a_throttled_session_writes_once_per_half_ttl(store_kind: str) -> None:
    recording = RecordingStore(performs_io=False)
    client, _, clock = throttled(recording if store_kind == "memory" else CookieStore())
    client.request(log_in("ada"))
    recording.clear()
    set_cookies = 0
    for _ in range(1000):
        clock.advance(0.49)  # 490 s in all: the first half of the TTL
        read = client.request(lambda session: session.get("user_id"))
        untouched = client.request()
        set_cookies += (read.set_cookie is not None) + (untouched.set_cookie is not None)
    assert set_cookies == 0 and "update_ttl" not in recording.methods
    clock.advance(11)  # past half the TTL
    extended = client.request()
    assert extended.set_cookie is not None
    if store_kind == "memory":
        assert recording.methods.count("update_ttl") == 1
    assert client.request().set_cookie is None, "the next request extended again"


def test_a_client_active_more_often_than_the_unthrottled_part_never_expires() -> None:
    client, _, clock = throttled(MemoryStore())
    client.request(log_in("ada"))
    for _ in range(50):
        clock.advance(600)  # 0.6 x TTL, shorter than (1 - 0.5) x TTL... plus margin
        assert client.request().session.subject == "ada"
    lifecycle = BrowserSession(state_ttl=1000, ttl_extension_policy=EVERY, refresh_after=0.5)
    bounded, _, clock = browser(accounts(lifecycle=lifecycle, absolute_lifetime=3000))
    bounded.request(log_in("ada"))
    for _ in range(4):
        clock.advance(600)
        assert bounded.request().session.subject == "ada"
    clock.advance(600)  # 3000 s since the login: the absolute lifetime ends it
    assert bounded.request().session.subject is None


# -- server errors -------------------------------------------------------------------------


def test_a_view_that_writes_then_fails_persists_nothing() -> None:
    client, store, clock = browser()
    client.request(log_in("ada"))
    before = client.cookie
    snapshot = {key: store.load(key, now=clock()) for key in store.live_keys(clock())}

    def write_renew(session: Session) -> None:
        session["cart"] = [1]
        session.renew()

    failed = client.request(write_renew, status=500)
    assert failed.set_cookie is None and client.cookie == before
    after = {key: store.load(key, now=clock()) for key in store.live_keys(clock())}
    assert after == snapshot, "a 500 response changed the store"
    assert client.request().session.copy() == {"user_id": "ada"}, "the old cookie stopped working"
    untouched_extension = browser(accounts(lifecycle=BrowserSession(ttl_extension_policy=EVERY)))
    extending = untouched_extension[0]
    extending.request(log_in("bob"))
    assert extending.request(status=503).set_cookie is None


# -- presets and logs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "absolute", "idle", "policy"),
    [
        (1, timedelta(days=30), timedelta(days=30), TtlExtensionPolicy.ON_STATE_CHANGES),
        (2, timedelta(hours=24), timedelta(hours=1), EVERY),
        (3, timedelta(hours=12), timedelta(minutes=15), EVERY),
    ],
)
def test_nist_presets(
    level: int, absolute: timedelta, idle: timedelta, policy: TtlExtensionPolicy
) -> None:
    config = SessionConfig.nist_aal(level, subject_key="uid", cookie_name="__Host-s")
    assert config.absolute_lifetime == absolute
    assert isinstance(config.lifecycle, BrowserSession)
    assert config.lifecycle.state_ttl == idle
    assert config.lifecycle.ttl_extension_policy is policy
    assert config.subject_key == "uid" and config.cookie_name == "__Host-s"
    with pytest.raises(ValueError, match="level must be 1, 2 or 3"):
        SessionConfig.nist_aal(4)
    overridden = SessionConfig.nist_aal(level, lifecycle=PersistentSession(session_ttl=60))
    assert isinstance(overridden.lifecycle, PersistentSession)


def test_no_log_line_carries_a_key_an_id_or_a_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = "hunter2-session-value"
    with caplog.at_level(logging.DEBUG):
        client, store, clock = browser(accounts(max_sessions_per_subject=1))
        client.request(log_in("ada"))
        client.request(lambda session: session.__setitem__("secret", secret))
        keys_seen = list(store.live_keys(clock()))
        ids_seen = [session_id(key) for key in keys_seen]
        old = client.cookie
        assert old is not None
        client.request(lambda session: session.renew())
        clock.advance(30)
        replay(client, old, lambda session: session.get("x"))
        browser(accounts(max_sessions_per_subject=1), store, clock)[0].request(log_in("ada"))
        keys_seen += store.live_keys(clock())
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "coatcheck.security" in {record.name for record in caplog.records}
    for forbidden in [secret, old, *keys_seen, *ids_seen, *(k.split(".")[0] for k in keys_seen)]:
        assert forbidden not in text, "a log line carries a session key, id or value"


def test_commands_hide_keys_and_data_in_their_reprs() -> None:
    client, store, _, _ = renewed()
    exchange = client.manager.begin(client.header)
    run_commands(exchange, store)
    exchange.session["secret"] = "hunter2"
    exchange.finish()
    command = exchange.next_command()
    assert isinstance(command, Update)
    assert "hunter2" not in repr(command) and command.key not in repr(command)


def test_the_exchange_reports_how_the_cookie_was_classified() -> None:
    client, store, clock, old = renewed()
    assert client.manager.begin(None).incoming is None  # nothing decoded yet

    def classified(header: str | None) -> str | None:
        exchange = client.manager.begin(header)
        run_commands(exchange, store)
        return exchange.incoming

    assert classified(None) == "absent"
    assert classified("session=not-ours") == "invalid"
    assert classified(client.header) == "live"
    assert classified(f"session={old}") == "forwarded"
    clock.advance(11)
    assert classified(f"session={old}") == "stale"
    lifetime, lifetime_store, lifetime_clock = browser(accounts(absolute_lifetime=5))
    lifetime.request(log_in("ada"))
    lifetime_clock.advance(6)
    exchange = lifetime.manager.begin(lifetime.header)
    run_commands(exchange, lifetime_store)
    assert exchange.incoming == "stale_absolute"
