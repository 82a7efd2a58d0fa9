"""The record layout on its own (no server): what goes into the hash comes back out, and
nothing a hash can hold makes decoding raise."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from coatcheck import Delta, SessionMeta, StoredState, session_id
from coatcheck_redis._record import (
    Forward,
    decode_record,
    is_successor_name,
    save_arguments,
    store_key,
    subject_digest,
    update_arguments,
)

NOW = 1_700_000_000.25
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates too
STATES = st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=8)


def as_stored(arguments: list[Any]) -> dict[bytes, bytes]:
    """The hash the save script builds from its arguments, as HGETALL returns it."""
    _ttl, version, expires_at, now, meta, *pairs = arguments
    stored = {b"version": version, b"expires_at": expires_at}
    if meta:
        stored[b"last_active"] = now
    stored.update(zip(pairs[::2], pairs[1::2], strict=True))
    return stored


@given(STATES, st.integers(min_value=1, max_value=10**7))
def test_a_saved_state_decodes_to_itself(state: dict[str, str], ttl: int) -> None:
    assert decode_record(as_stored(save_arguments(state, ttl, NOW)), NOW) == StoredState(
        state, NOW + ttl
    )


@given(STATES)
def test_replies_of_a_decoding_client_read_the_same(state: dict[str, str]) -> None:
    stored = as_stored(save_arguments(state, 60, NOW))
    try:
        decoded = {name.decode(): value.decode() for name, value in stored.items()}
    except UnicodeDecodeError:
        return  # a surrogate: such a client could not have read it at all
    assert decode_record(decoded, NOW) == StoredState(state, NOW + 60)


@given(
    st.dictionaries(st.binary(max_size=12), st.binary(max_size=12)),
    st.floats(min_value=0, max_value=1e13),
)
def test_no_hash_content_makes_decoding_raise(fields: dict[bytes, bytes], now: float) -> None:
    result = decode_record(fields, now)
    assert result is None or isinstance(result, (StoredState, Forward))


def test_the_record_is_dead_from_its_expiry_on() -> None:
    stored = as_stored(save_arguments({"a": "1"}, 60, NOW))
    assert decode_record(stored, NOW + 59.99) is not None
    assert decode_record(stored, NOW + 60) is None


def test_update_arguments_name_fields_like_save_does() -> None:
    arguments = update_arguments(Delta({"a": "1"}, frozenset({"b", "c"})), 60, NOW)
    ttl, version, expires_at, now, removed, *rest = arguments
    assert (ttl, version, expires_at, now, removed) == (
        60,
        b"3",
        b"1700000060250",
        b"1700000000250",
        2,
    )
    assert sorted(rest[:2]) == [b"s:b", b"s:c"]
    assert rest[2:] == [b"s:a", b"1"]
    assert update_arguments(None, 60, NOW)[4:] == [0]


def test_store_keys_are_the_family_tag_and_the_session_id() -> None:
    key = "abc.0123abcd"
    assert store_key(b"app:", key) == b"app:{0123abcd}" + session_id(key).encode()
    # No family (or not one the core draws: braces, upper case) means no hash tag.
    for odd in ("abc", "abc.0123ABCD", "abc.{123456}", ".0123abcd"):
        assert store_key(b"app:", odd) == b"app:" + session_id(odd).encode()


@given(ANY_TEXT, st.none() | st.text("0123456789abcdefABCDEF{}.", min_size=8, max_size=8))
def test_store_keys_name_sessions_by_their_public_id(token: str, family: str | None) -> None:
    """The store computes `coatcheck.session_id` itself (it is on every command's path):
    it must agree with the core for any key, and tag exactly the families the core draws."""
    key = token if family is None else f"{token}.{family}"
    name = store_key(b"p:", key)
    assert name.endswith(session_id(key).encode())
    head, dot, tail = key.rpartition(".")
    tagged = bool(head and dot) and len(tail) == 8 and all(c in "0123456789abcdef" for c in tail)
    tag = b"{%s}" % tail.encode() if tagged else b""
    assert name == b"p:" + tag + session_id(key).encode()


@given(ANY_TEXT, st.floats(min_value=0, max_value=1e12), st.none() | ANY_TEXT)
def test_a_saved_session_of_a_subject_decodes_to_its_state(
    subject: str, created_at: float, user_agent: str | None
) -> None:
    meta = SessionMeta(subject, created_at, user_agent)
    stored = as_stored(save_arguments({"a": "1"}, 60, NOW, meta))
    assert stored[b"subject"] == subject.encode("utf-8", "surrogatepass")
    assert stored[b"index"] == subject_digest(subject).encode()
    assert (b"user_agent" in stored) is (user_agent is not None)
    assert decode_record(stored, NOW) == StoredState({"a": "1"}, NOW + 60)


def test_a_forwarding_record_decodes_as_one_and_only_when_whole() -> None:
    base = {b"version": b"3", b"expires_at": b"1700000010000"}
    pointer = {b"forward": b"F1", b"next": b"p:{0123abcd}" + b"A" * 22}
    assert decode_record(base | pointer, NOW) == Forward(pointer[b"next"], "F1")
    assert decode_record(base | pointer, NOW + 10) is None, "past its window"
    assert decode_record(base | {b"forward": b"F1"}, NOW) is None
    assert decode_record(base | pointer | {b"s:a": b"1"}, NOW) is None
    assert decode_record(base | pointer | {b"subject": b"ada"}, NOW) is None


def test_successors_stay_in_their_family() -> None:
    name = b"p:{0123abcd}" + b"A" * 22
    assert is_successor_name(name, b"p:{0123abcd}" + b"B" * 22)
    assert not is_successor_name(name, name)
    assert not is_successor_name(name, b"p:{0123abce}" + b"B" * 22)
    assert not is_successor_name(name, b"p:{0123abcd}" + b"B" * 21 + b"}")
    assert not is_successor_name(name, b"p:{0123abcd}i:" + b"B" * 20)
