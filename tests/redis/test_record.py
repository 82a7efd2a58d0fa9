"""The record layout on its own (no server): what goes into the hash comes back out, and
nothing a hash can hold makes decoding raise."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from coatcheck import Delta, StoredState
from coatcheck_redis._record import decode_record, save_arguments, store_key, update_arguments

NOW = 1_700_000_000.25
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates too
STATES = st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=8)


def as_stored(arguments: list[Any]) -> dict[bytes, bytes]:
    """The hash the save script builds from its arguments, as HGETALL returns it."""
    _ttl, version, expires_at, *pairs = arguments
    stored = {b"version": version, b"expires_at": expires_at}
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


@given(st.dictionaries(st.binary(max_size=12), st.binary(max_size=12)), st.floats())
def test_no_hash_content_makes_decoding_raise(fields: dict[bytes, bytes], now: float) -> None:
    result = decode_record(fields, now)
    assert result is None or isinstance(result, StoredState)


def test_the_record_is_dead_from_its_expiry_on() -> None:
    stored = as_stored(save_arguments({"a": "1"}, 60, NOW))
    assert decode_record(stored, NOW + 59.99) is not None
    assert decode_record(stored, NOW + 60) is None


def test_update_arguments_name_fields_like_save_does() -> None:
    arguments = update_arguments(Delta({"a": "1"}, frozenset({"b", "c"})), 60, NOW)
    ttl, version, expires_at, now, removed, *rest = arguments
    assert (ttl, version, expires_at, now, removed) == (60, b"1", b"1700000060.25", repr(NOW), 2)
    assert sorted(rest[:2]) == [b"s:b", b"s:c"]
    assert rest[2:] == [b"s:a", b"1"]
    assert update_arguments(None, 60, NOW)[4:] == [0]


def test_store_keys_are_prefixed_sha256_digests() -> None:
    assert store_key(b"app:", "abc") == b"app:" + hashlib.sha256(b"abc").hexdigest().encode()
