"""The sealed pointer a renewed session's old key keeps to its successor.

During ``renew_grace`` a store keeps the old key as a forwarding record. The record must
let a request holding the *old* cookie learn the *new* key (its response sets the new
cookie), without the store holding a usable key: a dump of the database must not hand
out live sessions. So the core seals the new key under the old one::

    forward = base64(check || payload XOR pad)
    pad     = SHAKE-256("coatcheck forward" 0x00 || old key), 16 + len(payload) bytes
    check   = the first 16 bytes of pad; payload: a flags byte, then authenticated_at
              (8-byte big-endian double) when the session has a subject, then the new
              key (UTF-8)

The flags say whether authenticated_at is there, and the successor's permanence (never
set, false or true). A request that arrives with the old cookie is served the successor,
and its response sets the successor's cookie: that cookie must be as persistent as the
one the renewal set, or a second tab still holding the old cookie would undo a "keep me
signed in" chosen when the user re-authenticated (`mark_authenticated` renews the key).

Only a holder of the old key can open it; each old key seals exactly one successor, so
the pad is never reused. The store treats the text as opaque.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import struct
from typing import NamedTuple

__all__ = ["Successor", "open_forward", "seal_forward"]

_CHECK = 16
_PREFIX = b"coatcheck forward\x00"
_TIME = struct.Struct(">d")
_TIMED = 0x01
_PERMANENCE_SET = 0x02
_PERMANENT = 0x04
_FLAGS = _TIMED | _PERMANENCE_SET | _PERMANENT


class Successor(NamedTuple):
    """What a sealed pointer holds: the successor's key, its authentication time
    (``None`` for an anonymous session) and its permanence (``None``: never set)."""

    key: str
    authenticated_at: float | None
    permanent: bool | None


def _pad(old_key: str, size: int) -> bytes:
    return hashlib.shake_256(_PREFIX + old_key.encode("utf-8", "surrogatepass")).digest(size)


def _xor(data: bytes, pad: bytes) -> bytes:
    size = len(data)
    return (int.from_bytes(data, "big") ^ int.from_bytes(pad[:size], "big")).to_bytes(size, "big")


def seal_forward(
    old_key: str, new_key: str, authenticated_at: float | None, permanent: bool | None = None
) -> str:
    """The sealed pointer from ``old_key`` to ``new_key``, with the successor's
    authentication time and permanence."""
    flags = 0
    if permanent is not None:
        flags = _PERMANENCE_SET | (_PERMANENT if permanent else 0)
    timed = b""
    if authenticated_at is not None:
        flags |= _TIMED
        timed = _TIME.pack(authenticated_at)
    payload = bytes((flags,)) + timed + new_key.encode("utf-8", "surrogatepass")
    pad = _pad(old_key, _CHECK + len(payload))
    sealed = pad[:_CHECK] + _xor(payload, pad[_CHECK:])
    return base64.urlsafe_b64encode(sealed).decode("ascii")


def open_forward(old_key: str, forward: str) -> Successor | None:
    """The `Successor` sealed in ``forward``, or ``None`` if it was not sealed under
    ``old_key`` (or is not a pointer at all)."""
    try:
        sealed = base64.urlsafe_b64decode(forward.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    if len(sealed) <= _CHECK + 1:
        return None
    pad = _pad(old_key, len(sealed))
    if not hmac.compare_digest(sealed[:_CHECK], pad[:_CHECK]):
        return None
    payload = _xor(sealed[_CHECK:], pad[_CHECK:])
    flags = payload[0]
    if flags & ~_FLAGS:
        return None
    permanent = bool(flags & _PERMANENT) if flags & _PERMANENCE_SET else None
    authenticated_at: float | None = None
    body = payload[1:]
    if flags & _TIMED:
        if len(body) <= _TIME.size:
            return None
        (authenticated_at,) = _TIME.unpack_from(body)
        if not math.isfinite(authenticated_at):
            return None
        body = body[_TIME.size :]
    try:
        return Successor(body.decode("utf-8", "surrogatepass"), authenticated_at, permanent)
    except UnicodeDecodeError:
        return None
