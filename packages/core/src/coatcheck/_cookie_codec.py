"""The session cookie's value: what it carries and how it is protected.

Layout, version 2 (before base64)::

    byte 0      header: version << 4 | flags << 2 | extras
                flags: bit 0 = `permanent` was set explicitly, bit 1 = its value
                extras: bit 0 = authenticated_at follows, bit 1 = extended_at follows
    then        the envelope, sealed:
                  8 bytes   created_at, IEEE 754 double, big endian (seconds since the epoch)
                  8 bytes   authenticated_at, when extras bit 0 is set (a session with
                            a subject: when it was set or last confirmed)
                  8 bytes   extended_at, when extras bit 1 is set (a throttled session:
                            when its TTL last moved)
                  the rest  the payload: a server-side session key (UTF-8), or the whole
                            state when it travels in the cookie (`_cookie_store`)

Carrying ``created_at``, ``permanent`` and the optional times in the cookie lets the core
judge the absolute lifetime, the cookie's persistence, the freshness of a login and
whether a throttled extension is due, all without a store round trip. The header is visible
but authenticated: because of its layout, the first character of the cookie value alone
names the version and the persistence (`peek_permanent`), so an untouched request can
tell whether its session is one that must be extended without decrypting anything.

Protection, chosen by `CookieContentSecurity`:

- PRIVATE: ``header || nonce || AES-256-GCM(nonce, envelope, aad=name "=" header)`` with
  a random 96-bit nonce and the second half of the key.
- SIGNED: ``header || envelope || HMAC-SHA256(name "=" header envelope)`` with the first
  half of the key, verified in constant time.

The value is unpadded base64 in the standard alphabet (``+`` and ``/`` are cookie-octets
of RFC 6265, so nothing needs quoting, and ``binascii`` reads and writes it without a
translation pass). Version 1 used the URL-safe alphabet; its cookies are simply invalid.

Decoding is strict: a value that is too long, not canonical unpadded base64, fails
authentication under every key, or carries an unknown version or malformed envelope is
rejected (``None``), never an exception.
"""

from __future__ import annotations

import binascii
import enum
import hmac
import math
import struct
from collections.abc import Callable
from typing import NamedTuple

from cryptography.exceptions import InvalidTag

from ._config import CookieContentSecurity
from ._key import Key

__all__ = [
    "COOKIE_SIZE_LIMIT",
    "NOT_OURS",
    "CookieCodec",
    "Envelope",
    "NotOurs",
    "peek_permanent",
]

COOKIE_SIZE_LIMIT = 4096
"""Bytes a browser keeps for one cookie's name plus value (RFC 6265 section 6.1)."""

VERSION = 2
_TIME = struct.Struct(">d")
_TIME_SIZE = _TIME.size
_unpack_time = _TIME.unpack_from
_pack_time = _TIME.pack
# The sealed times by header extras: created_at, then authenticated_at and extended_at
# when their extras bit is set.
_TIMES = tuple(struct.Struct(f">{1 + (extras & 1) + (extras >> 1)}d") for extras in range(4))
_NONCE = 12
_TAG = 16
_MAC = 32
_FLAG_EXPLICIT = 0b01
_FLAG_PERMANENT = 0b10
_EXTRA_AUTHENTICATED = 0b01
_EXTRA_EXTENDED = 0b10
# The first base64 character carries the header's top six bits: version and flags; the
# extras sit in the second.
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEADERS = {
    (flags, extras): bytes([VERSION << 4 | flags << 2 | extras])
    for flags in (0, 1, 3)
    for extras in range(4)
}
_FLAGS_OF = {header[0]: key for key, header in _HEADERS.items()}
_PEEK: dict[str, bool | None] = {
    _ALPHABET[VERSION << 2 | 0]: None,
    _ALPHABET[VERSION << 2 | _FLAG_EXPLICIT]: False,
    _ALPHABET[VERSION << 2 | _FLAG_EXPLICIT | _FLAG_PERMANENT]: True,
}


class Envelope(NamedTuple):
    """A decoded cookie: its payload plus what the cookie carries beside it."""

    payload: bytes
    """A server-side session key (UTF-8), or the state itself (`CookieStore`)."""
    created_at: float
    permanent: bool | None
    """The explicit `Session.permanent` override, or ``None`` to follow the config."""
    key_index: int
    """Which of the configured keys accepted the cookie (0 is the current one)."""
    authenticated_at: float | None = None
    """When the session's subject was set or last confirmed (sessions with a subject)."""
    extended_at: float | None = None
    """When the session's TTL last moved (throttled sessions only)."""


_PADDING = (b"", b"===", b"==", b"=")


def _b64encode(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).rstrip(b"=").decode("ascii")


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
        raw = binascii.a2b_base64(text.encode("ascii") + _PADDING[size % 4])
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    # The decoder skips characters outside the alphabet and stops at a "=": either makes
    # the result short. With the padding-bit check above, only the one canonical spelling
    # of the bytes passes.
    if len(raw) != size * 3 // 4:
        return None
    return raw


class NotOurs(enum.Enum):
    """The type of `NOT_OURS`."""

    NOT_OURS = "not ours"


NOT_OURS = NotOurs.NOT_OURS
"""What `peek_permanent` returns for a value that is not a cookie of ours."""


def peek_permanent(value: str) -> bool | NotOurs | None:
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

    def encode(
        self,
        payload: bytes,
        created_at: float,
        permanent: bool | None,
        authenticated_at: float | None = None,
        extended_at: float | None = None,
    ) -> str:
        """The cookie value for a session, protected with the first key."""
        flags = 0 if permanent is None else _FLAG_EXPLICIT | (_FLAG_PERMANENT * permanent)
        envelope = _pack_time(created_at)
        extras = 0
        if authenticated_at is not None:
            extras = _EXTRA_AUTHENTICATED
            envelope += _pack_time(authenticated_at)
        if extended_at is not None:
            extras |= _EXTRA_EXTENDED
            envelope += _pack_time(extended_at)
        header = _HEADERS[flags, extras]
        envelope += payload
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
        header = _FLAGS_OF.get(raw[0])
        if header is None:
            return None
        flags, extras = header
        permanent = bool(flags & _FLAG_PERMANENT) if flags & _FLAG_EXPLICIT else None
        if not extras:
            if len(envelope) <= _TIME_SIZE:
                return None
            (created_at,) = _unpack_time(envelope)
            if not math.isfinite(created_at):
                return None
            return Envelope(envelope[_TIME_SIZE:], created_at, permanent, key_index)
        times = _TIMES[extras]
        if len(envelope) <= times.size:
            return None
        values = times.unpack_from(envelope)
        isfinite = math.isfinite
        for moment in values:
            if not isfinite(moment):
                return None
        return Envelope(
            envelope[times.size :],
            values[0],
            permanent,
            key_index,
            values[1] if extras & _EXTRA_AUTHENTICATED else None,
            values[-1] if extras & _EXTRA_EXTENDED else None,
        )

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
