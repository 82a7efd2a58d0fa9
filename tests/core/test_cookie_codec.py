"""Cookie values: both protection modes round-trip, and any change is rejected."""

from __future__ import annotations

import base64
import hmac
import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coatcheck import CookieContentSecurity, Key
from coatcheck._cookie_codec import (
    _FLAG_EXPLICIT,
    _FLAG_PERMANENT,
    COOKIE_SIZE_LIMIT,
    NOT_OURS,
    CookieCodec,
    Envelope,
    _b64decode,
    peek_permanent,
)

KEYS = (Key.from_bytes(bytes(range(64))), Key.from_bytes(bytes(range(1, 65))))
MODES = list(CookieContentSecurity)

payloads = st.binary(min_size=1, max_size=200)
created = st.floats(min_value=0, max_value=4e9, allow_nan=False)
permanent = st.sampled_from([None, True, False])


def codec(
    mode: CookieContentSecurity, keys: tuple[Key, ...] = KEYS, name: str = "session"
) -> CookieCodec:
    return CookieCodec(name, keys, mode, os.urandom)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("mode", MODES)
@given(key=payloads, created_at=created, flag=permanent)
def test_round_trip(
    mode: CookieContentSecurity, key: bytes, created_at: float, flag: bool | None
) -> None:
    value = codec(mode).encode(key, created_at, flag)
    assert codec(mode).decode(value) == Envelope(key, created_at, flag, 0)


@pytest.mark.parametrize("mode", MODES)
@given(key=payloads, data=st.data())
def test_any_bit_flip_is_rejected(
    mode: CookieContentSecurity, key: bytes, data: st.DataObject
) -> None:
    raw = bytearray(unb64(codec(mode).encode(key, 1.0, None)))
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    assert codec(mode).decode(b64(bytes(raw))) is None


@pytest.mark.parametrize("mode", MODES)
@given(key=payloads, data=st.data())
def test_any_text_change_is_rejected(
    mode: CookieContentSecurity, key: bytes, data: st.DataObject
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
    value = codec(mode).encode(b"abc", 1.0, None)
    assert codec(mode, keys=(Key.generate(),)).decode(value) is None
    # The cookie name is authenticated: a value moved to another cookie is foreign.
    assert codec(mode, name="other").decode(value) is None
    other_mode = MODES[1 - MODES.index(mode)]
    assert codec(other_mode).decode(value) is None


@pytest.mark.parametrize("mode", MODES)
def test_rotation_reports_the_accepting_key(mode: CookieContentSecurity) -> None:
    old = codec(mode, keys=(KEYS[1],)).encode(b"abc", 1.0, None)
    decoded = codec(mode, keys=KEYS).decode(old)
    assert decoded is not None and decoded.key_index == 1
    assert codec(mode, keys=(KEYS[0],)).decode(old) is None


def _seal(mode: CookieContentSecurity, header: int, envelope: bytes, name: str = "session") -> str:
    key = KEYS[0]
    head = bytes([header])
    aad = name.encode() + b"=" + head
    if mode is CookieContentSecurity.PRIVATE:
        nonce = os.urandom(12)
        return b64(head + nonce + key._aead.encrypt(nonce, envelope, aad))
    return b64(head + envelope + hmac.digest(key._signing, aad + envelope, "sha256"))


VALID_HEADER = 2 << 4


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("header", "envelope"),
    [
        (1 << 4, struct.pack(">d", 1.0) + b"key"),  # version 1 (URL-safe base64)
        (3 << 4, struct.pack(">d", 1.0) + b"key"),  # unknown version
        (VALID_HEADER | 2 << 2, struct.pack(">d", 1.0) + b"key"),  # permanent without explicit
        (VALID_HEADER | 1, struct.pack(">d", 1.0) + b"key"),  # low bits set
        (VALID_HEADER, struct.pack(">d", float("nan")) + b"key"),  # created_at not finite
        (VALID_HEADER, struct.pack(">d", 1.0)),  # no payload
        (VALID_HEADER, b""),
    ],
)
def test_authentic_but_malformed_values_are_rejected(
    mode: CookieContentSecurity, header: int, envelope: bytes
) -> None:
    assert codec(mode).decode(_seal(mode, header, envelope)) is None


def test_well_formed_sealed_value_is_accepted() -> None:
    for mode in MODES:
        header = VALID_HEADER | (_FLAG_EXPLICIT | _FLAG_PERMANENT) << 2
        sealed = _seal(mode, header, struct.pack(">d", 5.0) + b"key")
        assert codec(mode).decode(sealed) == Envelope(b"key", 5.0, True, 0)


@pytest.mark.parametrize("mode", MODES)
def test_the_header_is_authenticated_and_peekable(mode: CookieContentSecurity) -> None:
    for permanent in (None, False, True):
        value = codec(mode).encode(b"key", 1.0, permanent)
        assert peek_permanent(value) is permanent
    value = codec(mode).encode(b"key", 1.0, False)
    raw = bytearray(unb64(value))
    raw[0] = VALID_HEADER | (_FLAG_EXPLICIT | _FLAG_PERMANENT) << 2  # claim "remember me"
    forged = b64(bytes(raw))
    assert peek_permanent(forged) is True
    assert codec(mode).decode(forged) is None
    assert peek_permanent("garbage") is NOT_OURS


@pytest.mark.parametrize("mode", MODES)
def test_oversized_and_non_canonical_values_are_rejected(mode: CookieContentSecurity) -> None:
    assert codec(mode).decode("A" * COOKIE_SIZE_LIMIT) is None
    value = codec(mode).encode(b"k", 1.0, None)
    assert codec(mode).decode(value + "=") is None
    urlsafe_alphabet = value.replace("+", "-").replace("/", "_")
    if urlsafe_alphabet != value:
        assert codec(mode).decode(urlsafe_alphabet) is None
    assert codec(mode).decode("") is None
    assert codec(mode).decode("!!!!") is None


def test_private_cookies_hide_the_session_key_and_use_fresh_nonces() -> None:
    private = codec(CookieContentSecurity.PRIVATE)
    first = private.encode(b"visible-session-key", 1.0, None)
    second = private.encode(b"visible-session-key", 1.0, None)
    assert first != second
    assert b"visible-session-key" not in unb64(first)
    signed = codec(CookieContentSecurity.SIGNED).encode(b"visible-session-key", 1.0, None)
    assert b"visible-session-key" in unb64(signed)


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .",
        max_size=24,
    )
)
def test_only_the_canonical_unpadded_spelling_decodes(text: str) -> None:
    """Whatever decodes re-encodes to the very same text: one spelling per byte string."""
    raw = _b64decode(text)
    if raw is not None:
        assert base64.b64encode(raw).rstrip(b"=").decode() == text
    canonical = base64.b64encode(text.encode()).rstrip(b"=").decode()
    assert _b64decode(canonical) == text.encode()
