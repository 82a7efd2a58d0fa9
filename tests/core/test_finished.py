"""A done exchange lets go of its loaded session: no reference cycle outlives a request,
and the session reads after the request exactly as it did at its end."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from coatcheck import (
    CookieStore,
    MemoryStore,
    Session,
    SessionCommittedError,
    SessionConfig,
    SessionStatus,
)
from coatcheck.sansio import Exchange, exchange_of, is_finished
from tests.core.helpers import INSECURE, Client, manager

Handler = Callable[[Session], Any]


def _read(session: Session) -> None:
    session.get("user")


def _write(session: Session) -> None:
    session["visits"] = session.get("visits", 0) + 1


def _cart(session: Session) -> None:
    session.setdefault("cart", []).append("sku-1")


def _renew(session: Session) -> None:
    session.renew()


def _purge(session: Session) -> None:
    session.purge()


def _login(session: Session) -> None:
    session["uid"] = "ada"


def _remember(session: Session) -> None:
    session.permanent = True


HANDLERS: dict[str, Handler] = {
    "read": _read,
    "write": _write,
    "in-place": _cart,
    "renew": _renew,
    "purge": _purge,
    "login": _login,
    "permanent": _remember,
}
STORES: dict[str, Callable[[], CookieStore | MemoryStore]] = {
    "cookie": CookieStore,
    "memory": MemoryStore,
}
CONFIG = SessionConfig(cookie_secure=False, subject_key="uid")


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector off, so that only a reference cycle can keep anything alive."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _client(store_name: str, config: SessionConfig = CONFIG) -> Client:
    store = STORES[store_name]()
    client = Client(manager(config, store=store), store)
    client.request(lambda session: session.update(user="ada", cart=["sku-0"]))
    return client


def _records(session: Session) -> dict[str, Any]:
    """What the application can read of a session besides its items."""
    return {
        "status": session.status,
        "accessed": session.accessed,
        "modified": session.modified,
        "new": session.new,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "id": session.id,
        "permanent": session.permanent,
        "subject": session.subject,
        "authenticated_at": session.authenticated_at,
        "items": dict(session),
    }


@pytest.mark.parametrize("store_name", sorted(STORES))
@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_a_finished_request_leaves_no_cycle(collector: None, store_name: str, handler: str) -> None:
    client = _client(store_name)
    gc.collect()
    exchange = client.request(HANDLERS[handler])
    assert exchange.done and exchange.loaded
    session = exchange.session
    assert is_finished(session)
    assert exchange_of(session) is None
    client.last = None
    del exchange, session
    assert gc.collect() == 0


@pytest.mark.parametrize("store_name", sorted(STORES))
@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_a_finished_session_reads_as_the_exchange_left_it(store_name: str, handler: str) -> None:
    client = _client(store_name)
    seen: dict[str, Any] = {}

    def handle(session: Session) -> None:
        HANDLERS[handler](session)
        seen["exchange"] = exchange_of(session)

    exchange = client.request(handle)
    done: Exchange = seen["exchange"]
    assert done is exchange
    after = _records(exchange.session)
    assert after["status"] is exchange.status()
    assert after["id"] == exchange.current_id()
    assert after["created_at"] == exchange.created_at
    assert after["expires_at"] == exchange.expires_at
    assert after["authenticated_at"] == exchange.authentication_time()
    assert after["accessed"] is exchange.accessed
    assert after["modified"] is exchange.modified
    if handler == "read":
        assert after["status"] is SessionStatus.UNCHANGED


@pytest.mark.parametrize("store_name", sorted(STORES))
def test_a_finished_session_refuses_changes_and_keeps_its_items(store_name: str) -> None:
    client = _client(store_name)
    exchange = client.request(_read)
    session = exchange.session
    assert is_finished(session)
    with pytest.raises(SessionCommittedError):
        session["late"] = 1
    with pytest.raises(SessionCommittedError):
        session.purge()
    assert session["cart"] == ["sku-0"]
    assert "late" not in session
    # Nothing the late calls did reaches the next request.
    assert client.request(lambda session: dict(session)).session == {
        "user": "ada",
        "cart": ["sku-0"],
    }


@pytest.mark.parametrize("store_name", sorted(STORES))
def test_an_untouched_session_keeps_its_exchange_for_a_late_read(store_name: str) -> None:
    client = _client(store_name, INSECURE)
    exchange = client.request()
    session = exchange.session
    assert exchange.done and not exchange.loaded
    assert exchange_of(session) is exchange and not is_finished(session)
    if store_name == "cookie":
        # A streaming body may still read it: the cookie unseals late.
        assert session["user"] == "ada"
        assert is_finished(session)


def test_a_server_error_finishes_the_session_unchanged_in_the_store() -> None:
    client = _client("memory")
    exchange = client.request(_write, status=500)
    session = exchange.session
    assert is_finished(session)
    assert session.status is SessionStatus.CHANGED
    assert client.request(lambda session: None).session.get("visits") is None


def test_is_finished_is_false_for_anything_else() -> None:
    assert not is_finished(Session({"a": 1}))
    assert not is_finished({"a": 1})
    assert not is_finished(None)
