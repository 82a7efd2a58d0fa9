"""The account part of the store contract: the session index and forwarding records.

Run by `check_store` next to the base checks, for a store that declares these
capabilities (``keeps_index``, ``forwards``: true by default). A store that declares
one off is checked to really lack it, so the core never asks it for what it cannot do.
The rules are those of ``coatcheck._accounts`` (and docs/design.md, "Accounts").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from coatcheck import Delta, Forwarded, Key, SessionConfig, SessionManager, SessionMeta
from coatcheck import session_id as id_of
from coatcheck.sansio import family_of, forwards, indexes_subjects, run_commands, subject_family

from ._clock import Clock
from ._cookies import cookie_value
from ._store_target import StoreTarget, fresh_key, texts

__all__ = ["ACCOUNT_CHECKS", "FORWARDING_CHECKS", "INDEX_CHECKS"]

_ODD_SUBJECTS = ("ada@example.org", "a:b{c}d", "ключ 🎉", "", "{", "s:", "*?[]")
_AGENT = "Mozilla/5.0 (X11; Linux x86_64) coatcheck-checks"


def _index(target: StoreTarget) -> Any:
    """The store seen as an index (every method takes ``now=``)."""
    return target.store


def _save_for(
    target: StoreTarget,
    subject: str,
    now: float,
    *,
    ttl: int = 3600,
    user_agent: str | None = _AGENT,
    state: dict[str, Any] | None = None,
) -> str:
    """Save a session of ``subject`` under a fresh key of its family; return the key."""
    key = fresh_key(subject_family(subject))
    meta = SessionMeta(subject, now, user_agent)
    saver: Any = target.store
    saved = saver.save(key, texts(state or {"user": subject}), ttl=ttl, now=now, meta=meta)
    assert saved, "save() refused a fresh key"
    return key


# -- the index -------------------------------------------------------------------------


def check_the_index_lists_a_subjects_live_sessions(target: StoreTarget) -> None:
    """Each session of a subject is listed once with its metadata, most recently
    active first; other subjects' and anonymous sessions are not."""
    now = target.now()
    index = _index(target)
    first = _save_for(target, "ada", now, user_agent=None)
    second = _save_for(target, "ada", now + 1, user_agent="x" * 256)
    _save_for(target, "bob", now)
    target.save({"anonymous": True}, now=now)
    assert index.update_ttl(first, ttl=3600, now=now + 2), "update_ttl of a live session"
    listed = index.list_sessions("ada", now=now + 3)
    assert [info.id for info in listed] == [id_of(first), id_of(second)], (
        "not every session of the subject, most recently active first"
    )
    latest, older = listed
    assert latest.subject == "ada" and older.subject == "ada"
    assert latest.user_agent is None and older.user_agent == "x" * 256
    slack = 0.0 if target.honours_now else 5.0
    assert abs(latest.created_at - now) <= slack and abs(older.created_at - (now + 1)) <= slack
    assert abs(latest.last_active - (now + 2)) <= slack, "last_active did not move with the TTL"
    assert abs(latest.expires_at - (now + 2 + 3600)) <= slack
    assert index.count_sessions("ada", now=now + 3) == 2
    assert index.count_sessions("nobody", now=now + 3) == 0
    assert index.list_sessions("nobody", now=now + 3) == []


def check_subjects_are_text_whatever_they_hold(target: StoreTarget) -> None:
    """An int subject is its text; subjects with any characters stay apart."""
    now = target.now()
    index = _index(target)
    key = _save_for(target, "42", now)
    assert [info.id for info in index.list_sessions(42, now=now)] == [id_of(key)]
    keys = {subject: _save_for(target, subject, now) for subject in _ODD_SUBJECTS}
    for subject, key in keys.items():
        listed = [info.id for info in index.list_sessions(subject, now=now)]
        assert listed == [id_of(key)], f"subject {subject!r} lists {listed}"


def check_revoke_ends_only_a_session_of_that_subject(target: StoreTarget) -> None:
    """``revoke`` ends a live session of the subject; another subject's id, an unknown
    id or a second revoke answer false and end nothing."""
    now = target.now()
    index = _index(target)
    ada = _save_for(target, "ada", now)
    bob = _save_for(target, "bob", now)
    assert index.revoke("ada", id_of(bob), now=now) is False, "revoked another's session"
    assert target.store.load(bob, now=now) is not None, "revoke(ada, bob's id) ended bob's"
    assert index.revoke("ada", "no-such-session-id", now=now) is False
    assert index.revoke("ada", id_of(ada), now=now) is True
    assert target.store.load(ada, now=now) is None, "a revoked session still loads"
    assert index.revoke("ada", id_of(ada), now=now) is False, "revoked twice"
    assert index.count_sessions("ada", now=now) == 0


def check_revoke_all_keeps_only_the_one_asked(target: StoreTarget) -> None:
    """``revoke_all(subject, keep=id)`` ends every other session of the subject and
    nothing of anyone else; without ``keep`` it ends them all."""
    now = target.now()
    index = _index(target)
    keys = [_save_for(target, "ada", now) for _ in range(4)]
    bob = _save_for(target, "bob", now)
    assert index.revoke_all("ada", keep=id_of(keys[1]), now=now) == 3
    alive = [key for key in keys if target.store.load(key, now=now) is not None]
    assert alive == [keys[1]], "revoke_all ended the kept session, or kept others"
    assert target.store.load(bob, now=now) is not None, "revoke_all ended another subject's"
    assert index.revoke_all("ada", now=now) == 1
    assert index.count_sessions("ada", now=now) == 0 and index.list_sessions("ada", now=now) == []


def check_the_index_forgets_deleted_and_expired_sessions(target: StoreTarget) -> None:
    """A deleted or expired session is never listed or counted."""
    now = target.now()
    index = _index(target)
    deleted = _save_for(target, "ada", now)
    dying = _save_for(target, "ada", now, ttl=target.short_ttl)
    lasting = _save_for(target, "ada", now)
    target.store.delete(deleted)
    later = target.past(now, target.short_ttl)
    assert [info.id for info in index.list_sessions("ada", now=later)] == [id_of(lasting)]
    assert index.count_sessions("ada", now=later) == 1
    assert index.revoke("ada", id_of(dying), now=later) is False


def check_cap_ends_the_least_recently_active(target: StoreTarget) -> None:
    """``cap(subject, keep, limit)`` keeps ``keep`` and the most recently active others
    up to ``limit``; it answers how many ended."""
    now = target.now()
    index = _index(target)
    keys = [_save_for(target, "ada", now + step) for step in range(4)]
    other = _save_for(target, "bob", now)
    ended = index.cap("ada", id_of(keys[0]), 2, now=now + 5)
    assert ended == 2, f"cap ended {ended} sessions, not 2"
    alive = [key for key in keys if target.store.load(key, now=now + 5) is not None]
    assert alive == [keys[0], keys[3]], "cap kept the wrong sessions"
    assert target.store.load(other, now=now + 5) is not None
    assert index.cap("ada", id_of(keys[3]), 5, now=now + 5) == 0


def check_a_revoked_session_is_never_written_back(target: StoreTarget) -> None:
    """An update or TTL move after a revocation finds nothing: false, nothing written."""
    now = target.now()
    index = _index(target)
    key = _save_for(target, "ada", now)
    assert index.revoke("ada", id_of(key), now=now)
    delta = Delta(texts({"late": True}))
    assert not target.store.update(key, texts({"late": True}), delta, ttl=60, now=now)
    assert not target.store.update_ttl(key, ttl=60, now=now)
    assert target.store.load(key, now=now) is None
    assert index.count_sessions("ada", now=now) == 0


def check_a_login_through_the_core_is_indexed(target: StoreTarget) -> None:
    """A request that sets the subject renews into the subject's family and indexes
    the session with the request's ``User-Agent``; "log out my other devices" works."""
    manager = _manager(target, subject_key="user_id")
    cookies = []
    for device in ("phone", "laptop"):
        exchange = manager.begin(None, user_agent=device)
        run_commands(exchange, target.store)
        exchange.session["user_id"] = 7
        exchange.finish()
        run_commands(exchange, target.store)
        assert exchange.set_cookie is not None
        cookies.append(f"session={cookie_value(exchange.set_cookie)}")
    index = _index(target)
    listed = index.list_sessions(7, now=manager.now())
    assert sorted(info.user_agent for info in listed) == ["laptop", "phone"]
    phone = manager.begin(cookies[0])
    run_commands(phone, target.store)
    assert phone.session.subject == "7" and phone.session.id in {info.id for info in listed}
    assert index.revoke_all(7, keep=phone.session.id, now=manager.now()) == 1
    laptop = manager.begin(cookies[1])
    run_commands(laptop, target.store)
    assert laptop.session.copy() == {}, "a revoked device still has its session"


# -- forwarding ------------------------------------------------------------------------


def _renew(
    target: StoreTarget,
    key: str,
    now: float,
    *,
    grace: int = 10,
    change: dict[str, Any] | None = None,
    forward: str = "F1",
) -> tuple[str, Any]:
    """Renew ``key`` into a fresh key of its family; return the new key and the answer."""
    new_key = fresh_key(family_of(key))
    changed = texts(change or {})
    renewer: Any = target.store
    answer = renewer.renew(
        key, new_key, changed, Delta(changed), ttl=3600, now=now, grace=grace, forward=forward
    )
    return new_key, answer


def check_renew_moves_the_session_and_forwards_the_old_key(target: StoreTarget) -> None:
    """After ``renew`` the new key holds the state; the old one forwards to it for the
    grace window (``load`` answers the successor with the pointer), then is no session."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    new, answer = _renew(target, old, now, grace=target.short_ttl, change={"renewed": 1})
    assert answer is True, f"renew answered {answer!r}"
    assert target.state(new, now) == texts({"user": "ada", "renewed": 1})
    successor = target.store.load(new, now=now)
    assert successor is not None and successor.forward == ()
    forwarded = target.store.load(old, now=target.before(now, target.short_ttl))
    assert forwarded is not None, "the old key does not forward inside its window"
    assert dict(forwarded.state) == texts({"user": "ada", "renewed": 1})
    assert forwarded.forward == ("F1",), "load did not hand back the sealed pointer"
    assert target.store.load(old, now=target.past(now, target.short_ttl)) is None, (
        "the old key outlived its window"
    )


def check_renew_with_no_grace_ends_the_old_key(target: StoreTarget) -> None:
    """A grace of 0 leaves no forwarding record."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    new, answer = _renew(target, old, now, grace=0)
    assert answer is True and target.state(new, now) is not None
    assert target.store.load(old, now=now) is None


def check_writes_through_an_old_key_land_in_the_successor(target: StoreTarget) -> None:
    """``update`` and ``update_ttl`` through a forwarding key change the successor and
    answer `Forwarded` with the pointer; ``delete`` through it ends the successor."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    new, _ = _renew(target, old, now)
    change = texts({"cart": [1]})
    answer = target.store.update(old, change, Delta(change), ttl=3600, now=now)
    assert answer == Forwarded(("F1",)), f"update through the old key answered {answer!r}"
    assert target.state(new, now) == texts({"user": "ada", "cart": [1]})
    moved = target.store.update_ttl(old, ttl=3600, now=now)
    assert moved == Forwarded(("F1",)), f"update_ttl through the old key answered {moved!r}"
    target.store.delete(old)
    assert target.store.load(new, now=now) is None, "a logout with the old cookie left the session"


def check_renew_keeps_a_write_that_landed_meanwhile(target: StoreTarget) -> None:
    """A write to the old key just before the renewal is carried to the successor."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    change = texts({"cart": [1]})
    assert target.store.update(old, change, Delta(change), ttl=3600, now=now)
    new, _ = _renew(target, old, now, change={"renewed": True})
    assert target.state(new, now) == texts({"user": "ada", "cart": [1], "renewed": True})


def check_a_second_renewal_through_an_old_key_writes_into_the_successor(
    target: StoreTarget,
) -> None:
    """Renewing a key that already forwards keeps the first renewal: the change goes to
    its successor, the answer is `Forwarded`, and the second new key is never created."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    first, _ = _renew(target, old, now)
    second, answer = _renew(target, old, now, change={"step_up": 1}, forward="F2")
    assert answer == Forwarded(("F1",)), f"a renewal through an old key answered {answer!r}"
    assert target.state(first, now) == texts({"user": "ada", "step_up": 1})
    assert target.store.load(second, now=now) is None


def check_forwarding_records_chain(target: StoreTarget) -> None:
    """Two renewals inside one window: the oldest key reaches the newest session, with
    both pointers in order."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    middle, _ = _renew(target, old, now)
    newest, _ = _renew(target, middle, now, forward="F2")
    stored = target.store.load(old, now=now)
    assert stored is not None and stored.forward == ("F1", "F2")
    assert dict(stored.state) == target.state(newest, now)


def check_renew_of_a_vanished_session_is_false(target: StoreTarget) -> None:
    """Renewing a session that was deleted meanwhile writes nothing."""
    now = target.now()
    old = target.save({"user": "ada"}, now=now)
    target.store.delete(old)
    new, answer = _renew(target, old, now)
    assert not answer and target.store.load(new, now=now) is None
    assert target.store.load(old, now=now) is None


def check_renewal_moves_the_index_entry(target: StoreTarget) -> None:
    """A renewed session of a subject is listed under its new id, with its metadata
    (checked when the store keeps the index too)."""
    if not target.keeps_index:
        assert not indexes_subjects(target.store), "the store keeps an index it denies"
        return
    now = target.now()
    old = _save_for(target, "ada", now)
    new, _ = _renew(target, old, now + 1)
    listed = _index(target).list_sessions("ada", now=now + 1)
    assert [info.id for info in listed] == [id_of(new)], "the index still names the old key"
    slack = 0.0 if target.honours_now else 5.0
    assert abs(listed[0].created_at - now) <= slack, "renewal reset created_at"
    assert listed[0].user_agent == _AGENT


def check_an_in_flight_request_follows_a_renewal_through_the_core(target: StoreTarget) -> None:
    """Requests still carrying the old cookie inside the window read the renewed
    session, write into it and get its cookie; a request that loaded before the renewal
    and writes after it writes into the successor too."""
    manager = _manager(target, renew_grace=30)
    created = manager.begin(None)
    run_commands(created, target.store)
    created.session["user"] = "ada"
    created.finish()
    run_commands(created, target.store)
    assert created.set_cookie is not None
    old_cookie = f"session={cookie_value(created.set_cookie)}"

    slow = manager.begin(old_cookie)  # loaded before the renewal, writes after it
    run_commands(slow, target.store)
    renewing = manager.begin(old_cookie)
    run_commands(renewing, target.store)
    renewing.session.renew()
    renewing.finish()
    run_commands(renewing, target.store)
    assert renewing.set_cookie is not None
    new_cookie = f"session={cookie_value(renewing.set_cookie)}"

    slow.session["cart"] = [1]
    slow.finish()
    run_commands(slow, target.store)
    assert slow.set_cookie is not None and cookie_value(slow.set_cookie), (
        "the slow writer's response did not carry the successor's cookie"
    )
    late = manager.begin(old_cookie)
    run_commands(late, target.store)
    assert late.session.copy() == {"user": "ada", "cart": [1]}
    late.session["flash"] = "hi"
    late.finish()
    run_commands(late, target.store)
    assert late.set_cookie is not None and cookie_value(late.set_cookie)
    check = manager.begin(new_cookie)
    run_commands(check, target.store)
    assert check.session.copy() == {"user": "ada", "cart": [1], "flash": "hi"}


def _manager(target: StoreTarget, **config: Any) -> SessionManager:
    return SessionManager(
        key=Key.from_bytes(bytes(range(64))),
        store=target.store,
        config=SessionConfig(cookie_secure=False, **config),
        now=Clock(target.now()) if target.honours_now else time.time,
    )


INDEX_CHECKS: tuple[Callable[[StoreTarget], None], ...] = (
    check_the_index_lists_a_subjects_live_sessions,
    check_subjects_are_text_whatever_they_hold,
    check_revoke_ends_only_a_session_of_that_subject,
    check_revoke_all_keeps_only_the_one_asked,
    check_the_index_forgets_deleted_and_expired_sessions,
    check_cap_ends_the_least_recently_active,
    check_a_revoked_session_is_never_written_back,
    check_a_login_through_the_core_is_indexed,
)
"""The session index, for a store with ``keeps_index``."""

FORWARDING_CHECKS: tuple[Callable[[StoreTarget], None], ...] = (
    check_renew_moves_the_session_and_forwards_the_old_key,
    check_renew_with_no_grace_ends_the_old_key,
    check_writes_through_an_old_key_land_in_the_successor,
    check_renew_keeps_a_write_that_landed_meanwhile,
    check_a_second_renewal_through_an_old_key_writes_into_the_successor,
    check_forwarding_records_chain,
    check_renew_of_a_vanished_session_is_false,
    check_renewal_moves_the_index_entry,
    check_an_in_flight_request_follows_a_renewal_through_the_core,
)
"""Forwarding records, for a store with ``forwards``."""


def check_declared_capabilities(target: StoreTarget) -> None:
    """The store has exactly the account capabilities it declares."""
    store = target.store
    assert indexes_subjects(store) is target.keeps_index, (
        f"keeps_index={target.keeps_index}, but the store "
        f"{'has' if indexes_subjects(store) else 'lacks'} list_sessions/revoke/revoke_all/"
        "count_sessions/cap"
    )
    assert forwards(store) is target.forwards, (
        f"forwards={target.forwards}, but the store {'has' if forwards(store) else 'lacks'} renew()"
    )


ACCOUNT_CHECKS = (check_declared_capabilities,)
"""Run for every store."""
