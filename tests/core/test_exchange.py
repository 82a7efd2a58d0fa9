"""Every row of the decision table, driven through a real exchange and store."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pytest

from coatcheck import (
    BrowserSession,
    CookieContentSecurity,
    CookieStore,
    Delta,
    Key,
    MemoryStore,
    PersistentSession,
    Session,
    SessionConfig,
    SessionMeta,
    SessionSerializationError,
    SessionStoreError,
    SessionTooLarge,
    StoredState,
    TtlExtensionPolicy,
)
from coatcheck.sansio import ExchangeMisuseError, Load, Save, run_commands, run_commands_async
from coatcheck_testing import AsyncStoreWrapper

from .helpers import KEY, OLD_KEY, START, Client, Clock, RecordingStore, manager

EVERY = TtlExtensionPolicy.ON_EVERY_REQUEST
COOKIE = CookieStore()


def config(**kwargs: Any) -> SessionConfig:
    return SessionConfig(cookie_secure=False, **kwargs)


def client(cfg: SessionConfig | None = None, **kwargs: Any) -> tuple[Client, RecordingStore, Clock]:
    clock = Clock()
    store = RecordingStore(performs_io=False)
    return Client(manager(cfg or config(), store=store, clock=clock, **kwargs), store), store, clock


def logged_in(
    cfg: SessionConfig | None = None, **kwargs: Any
) -> tuple[Client, RecordingStore, Clock]:
    browser, store, clock = client(cfg, **kwargs)
    browser.request(lambda session: session.update(user="ann", items=[1]))
    store.clear()
    return browser, store, clock


def cookie_attributes(header: str | None) -> dict[str, str]:
    assert header is not None
    _, _, attributes = header.partition("; ")
    pairs = (part.partition("=") for part in attributes.split("; "))
    return {name: value for name, _, value in pairs}


# -- absent or invalid cookie ------------------------------------------------------------


def test_absent_and_untouched_costs_nothing() -> None:
    browser, store, _ = client()
    exchange = browser.request()
    assert store.calls == [] and exchange.set_cookie is None and exchange.vary is False


def test_absent_and_read_only_sets_no_cookie_but_varies() -> None:
    browser, store, _ = client()
    exchange = browser.request(lambda session: session.get("user"))
    assert store.calls == [] and exchange.set_cookie is None and exchange.vary is True


def test_absent_then_written_saves_under_a_new_key() -> None:
    browser, store, _ = client()
    exchange = browser.request(lambda session: session.__setitem__("user", "ann"))
    assert store.methods == ["save"]
    assert exchange.set_cookie is not None and exchange.vary
    assert browser.request(lambda session: session["user"]).session == {"user": "ann"}


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "", "a" * 5000, "\u00e9\u00e9", "AAAA", None],
)
def test_invalid_cookie_is_no_session_and_is_not_removed(cookie: str | None) -> None:
    browser, store, _ = client()
    if cookie is None:
        # A genuine cookie of another application using another key.
        other = Client(manager(keys=(Key.generate(),)), MemoryStore())
        other.request(lambda session: session.__setitem__("x", 1))
        cookie = other.cookie
    browser.cookie = cookie
    exchange = browser.request(lambda session: session.get("x"))
    assert exchange.session == {} and exchange.session.new
    assert store.calls == [] and exchange.set_cookie is None


def test_first_genuine_cookie_of_duplicates_wins() -> None:
    browser, _, _ = logged_in()
    genuine = browser.cookie
    exchange = browser.manager.begin(f"session=foreign; session={genuine}")
    run_commands(exchange, browser.store)
    assert exchange.session == {"user": "ann", "items": [1]}


# -- stale -------------------------------------------------------------------------------


def _lose_state(store: RecordingStore) -> None:
    inner = store.inner
    assert isinstance(inner, MemoryStore)
    inner._sessions.clear()


def test_stale_and_untouched_by_the_app_is_removed_once_loaded() -> None:
    browser, store, _ = logged_in()
    _lose_state(store)
    exchange = browser.request(lambda session: session.get("user"))
    assert store.methods == ["load"]
    assert exchange.set_cookie is not None and "Max-Age=0" in exchange.set_cookie
    assert exchange.session.new


def test_stale_then_written_saves_fresh_without_delete() -> None:
    browser, store, _ = logged_in()
    _lose_state(store)
    browser.request(lambda session: session.__setitem__("user", "bob"))
    assert store.methods == ["load", "save"]
    assert browser.request(lambda session: dict(session)).session == {"user": "bob"}


def test_expiry_is_exclusive_and_ttl_zero_dies_at_once() -> None:
    browser, _, clock = logged_in(config(lifecycle=BrowserSession(state_ttl=60)))
    clock.advance(59.999)
    assert browser.request(lambda s: s.get("user")).session == {"user": "ann", "items": [1]}
    clock.advance(0.001)
    assert browser.request(lambda s: s.get("user")).session == {}
    instant, _, _ = logged_in(config(lifecycle=BrowserSession(state_ttl=0)))
    assert instant.cookie is not None
    assert instant.request(lambda s: s.get("user")).session == {}


def test_absolute_lifetime_makes_a_session_stale_and_deletes_it() -> None:
    browser, store, clock = logged_in(
        config(
            absolute_lifetime=timedelta(hours=1),
            lifecycle=BrowserSession(ttl_extension_policy=EVERY),
        )
    )
    clock.advance(3599)
    browser.request(lambda s: s.get("user"))
    assert store.methods == ["load", "update_ttl"]
    store.clear()
    clock.advance(1)
    exchange = browser.request(lambda s: s.get("user"))
    # No load: the cookie's created_at already says it is dead; the store still holds it.
    assert store.methods == ["delete"]
    assert exchange.set_cookie is not None and "Max-Age=0" in exchange.set_cookie


def test_absolute_lifetime_then_written_saves_new_and_deletes_old() -> None:
    browser, store, clock = logged_in(config(absolute_lifetime=timedelta(hours=1)))
    old = store.calls
    clock.advance(3600)
    browser.request(lambda s: s.__setitem__("user", "again"))
    assert store.methods == ["save", "delete"]
    assert old == store.calls


def test_absolute_lifetime_caps_ttl_and_max_age() -> None:
    browser, _, clock = client(
        config(
            lifecycle=PersistentSession(session_ttl=3600), absolute_lifetime=timedelta(minutes=50)
        )
    )
    browser.request(lambda s: s.__setitem__("a", 1))
    clock.advance(40 * 60)
    exchange = browser.request(lambda s: s.__setitem__("a", 2))
    assert cookie_attributes(exchange.set_cookie)["Max-Age"] == "600"


# -- live --------------------------------------------------------------------------------


def test_live_unchanged_costs_one_load_and_sets_nothing() -> None:
    browser, store, _ = logged_in()
    exchange = browser.request(lambda s: s["user"])
    assert store.methods == ["load"] and exchange.set_cookie is None and exchange.vary


def test_live_untouched_costs_nothing() -> None:
    browser, store, _ = logged_in()
    exchange = browser.request()
    assert store.calls == [] and exchange.set_cookie is None and not exchange.vary


def test_live_changed_updates_with_the_delta() -> None:
    browser, store, _ = logged_in()

    def handler(session: Session) -> None:
        session["items"].append(2)
        session["new"] = True
        del session["user"]

    exchange = browser.request(handler)
    assert store.methods == ["load", "update"]
    assert store.deltas[-1] == Delta({"items": "[1,2]", "new": "true"}, frozenset({"user"}))
    assert exchange.set_cookie is not None
    assert browser.request(lambda s: s.get("x")).session == {"items": [1, 2], "new": True}


def test_setting_the_same_value_writes_nothing() -> None:
    browser, store, _ = logged_in()
    exchange = browser.request(lambda s: s.update(user="ann", items=[1]))
    assert store.methods == ["load"] and exchange.set_cookie is None


def test_emptied_session_is_deleted_and_the_cookie_removed() -> None:
    browser, store, _ = logged_in()
    exchange = browser.request(lambda s: s.clear())
    assert store.methods == ["load", "delete"]
    assert exchange.set_cookie is not None and "Max-Age=0" in exchange.set_cookie
    assert browser.cookie is None


def test_purge_deletes_and_removes() -> None:
    browser, store, _ = logged_in()
    exchange = browser.request(lambda s: s.purge())
    assert store.methods == ["load", "delete"]
    assert "Max-Age=0" in (exchange.set_cookie or "")


def test_purge_then_write_starts_a_new_session() -> None:
    browser, store, _ = logged_in()

    def handler(session: Session) -> None:
        session.purge()
        session["flash"] = "logged out"

    browser.request(handler)
    assert store.methods == ["load", "save", "delete"]
    assert browser.request(lambda s: dict(s)).session == {"flash": "logged out"}


@pytest.mark.parametrize("forget", [Session.purge, Session.clear])
def test_purge_and_clear_forget_remember_me(forget: Callable[[Session], None]) -> None:
    """The next person on a shared computer must not inherit "remember me"."""
    browser, _, _ = client()

    def log_in(session: Session) -> None:
        session["user"] = "alice"
        session.permanent = True

    assert "Max-Age=86400" in (browser.request(log_in).set_cookie or "")

    def log_out(session: Session) -> None:
        forget(session)
        session["flash"] = "bye"

    exchange = browser.request(log_out)
    assert exchange.set_cookie is not None and "Max-Age" not in exchange.set_cookie
    assert browser.request(lambda s: s.permanent).session.permanent is False
    exchange = browser.request(lambda s: s.__setitem__("user", "bob"))
    assert exchange.set_cookie is not None and "Max-Age" not in exchange.set_cookie


def test_renew_saves_new_then_deletes_old_and_keeps_created_at() -> None:
    browser, store, clock = logged_in(config(renew_grace=0))
    clock.advance(10)
    browser.request(lambda s: s.renew())
    (_, first), (_, saved), (_, deleted) = store.calls
    assert store.methods == ["load", "save", "delete"]
    assert deleted == first and saved != first
    seen = browser.request(lambda s: s.created_at)
    assert seen.session.created_at == START


def test_renew_with_grace_is_one_renew_command_and_keeps_created_at() -> None:
    browser, store, clock = logged_in()
    clock.advance(10)
    before = browser.cookie
    browser.request(lambda s: s.renew())
    assert store.methods == ["load", "renew"] and browser.cookie != before
    seen = browser.request(lambda s: s.created_at)
    assert seen.session.created_at == START


def test_renew_of_an_emptied_session_just_deletes() -> None:
    browser, store, _ = logged_in()

    def handler(session: Session) -> None:
        session.renew()
        session.clear()

    browser.request(handler)
    assert store.methods == ["load", "delete"]


def test_renew_failure_at_delete_never_loses_the_state() -> None:
    browser, store, _ = logged_in(config(renew_grace=0))
    store.fail_on = {"delete"}
    with pytest.raises(SessionStoreError):
        browser.request(lambda s: s.renew())
    store.fail_on = set()
    # The client kept its old cookie, and the old session is still there.
    assert browser.request(lambda s: dict(s)).session == {"user": "ann", "items": [1]}


def test_a_failed_renew_command_leaves_the_session_where_it_was() -> None:
    browser, store, _ = logged_in()
    store.fail_on = {"renew"}
    with pytest.raises(SessionStoreError):
        browser.request(lambda s: s.renew())
    store.fail_on = set()
    assert browser.request(lambda s: dict(s)).session == {"user": "ann", "items": [1]}


def test_a_session_deleted_during_the_request_stays_deleted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Logout in another tab (or a revocation) while this request ran: its write is
    dropped, its response removes the cookie, and nothing comes back to life."""
    browser, store, _ = logged_in()

    def handler(session: Session) -> None:
        assert session["user"] == "ann"
        _lose_state(store)  # another request purged it, or it was revoked meanwhile
        session["more"] = 1

    with caplog.at_level(logging.WARNING, logger="coatcheck"):
        exchange = browser.request(handler)
    assert store.methods == ["load", "update"]
    assert exchange.set_cookie is not None and "Max-Age=0" in exchange.set_cookie
    assert len(store.inner) == 0  # type: ignore[arg-type]
    assert browser.request(lambda s: dict(s)).session == {}
    [record] = [r for r in caplog.records if "deleted while this request" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "ann" not in record.getMessage()


def test_save_collisions_are_retried_then_reported(caplog: pytest.LogCaptureFixture) -> None:
    class Taken(RecordingStore):
        taken = 2

        def save(
            self,
            key: str,
            state: Mapping[str, str],
            *,
            ttl: int,
            now: float,
            meta: SessionMeta | None = None,
        ) -> bool:
            if self.taken:
                self.taken -= 1
                self.calls.append(("save", key))
                return False
            return super().save(key, state, ttl=ttl, now=now, meta=meta)

    store = Taken(performs_io=False)
    browser = Client(manager(), store)
    browser.request(lambda s: s.__setitem__("a", 1))
    keys = [key for _, key in store.calls]
    assert len(keys) == 3 and len(set(keys)) == 3
    store.taken = 10
    with caplog.at_level(logging.ERROR, logger="coatcheck"), pytest.raises(SessionStoreError):
        Client(manager(), store).request(lambda s: s.__setitem__("a", 1))
    assert [r.levelname for r in caplog.records if r.levelno >= logging.ERROR] == ["ERROR"]


# -- TTL policies ------------------------------------------------------------------------


def test_on_every_request_extends_even_untouched_requests() -> None:
    browser, store, clock = logged_in(config(lifecycle=BrowserSession(60, EVERY)))
    for _ in range(5):
        clock.advance(50)
        exchange = browser.request()
        assert exchange.set_cookie is None  # browser-session cookie, same key: nothing to send
    assert store.methods == ["update_ttl"] * 5
    assert browser.request(lambda s: s["user"]).session["user"] == "ann"


def test_on_every_request_resends_a_persistent_cookie() -> None:
    browser, store, clock = logged_in(config(lifecycle=PersistentSession(60, EVERY)))
    clock.advance(30)
    exchange = browser.request()
    assert store.methods == ["update_ttl"]
    assert cookie_attributes(exchange.set_cookie)["Max-Age"] == "60"


def test_on_every_request_with_the_cookie_store_moves_the_embedded_expiry() -> None:
    clock = Clock()
    browser = Client(
        manager(config(lifecycle=BrowserSession(60, EVERY)), store=COOKIE, clock=clock), COOKIE
    )
    browser.request(lambda s: s.__setitem__("a", 1))
    for _ in range(3):
        clock.advance(50)
        first = browser.cookie
        assert browser.request().set_cookie is not None
        assert browser.cookie != first
    assert browser.request(lambda s: dict(s)).session == {"a": 1}


def test_on_every_request_of_a_vanished_session_removes_the_cookie() -> None:
    browser, store, _ = logged_in(config(lifecycle=BrowserSession(60, EVERY)))
    _lose_state(store)
    exchange = browser.request()
    assert "Max-Age=0" in (exchange.set_cookie or "")


def test_on_state_changes_lets_an_idle_session_expire() -> None:
    browser, _, clock = logged_in(config(lifecycle=BrowserSession(60)))
    clock.advance(50)
    browser.request(lambda s: s["user"])
    clock.advance(50)
    assert browser.request(lambda s: s.get("user")).session == {}


# -- persistence -------------------------------------------------------------------------


def test_browser_session_cookie_has_no_max_age() -> None:
    browser, _, _ = client()
    exchange = browser.request(lambda s: s.__setitem__("a", 1))
    assert "Max-Age" not in cookie_attributes(exchange.set_cookie)


def test_persistent_session_cookie_has_max_age_and_expires() -> None:
    browser, _, _ = client(config(lifecycle=PersistentSession(session_ttl=7200)))
    attributes = cookie_attributes(browser.request(lambda s: s.__setitem__("a", 1)).set_cookie)
    assert attributes["Max-Age"] == "7200"
    assert attributes["Expires"] == "Wed, 15 Nov 2023 00:13:20 GMT"


def remember_me(session: Session) -> None:
    session["a"] = 1
    session.permanent = True


def forget_me(session: Session) -> None:
    session["a"] = 1
    session.permanent = False


def test_permanent_override_in_both_directions() -> None:
    browser, _, _ = client(config(lifecycle=BrowserSession(state_ttl=100)))
    exchange = browser.request(remember_me)
    assert cookie_attributes(exchange.set_cookie)["Max-Age"] == "100"
    exchange = browser.request(lambda s: setattr(s, "permanent", False))
    assert "Max-Age" not in cookie_attributes(exchange.set_cookie)
    persistent, _, _ = client(config(lifecycle=PersistentSession(session_ttl=100)))
    exchange = persistent.request(forget_me)
    assert "Max-Age" not in cookie_attributes(exchange.set_cookie)


def test_permanent_lifecycle_applies_to_permanent_sessions() -> None:
    cfg = config(
        lifecycle=BrowserSession(state_ttl=60),
        permanent_lifecycle=PersistentSession(session_ttl=3600, ttl_extension_policy=EVERY),
    )
    browser, store, clock = client(cfg)
    browser.request(remember_me)
    clock.advance(1800)
    exchange = browser.request()  # untouched: the cookie says it is permanent, so extend
    assert store.methods[-1] == "update_ttl"
    assert cookie_attributes(exchange.set_cookie)["Max-Age"] == "3600"


def test_setting_permanent_to_its_current_value_is_no_change() -> None:
    browser, store, _ = logged_in()
    exchange = browser.request(lambda s: setattr(s, "permanent", False))
    assert store.methods == ["load"] and exchange.set_cookie is None


# -- key rotation ------------------------------------------------------------------------


def test_cookie_under_an_old_key_is_accepted_and_reissued() -> None:
    old, store, _ = logged_in(keys=(OLD_KEY,))
    browser = Client(manager(keys=(KEY, OLD_KEY)), old.store)
    browser.cookie = old.cookie
    store.clear()
    exchange = browser.request(lambda s: s["user"])
    assert store.methods == ["load"]  # same session key, nothing written
    assert exchange.set_cookie is not None and browser.cookie != old.cookie
    # The re-issued cookie works under the new key alone.
    browser.manager = manager(keys=(KEY,))
    assert browser.request(lambda s: dict(s)).session["user"] == "ann"


def test_untouched_requests_do_not_reissue() -> None:
    old, _, _ = logged_in(keys=(OLD_KEY,))
    browser = Client(manager(keys=(KEY, OLD_KEY)), old.store)
    browser.cookie = old.cookie
    assert browser.request().set_cookie is None


# -- the cookie itself -------------------------------------------------------------------


def test_set_cookie_attributes_in_order() -> None:
    cfg = SessionConfig(
        cookie_name="sid",
        cookie_path="/app",
        cookie_domain=".example.com",
        cookie_same_site="none",
        cookie_partitioned=True,
        lifecycle=PersistentSession(session_ttl=60),
    )
    browser = Client(manager(cfg, store=(store := MemoryStore())), store)
    header = browser.request(lambda s: s.__setitem__("a", 1)).set_cookie
    assert header is not None
    assert re.fullmatch(
        r"sid=[A-Za-z0-9+/]+; Expires=[^;]+ GMT; Max-Age=60; Path=/app; "
        r"Domain=\.example\.com; Secure; HttpOnly; SameSite=None; Partitioned",
        header,
    )
    removal = browser.request(lambda s: s.purge()).set_cookie
    assert removal == (
        "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/app; "
        "Domain=.example.com; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def test_too_large_is_refused_and_names_the_biggest_keys() -> None:
    browser = Client(manager(store=COOKIE), COOKIE)

    def handler(session: Session) -> None:
        session.update(small="x", big="y" * 3000, bigger="z" * 3500)

    with pytest.raises(SessionTooLarge) as raised:
        browser.request(handler)
    assert raised.value.biggest_keys[:2] == ("bigger", "big")
    assert browser.last is None or browser.last.set_cookie is None
    # Just under the limit fits: the check is on the final encoded cookie.
    Client(manager(store=COOKIE), COOKIE).request(lambda s: s.__setitem__("k", "v" * 2800))


def test_unserializable_value_names_its_key() -> None:
    browser, _, _ = client()
    with pytest.raises(SessionSerializationError, match="'when'"):
        browser.request(lambda s: s.__setitem__("when", object()))
    with pytest.raises(SessionSerializationError, match="nan"):
        browser.request(lambda s: s.__setitem__("nan", float("nan")))


@pytest.mark.parametrize("security", list(CookieContentSecurity))
def test_signed_and_private_both_work_end_to_end(security: CookieContentSecurity) -> None:
    browser = Client(manager(config(cookie_content_security=security), store=COOKIE), COOKIE)
    browser.request(lambda s: s.update(user="\u00e9l\u00e8ve", n=[1, {"x": None}]))
    assert browser.request(lambda s: dict(s)).session == {
        "user": "\u00e9l\u00e8ve",
        "n": [1, {"x": None}],
    }


# -- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "handler"),
    [
        ("load", lambda s: s.get("user")),
        ("update", lambda s: s.__setitem__("user", "bob")),
        ("delete", lambda s: s.purge()),
    ],
)
def test_store_failure_is_one_logged_error_and_no_cookie(
    method: str, handler: Any, caplog: pytest.LogCaptureFixture
) -> None:
    browser, store, _ = logged_in()
    store.fail_on = {method}
    with (
        caplog.at_level(logging.ERROR, logger="coatcheck"),
        pytest.raises(SessionStoreError) as raised,
    ):
        browser.request(handler)
    assert isinstance(raised.value.__cause__, ConnectionError)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert method in errors[0].getMessage().lower()


def test_garbage_from_the_store_is_a_stale_session() -> None:
    class Garbage(RecordingStore):
        def load(self, key: str, *, now: float) -> StoredState | None:
            return StoredState({"a": "{not json"})

    browser = Client(manager(), Garbage())
    browser.request(lambda s: s.__setitem__("a", 1))
    exchange = browser.request(lambda s: s.get("a"))
    assert exchange.session == {} and "Max-Age=0" in (exchange.set_cookie or "")


def test_read_after_an_untouched_commit_still_loads() -> None:
    browser, _, _ = logged_in()
    exchange = browser.request()  # headers went out without touching the session
    assert exchange.session["user"] == "ann"


def test_commands_and_results_alternate() -> None:
    browser, store, _ = logged_in()
    exchange = browser.manager.begin(browser.header)
    command = exchange.next_command()
    assert isinstance(command, Load)
    exchange.receive(command.run(store))
    assert exchange.next_command() is None
    with pytest.raises(ExchangeMisuseError, match="no command is waiting"):
        exchange.receive(None)
    # Sticky, as in h11: the exchange failed and sets no cookie.
    assert exchange.failed and exchange.finish() is False and exchange.set_cookie is None


def test_asking_for_a_command_before_feeding_the_last_result_is_a_misuse() -> None:
    browser, _, _ = logged_in()
    exchange = browser.manager.begin(browser.header)
    assert isinstance(exchange.next_command(), Load)
    with pytest.raises(ExchangeMisuseError, match="receive"):
        exchange.next_command()
    assert exchange.failed and exchange.next_command() is None


def test_the_async_driver_matches_the_sync_one() -> None:
    import asyncio

    async def scenario() -> list[Any]:
        store = AsyncStoreWrapper()
        mgr = manager(store=store)
        seen: list[Any] = []
        cookie = None
        for step in range(3):
            exchange = mgr.begin(f"session={cookie}" if cookie else None)
            await run_commands_async(exchange, store)
            seen.append(dict(exchange.session))
            exchange.session[f"k{step}"] = step
            exchange.finish()
            await run_commands_async(exchange, store)
            assert exchange.set_cookie is not None
            cookie = exchange.set_cookie.split(";")[0].split("=", 1)[1]
        return seen

    assert asyncio.run(scenario()) == [{}, {"k0": 0}, {"k0": 0, "k1": 1}]


def test_injected_clock_and_token_make_it_deterministic() -> None:
    def run() -> list[str | None]:
        browser = Client(manager(store=(store := MemoryStore())), store)
        return [
            browser.request(lambda s: s.__setitem__("a", 1)).set_cookie,
            browser.request(lambda s: s.renew()).set_cookie,
        ]

    assert run() == run()


def test_save_command_carries_the_serialized_state() -> None:
    mgr = manager()
    exchange = mgr.begin(None)
    exchange.next_command()
    exchange.session["a"] = [1, "two"]
    exchange.finish()
    command = exchange.next_command()
    assert isinstance(command, Save)
    assert command.state == {"a": '[1,"two"]'} and command.ttl == 86400 and command.now == START
    # 256 random bits in URL-safe base64, then the key's family (eight hex digits).
    token, family = command.key.split(".")
    assert len(token) == 43 and len(family) == 8 and int(family, 16) >= 0


def test_finish_says_whether_commands_must_run() -> None:
    browser, store, _ = logged_in()
    untouched = browser.manager.begin(browser.header, inline_store=store)
    assert untouched.finish() is False
    assert untouched.finish() is False  # idempotent
    written = browser.manager.begin(browser.header, inline_store=store)
    written.session["user"] = "bob"
    assert written.finish() is True
    run_commands(written, store)
    assert written.set_cookie is not None
    assert written.finish() is False


def test_an_untouched_request_reads_persistence_from_the_cookie_without_decrypting() -> None:
    cfg = config(
        lifecycle=BrowserSession(state_ttl=60),
        permanent_lifecycle=PersistentSession(session_ttl=3600, ttl_extension_policy=EVERY),
    )
    browser, store, _ = client(cfg)
    browser.request(lambda s: s.__setitem__("a", 1))
    store.clear()
    browser.request()
    assert store.calls == []  # not "remember me": nothing to extend, nothing decoded
    browser.request(lambda s: setattr(s, "permanent", True))
    store.clear()
    browser.request()
    assert store.methods == ["update_ttl"]
