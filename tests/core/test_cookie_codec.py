"""Cookie values: both protection modes round-trip, and any change is rejected."""

from __future__ import annotations

import base64
import hmac
import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coatcheck import COOKIE_SIZE_LIMIT, CookieContentSecurity, Key
from coatcheck._cookie_codec import CookieCodec, Envelope

KEYS = (Key.from_bytes(bytes(range(64))), Key.from_bytes(bytes(range(1, 65))))
MODES = list(CookieContentSecurity)

session_keys = st.text(min_size=1, max_size=200)
created = st.floats(min_value=0, max_value=4e9, allow_nan=False)
permanent = st.sampled_from([None, True, False])


def codec(
    mode: CookieContentSecurity, keys: tuple[Key, ...] = KEYS, name: str = "session"
) -> CookieCodec:
    return CookieCodec(name, keys, mode, os.urandom)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("mode", MODES)
@given(key=session_keys, created_at=created, flag=permanent)
def test_round_trip(
    mode: CookieContentSecurity, key: str, created_at: float, flag: bool | None
) -> None:
    value = codec(mode).encode(key, created_at, flag)
    assert codec(mode).decode(value) == Envelope(key, created_at, flag, 0)


@pytest.mark.parametrize("mode", MODES)
@given(key=session_keys, data=st.data())
def test_any_bit_flip_is_rejected(
    mode: CookieContentSecurity, key: str, data: st.DataObject
) -> None:
    raw = bytearray(unb64(codec(mode).encode(key, 1.0, None)))
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    assert codec(mode).decode(b64(bytes(raw))) is None


@pytest.mark.parametrize("mode", MODES)
@given(key=session_keys, data=st.data())
def test_any_text_change_is_rejected(
    mode: CookieContentSecurity, key: str, data: st.DataObject
) -> None:
    value = codec(mode).encode(key, 1.0, True)
    kind = data.draw(st.sampled_from(["truncate", "extend", "replace", "insert"]))
    if kind == "truncate":
        changed = value[: data.draw(st.integers(0, len(value) - 1))]
    elif kind == "extend":
        changed = value + data.draw(st.text(min_size=1, max_size=8))
    else:
        index = data.draw(st.integers(0, len(value) - 1))
        char = data.draw(st.characters().filter(lambda c: c != value[index]))
        tail = value[index + 1 :] if kind == "replace" else value[index:]
        changed = value[:index] + char + tail
    assert codec(mode).decode(changed) is None


@pytest.mark.parametrize("mode", MODES)
def test_other_keys_and_other_names_are_rejected(mode: CookieContentSecurity) -> None:
    value = codec(mode).encode("abc", 1.0, None)
    assert codec(mode, keys=(Key.generate(),)).decode(value) is None
    # The cookie name is authenticated: a value moved to another cookie is foreign.
    assert codec(mode, name="other").decode(value) is None
    other_mode = MODES[1 - MODES.index(mode)]
    assert codec(other_mode).decode(value) is None


@pytest.mark.parametrize("mode", MODES)
def test_rotation_reports_the_accepting_key(mode: CookieContentSecurity) -> None:
    old = codec(mode, keys=(KEYS[1],)).encode("abc", 1.0, None)
    decoded = codec(mode, keys=KEYS).decode(old)
    assert decoded is not None and decoded.key_index == 1
    assert codec(mode, keys=(KEYS[0],)).decode(old) is None


def _seal(mode: CookieContentSecurity, plaintext: bytes, name: str = "session") -> str:
    key = KEYS[0]
    aad = name.encode() + b"="
    if mode is CookieContentSecurity.PRIVATE:
        nonce = os.urandom(12)
        return b64(nonce + key._aead.encrypt(nonce, plaintext, aad))
    return b64(plaintext + hmac.digest(key._signing, aad + plaintext, "sha256"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "plaintext",
    [
        struct.pack(">BBd", 2, 0, 1.0) + b"key",  # unknown version
        struct.pack(">BBd", 1, 4, 1.0) + b"key",  # unknown flag
        struct.pack(">BBd", 1, 0, float("nan")) + b"key",  # created_at not finite
        struct.pack(">BBd", 1, 0, 1.0) + b"\xff\xfe",  # session key not UTF-8
        struct.pack(">BBd", 1, 0, 1.0),  # no session key
        b"",
    ],
)
def test_authentic_but_malformed_envelopes_are_rejected(
    mode: CookieContentSecurity, plaintext: bytes
) -> None:
    assert codec(mode).decode(_seal(mode, plaintext)) is None


def test_well_formed_sealed_envelope_is_accepted() -> None:
    for mode in MODES:
        sealed = _seal(mode, struct.pack(">BBd", 1, 3, 5.0) + b"key")
        assert codec(mode).decode(sealed) == Envelope("key", 5.0, True, 0)


@pytest.mark.parametrize("mode", MODES)
def test_oversized_and_non_canonical_values_are_rejected(mode: CookieContentSecurity) -> None:
    assert codec(mode).decode("A" * COOKIE_SIZE_LIMIT) is None
    value = codec(mode).encode("k", 1.0, None)
    assert codec(mode).decode(value + "=") is None
    standard_alphabet = value.replace("-", "+").replace("_", "/")
    if standard_alphabet != value:
        assert codec(mode).decode(standard_alphabet) is None
    assert codec(mode).decode("") is None
    assert codec(mode).decode("!!!!") is None


def test_private_cookies_hide_the_session_key_and_use_fresh_nonces() -> None:
    private = codec(CookieContentSecurity.PRIVATE)
    first = private.encode("visible-session-key", 1.0, None)
    second = private.encode("visible-session-key", 1.0, None)
    assert first != second
    assert b"visible-session-key" not in unb64(first)
    signed = codec(CookieContentSecurity.SIGNED).encode("visible-session-key", 1.0, None)
    assert b"visible-session-key" in unb64(signed)
