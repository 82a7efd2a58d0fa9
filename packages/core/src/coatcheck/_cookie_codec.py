"""The session cookie's value: what it carries and how it is protected.

Layout, version 1 (before base64url)::

    byte 0      header: version << 4 | flags << 2, the low two bits zero
                flags: bit 0 = `permanent` was set explicitly, bit 1 = its value
    then        the envelope, sealed:
                  8 bytes   created_at, IEEE 754 double, big endian (seconds since the epoch)
                  the rest  the session key, UTF-8 (for CookieStore: the whole record)

Carrying ``created_at`` and ``permanent`` in the cookie lets the core judge the absolute
lifetime and the cookie's persistence without a store round trip. The header is visible
but authenticated: because of its layout, the first character of the cookie value alone
names the version and the persistence (`peek_permanent`), so an untouched request can
tell whether its session is one that must be extended without decrypting anything.

Protection, chosen by `CookieContentSecurity`:

- PRIVATE: ``header || nonce || AES-256-GCM(nonce, envelope, aad=name "=" header)`` with
  a random 96-bit nonce and the second half of the key.
- SIGNED: ``header || envelope || HMAC-SHA256(name "=" header envelope)`` with the first
  half of the key, verified in constant time.

Decoding is strict: a value that is too long, not canonical unpadded base64url, fails
authentication under every key, or carries an unknown version or malformed envelope is
rejected (``None``), never an exception.
"""

from __future__ import annotations

import binascii
import hmac
import math
import struct
from collections.abc import Callable
from typing import NamedTuple

from cryptography.exceptions import InvalidTag

from ._config import CookieContentSecurity
from ._key import Key

__all__ = ["COOKIE_SIZE_LIMIT", "CookieCodec", "Envelope", "peek_permanent"]

COOKIE_SIZE_LIMIT = 4096
"""Bytes a browser keeps for one cookie's name plus value (RFC 6265 section 6.1)."""

VERSION = 1
_CREATED = struct.Struct(">d")
_CREATED_SIZE = _CREATED.size
_unpack_created = _CREATED.unpack_from
_NONCE = 12
_TAG = 16
_MAC = 32
_FLAG_EXPLICIT = 0b01
_FLAG_PERMANENT = 0b10
_FLAGS = _FLAG_EXPLICIT | _FLAG_PERMANENT
# The first base64url character carries the header's top six bits: version and flags.
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HEADERS = {flags: bytes([VERSION << 4 | flags << 2]) for flags in (0, 1, 3)}
_FLAGS_OF = {header[0]: flags for flags, header in _HEADERS.items()}
_PEEK: dict[str, bool | None] = {
    _ALPHABET[VERSION << 2 | 0]: None,
    _ALPHABET[VERSION << 2 | _FLAG_EXPLICIT]: False,
    _ALPHABET[VERSION << 2 | _FLAG_EXPLICIT | _FLAG_PERMANENT]: True,
}


_new_tuple = tuple.__new__


class Envelope(NamedTuple):
    """A decoded cookie: the session key plus what the cookie carries beside it."""

    session_key: str
    created_at: float
    permanent: bool | None
    """The explicit `Session.permanent` override, or ``None`` to follow the config."""
    key_index: int
    """Which of the configured keys accepted the cookie (0 is the current one)."""


# binascii speaks the standard alphabet; these translate between it and the URL-safe
# one. On the way in "+", "/" and "=" (never in unpadded URL-safe text) become "!",
# which no encoding produces, so the canonical check below rejects them.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_+/=", b"+/!!!")
_PADDING = (b"", b"===", b"==", b"=")


def _b64encode(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).rstrip(b"=").translate(_TO_URLSAFE).decode()


# The last character of canonical unpadded base64 leaves its unused low bits at zero:
# 4 of them after 2 characters of a group (index a multiple of 16), 2 after 3.
_LAST_OF: tuple[frozenset[str] | None, ...] = (
    None,
    frozenset(),
    frozenset("AQgw"),
    frozenset("AEIMQUYcgkosw048"),
)


def _b64decode(text: str) -> bytes | None:
    size = len(text)
    last = _LAST_OF[size % 4]
    if last is not None and text[-1] not in last:
        return None
    try:
        standard = text.encode("ascii").translate(_FROM_URLSAFE) + _PADDING[size % 4]
        raw = binascii.a2b_base64(standard)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    # The decoder skips characters outside the alphabet; each one makes the result short.
    # With the padding-bit check above, only the one canonical spelling of bytes passes.
    if len(raw) != size * 3 // 4:
        return None
    return raw


class _NotOurs:
    """The type of `NOT_OURS`."""

    def __repr__(self) -> str:
        return "NOT_OURS"


NOT_OURS = _NotOurs()
"""What `peek_permanent` returns for a value that is not a cookie of ours."""


def peek_permanent(value: str) -> bool | _NotOurs | None:
    """The ``permanent`` override a cookie value claims, from its first character alone.

    Returns `NOT_OURS` for a value that cannot be a version-1 cookie of ours. The claim
    is authenticated only when the value is decoded: use it to skip work, never to
    grant anything.
    """
    return _PEEK.get(value[:1], NOT_OURS)


class CookieCodec:
    """Encodes and decodes session cookie values for one cookie name and key list."""

    __slots__ = ("_aad", "_aeads", "_limit", "_private", "_signers", "_token")

    def __init__(
        self,
        cookie_name: str,
        keys: tuple[Key, ...],
        security: CookieContentSecurity,
        token: Callable[[int], bytes],
    ) -> None:
        self._aad = cookie_name.encode("ascii") + b"="
        self._limit = COOKIE_SIZE_LIMIT - len(self._aad)
        self._aeads = tuple(key._aead for key in keys)
        self._signers = tuple(key._signing for key in keys)
        self._private = security is CookieContentSecurity.PRIVATE
        self._token = token

    def encode(self, session_key: str, created_at: float, permanent: bool | None) -> str:
        """The cookie value for a session, protected with the first key."""
        flags = 0 if permanent is None else _FLAG_EXPLICIT | (_FLAG_PERMANENT * permanent)
        header = _HEADERS[flags]
        envelope = _CREATED.pack(created_at) + session_key.encode("utf-8", "surrogatepass")
        if self._private:
            nonce = self._token(_NONCE)
            sealed = self._aeads[0].encrypt(nonce, envelope, self._aad + header)
            return _b64encode(header + nonce + sealed)
        mac = hmac.digest(self._signers[0], self._aad + header + envelope, "sha256")
        return _b64encode(header + envelope + mac)

    def decode(self, value: str) -> Envelope | None:
        """The envelope in ``value``, or ``None`` if it is not a genuine cookie of ours."""
        if len(value) > self._limit or value[:1] not in _PEEK:
            return None
        raw = _b64decode(value)
        if raw is None:
            return None
        found = self._open(raw) if self._private else self._verify(raw)
        if found is None:
            return None
        envelope, key_index = found
        flags = _FLAGS_OF.get(raw[0])
        if flags is None or len(envelope) <= _CREATED_SIZE:
            return None
        (created_at,) = _unpack_created(envelope)
        if not math.isfinite(created_at):
            return None
        try:
            session_key = envelope[_CREATED_SIZE:].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
        permanent = bool(flags & _FLAG_PERMANENT) if flags & _FLAG_EXPLICIT else None
        # tuple.__new__ skips the NamedTuple's Python-level constructor (hot path).
        return _new_tuple(Envelope, (session_key, created_at, permanent, key_index))

    def _open(self, raw: bytes) -> tuple[bytes, int] | None:
        if len(raw) < 1 + _NONCE + _TAG:
            return None
        nonce, sealed, aad = raw[1 : 1 + _NONCE], raw[1 + _NONCE :], self._aad + raw[:1]
        aeads = self._aeads
        try:
            return aeads[0].decrypt(nonce, sealed, aad), 0
        except InvalidTag:
            pass
        # Older keys, during a rotation.
        for index in range(1, len(aeads)):
            try:
                return aeads[index].decrypt(nonce, sealed, aad), index
            except InvalidTag:
                continue
        return None

    def _verify(self, raw: bytes) -> tuple[bytes, int] | None:
        if len(raw) < 1 + _MAC:
            return None
        envelope, mac = raw[1:-_MAC], raw[-_MAC:]
        signed = self._aad + raw[:-_MAC]
        for index, signer in enumerate(self._signers):
            if hmac.compare_digest(hmac.digest(signer, signed, "sha256"), mac):
                return envelope, index
        return None
