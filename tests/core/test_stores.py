"""CookieStore and MemoryStore beyond the shared contract: what each one promises."""

from __future__ import annotations

import json
import math
import struct
import threading
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coatcheck import CookieContentSecurity, CookieStore, Delta, MemoryStore, SessionConfig
from coatcheck._cookie_store import pack_record, unpack_record
from coatcheck.sansio import performs_io

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
    store = make_store()
    browser = Client(manager(config, store=store), store)
    browser.request(lambda session: session.update(state))
    loaded = browser.request(lambda session: dict(session)).session
    assert json.dumps(loaded, sort_keys=True) == json.dumps(state, sort_keys=True)


def test_stores_that_do_no_io_say_so() -> None:
    assert performs_io(CookieStore()) is False
    assert performs_io(MemoryStore()) is False
    assert performs_io(object()) is True


def test_the_cookie_record_is_the_expiry_and_one_text_of_the_whole_state() -> None:
    record = pack_record(START + 60, '{"a":1}')
    assert record == b"\x02" + struct.pack(">d", START + 60) + b'{"a":1}'
    assert unpack_record(record) == (START + 60, '{"a":1}')


@pytest.mark.parametrize(
    "record",
    [
        b"",
        b"\x02",
        b"\x02" + struct.pack(">d", START)[:7],
        b"1:9999999999999:1:" + b'["a",1][1]',  # the text record of coatcheck 0.1
        b"\x03" + struct.pack(">d", START + 60) + b"{}",
        b"\x02" + struct.pack(">d", math.inf) + b"{}",
        b"\x02" + struct.pack(">d", math.nan) + b"{}",
        b"\x02" + struct.pack(">d", START + 60) + b"\xff{}",
    ],
)
def test_malformed_records_are_not_records(record: bytes) -> None:
    assert unpack_record(record) is None


@pytest.mark.parametrize("text", ["[1,2]", '"text"', "{not json", "", "{}x", '{"a":NaN}'])
def test_a_genuine_cookie_with_an_unreadable_state_is_a_stale_session(text: str) -> None:
    """Sealed with our key, so ours: the response removes it (never an error)."""
    browser = Client(manager(store=CookieStore()), CookieStore())
    codec = browser.manager.settings.codec
    browser.cookie = codec.encode(pack_record(START + 60, text), START, None)
    exchange = browser.request(lambda session: session.get("a"))
    assert exchange.session == {} and exchange.session.new
    assert exchange.set_cookie is not None and "Max-Age=0" in exchange.set_cookie


def test_cookie_store_is_refused_after_expiry_even_if_the_browser_keeps_it() -> None:
    clock = Clock()
    browser = Client(manager(store=CookieStore(), clock=clock), CookieStore())
    browser.request(lambda session: session.__setitem__("a", 1))
    replayed = browser.cookie
    clock.advance(86400)
    browser.cookie = replayed
    assert browser.request(lambda session: session.get("a")).session == {}


def test_memory_store_keeps_concurrent_changes_to_different_keys() -> None:
    store = MemoryStore()
    assert store.save("k", {"base": "0"}, ttl=60, now=START)
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
    assert store.save("k", {"a": "1"}, ttl=10, now=START) is True
    assert store.save("k", {"a": "2"}, ttl=10, now=START + 5) is False
    assert store.save("k", {"a": "3"}, ttl=10, now=START + 10) is True
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
