"""The session cookie's value: what it carries and how it is protected.

Plaintext ("the envelope"), version 1::

    byte 0      record version (1)
    byte 1      flags: bit 0 = `permanent` was set explicitly, bit 1 = its value
    bytes 2-9   created_at, IEEE 754 double, big endian (seconds since the epoch)
    bytes 10-   the session key, UTF-8 (for CookieStore: the whole encoded state)

Carrying ``created_at`` and ``permanent`` in the cookie lets the core judge the absolute
lifetime and the cookie's persistence without a store round trip.

Protection, chosen by `CookieContentSecurity`:

- PRIVATE: ``base64url(nonce || AES-256-GCM(nonce, envelope, aad=cookie name))`` with a
  random 96-bit nonce and the second half of the key.
- SIGNED: ``base64url(envelope || HMAC-SHA256(name "=" envelope))`` with the first half of
  the key, verified in constant time.

Decoding is strict: a value that is too long, not canonical unpadded base64url, fails
authentication under every key, or carries an unknown version or malformed envelope is
rejected (``None``), never an exception.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import struct
from collections.abc import Callable
from typing import NamedTuple

from cryptography.exceptions import InvalidTag

from ._config import CookieContentSecurity
from ._key import Key

__all__ = ["COOKIE_SIZE_LIMIT", "CookieCodec", "Envelope"]

COOKIE_SIZE_LIMIT = 4096
"""Bytes a browser keeps for one cookie's name plus value (RFC 6265 section 6.1)."""

VERSION = 1
_HEADER = struct.Struct(">BBd")
_NONCE = 12
_TAG = 16
_MAC = 32
_FLAG_EXPLICIT = 0b01
_FLAG_PERMANENT = 0b10


class Envelope(NamedTuple):
    """A decoded cookie: the session key plus what the cookie carries beside it."""

    session_key: str
    created_at: float
    permanent: bool | None
    """The explicit `Session.permanent` override, or ``None`` to follow the config."""
    key_index: int
    """Which of the configured keys accepted the cookie (0 is the current one)."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    # The decoder skips stray characters and ignores padding bits; re-encoding rejects
    # every value that is not the one canonical spelling of its bytes.
    if _b64encode(raw) != text:
        return None
    return raw


class CookieCodec:
    """Encodes and decodes session cookie values for one cookie name and key list."""

    __slots__ = ("_aad", "_keys", "_private", "_token")

    def __init__(
        self,
        cookie_name: str,
        keys: tuple[Key, ...],
        security: CookieContentSecurity,
        token: Callable[[int], bytes],
    ) -> None:
        self._aad = cookie_name.encode("ascii") + b"="
        self._keys = keys
        self._private = security is CookieContentSecurity.PRIVATE
        self._token = token

    def encode(self, session_key: str, created_at: float, permanent: bool | None) -> str:
        """The cookie value for a session, protected with the first key."""
        flags = 0 if permanent is None else _FLAG_EXPLICIT | (_FLAG_PERMANENT * permanent)
        envelope = _HEADER.pack(VERSION, flags, created_at) + session_key.encode("utf-8")
        key = self._keys[0]
        if self._private:
            nonce = self._token(_NONCE)
            return _b64encode(nonce + key._aead.encrypt(nonce, envelope, self._aad))
        mac = hmac.digest(key._signing, self._aad + envelope, "sha256")
        return _b64encode(envelope + mac)

    def decode(self, value: str) -> Envelope | None:
        """The envelope in ``value``, or ``None`` if it is not a genuine cookie of ours."""
        if len(value) + len(self._aad) > COOKIE_SIZE_LIMIT:
            return None
        raw = _b64decode(value)
        if raw is None:
            return None
        found = self._open(raw)
        if found is None:
            return None
        envelope, key_index = found
        if len(envelope) <= _HEADER.size:
            return None
        version, flags, created_at = _HEADER.unpack_from(envelope)
        if version != VERSION or flags & ~(_FLAG_EXPLICIT | _FLAG_PERMANENT):
            return None
        if not math.isfinite(created_at):
            return None
        try:
            session_key = envelope[_HEADER.size :].decode("utf-8")
        except UnicodeDecodeError:
            return None
        permanent = bool(flags & _FLAG_PERMANENT) if flags & _FLAG_EXPLICIT else None
        return Envelope(session_key, created_at, permanent, key_index)

    def _open(self, raw: bytes) -> tuple[bytes, int] | None:
        if self._private:
            if len(raw) < _NONCE + _TAG:
                return None
            nonce, sealed = raw[:_NONCE], raw[_NONCE:]
            for index, key in enumerate(self._keys):
                try:
                    return key._aead.decrypt(nonce, sealed, self._aad), index
                except InvalidTag:
                    continue
            return None
        if len(raw) < _MAC:
            return None
        envelope, mac = raw[:-_MAC], raw[-_MAC:]
        signed = self._aad + envelope
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(hmac.digest(key._signing, signed, "sha256"), mac):
                return envelope, index
        return None
