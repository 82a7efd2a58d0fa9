"""CookieStore and MemoryStore beyond the shared contract: what each one promises."""

from __future__ import annotations

import json
import threading
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coatcheck import (
    CookieContentSecurity,
    CookieStore,
    Delta,
    MemoryStore,
    SessionConfig,
    performs_io,
)

from .helpers import START, Client, Clock, manager

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
states = st.dictionaries(st.text(min_size=1, max_size=10), json_values, min_size=1, max_size=6)


@pytest.mark.parametrize("security", list(CookieContentSecurity))
@pytest.mark.parametrize("make_store", [CookieStore, MemoryStore])
@settings(max_examples=60)
@given(state=states)
def test_any_json_state_round_trips(
    security: CookieContentSecurity, make_store: Any, state: dict[str, Any]
) -> None:
    config = SessionConfig(cookie_secure=False, cookie_content_security=security)
    browser = Client(manager(config), make_store())
    browser.request(lambda session: session.update(state))
    loaded = browser.request(lambda session: dict(session)).session
    assert json.dumps(loaded, sort_keys=True) == json.dumps(state, sort_keys=True)


def test_stores_that_do_no_io_say_so() -> None:
    assert performs_io(CookieStore()) is False
    assert performs_io(MemoryStore()) is False
    assert performs_io(object()) is True


def test_cookie_store_embeds_issued_at_and_expiry() -> None:
    store = CookieStore()
    record = store.save("ignored", {"a": "1"}, ttl=60, now=START)
    # Version, expiry and issue time in whole milliseconds, the index, then the values.
    assert record == '1:1700000060000:1700000000000:["a",1][1]'
    loaded = store.load(record, now=START + 59)
    assert loaded is not None and loaded.state == {"a": "1"} and loaded.expires_at == START + 60
    assert store.load(record, now=START + 60) is None
    assert store.update_ttl(record, ttl=60, now=START + 60) is None
    moved = store.update_ttl(record, ttl=60, now=START + 30)
    assert moved is not None and store.load(moved, now=START + 89) is not None


@pytest.mark.parametrize(
    "record",
    [
        "",
        "1:2:3",
        '2:9999999999999:1:["a",1][1]',
        '1:x:1:["a",1][1]',
        '1:1.5e99:1:["a",1][1]',
        '1:9999999999999:1:["a",1][12]',
        '1:9999999999999:1:["a",2][1]',
        '1:9999999999999:1:["a"][1]',
        '1:9999999999999:1:["a","b"][1]',
        "1:9999999999999:1:{}[]",
        "1:9999999999999:1:[][]x",
        "1:9999999999999:1:[",
    ],
)
def test_cookie_store_treats_malformed_records_as_no_session(record: str) -> None:
    store = CookieStore()
    assert store.load(record, now=START) is None
    if not record.startswith("1:9999999999999:"):
        # Writes check the header only: the body was read (and checked) by the load.
        assert store.update(record, {}, Delta(), ttl=1, now=START) is None
        assert store.update_ttl(record, ttl=1, now=START) is None


def test_cookie_store_is_refused_after_expiry_even_if_the_browser_keeps_it() -> None:
    clock = Clock()
    browser = Client(manager(clock=clock), CookieStore())
    browser.request(lambda session: session.__setitem__("a", 1))
    replayed = browser.cookie
    clock.advance(86400)
    browser.cookie = replayed
    assert browser.request(lambda session: session.get("a")).session == {}


def test_memory_store_keeps_concurrent_changes_to_different_keys() -> None:
    store = MemoryStore()
    key = store.save("k", {"base": "0"}, ttl=60, now=START)
    assert key == "k"
    barrier = threading.Barrier(16)

    def writer(index: int) -> None:
        barrier.wait()
        for round_ in range(50):
            store.update("k", {}, Delta({f"w{index}": str(round_)}), ttl=60, now=START)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    loaded = store.load("k", now=START)
    assert loaded is not None
    assert dict(loaded.state) == {"base": "0", **{f"w{i}": "49" for i in range(16)}}


def test_memory_store_refuses_a_taken_key_and_frees_expired_ones() -> None:
    store = MemoryStore()
    assert store.save("k", {"a": "1"}, ttl=10, now=START) == "k"
    assert store.save("k", {"a": "2"}, ttl=10, now=START + 5) is None
    assert store.save("k", {"a": "3"}, ttl=10, now=START + 10) == "k"
    loaded = store.load("k", now=START + 11)
    assert loaded is not None and loaded.state == {"a": "3"}


def test_memory_store_state_cannot_be_changed_behind_its_back() -> None:
    store = MemoryStore()
    state = {"a": "1"}
    store.save("k", state, ttl=10, now=START)
    state["a"] = "2"
    loaded = store.load("k", now=START)
    assert loaded is not None and loaded.state == {"a": "1"}
    with pytest.raises(TypeError):
        loaded.state["a"] = "3"  # type: ignore[index]


def test_memory_store_stays_bounded_under_churn() -> None:
    store = MemoryStore()
    tracemalloc.start()
    try:
        now = START
        baseline = None
        for index in range(10_000):
            now += 1
            store.save(f"s{index}", {"user": '"someone"', "n": str(index)}, ttl=60, now=now)
            if index % 3 == 0:
                store.update_ttl(f"s{index}", ttl=60, now=now)
            if index == 2_000:
                baseline = tracemalloc.get_traced_memory()[0]
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(store) <= 61
    assert baseline is not None and current < baseline * 1.5
