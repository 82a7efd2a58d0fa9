"""`CookieStore`: the whole session state travels sealed inside the cookie.

There is no server-side state and so no store to send commands to: with this store the
exchange seals the state into the cookie and unseals it itself. The cookie's payload
(see `_cookie_codec`) is the record::

    byte 0      2, the record format (format 1, a text record, is simply not ours)
    8 bytes     expires_at, IEEE 754 double, big endian (seconds since the epoch)
    the rest    the state: the serializer's text of the whole session dict, UTF-8

One serializer call writes the state and one reads it (per-key texts, which server-side
stores need for deltas, are never built). The embedded expiry makes the server refuse a
replayed cookie once ``now >= expires_at``, even if the browser kept it. Two concurrent
requests that change one session cannot merge their changes: the last response wins, and
a session cannot be revoked before it expires (removing the cookie is the deletion).
"""

from __future__ import annotations

import math
import struct
from typing import NoReturn

__all__ = ["CookieStore", "pack_record", "unpack_record"]

RECORD_FORMAT = 2
_HEAD = struct.Struct(">Bd")
_HEAD_SIZE = _HEAD.size
_unpack_head = _HEAD.unpack_from


def pack_record(expires_at: float, text: str) -> bytes:
    """The cookie payload holding the state ``text`` until ``expires_at``."""
    return _HEAD.pack(RECORD_FORMAT, expires_at) + text.encode("utf-8", "surrogatepass")


def unpack_record(payload: bytes) -> tuple[float, str] | None:
    """``(expires_at, state text)`` of a payload, or ``None`` if it is not a record."""
    if len(payload) < _HEAD_SIZE:
        return None
    record_format, expires_at = _unpack_head(payload)
    if record_format != RECORD_FORMAT or not math.isfinite(expires_at):
        return None
    try:
        return expires_at, payload[_HEAD_SIZE:].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None


class CookieStore:
    """Keeps the session state in the cookie itself: no server-side storage at all.

    The default store of the Flask integration: nothing to run, nothing to clean up. Mind
    the 4096-byte cookie limit (`SessionTooLarge` names the biggest keys), that every
    request carries the whole state, and that a session cannot be revoked early: it lives
    until its embedded expiry, wherever a copy of the cookie went.
    """

    performs_io = False
    """Nothing to wait for: sealing and unsealing is pure computation."""
    state_in_cookie = True
    """The capability the core recognises: the state travels in the cookie."""

    # The session index needs server-side state; a cookie-only session has none.

    def list_sessions(self, subject: str | int, *, now: float | None = None) -> NoReturn:
        """Not available: see `_no_index`."""
        _no_index()

    def revoke(self, subject: str | int, session_id: str, *, now: float | None = None) -> NoReturn:
        """Not available: see `_no_index`."""
        _no_index()

    def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> NoReturn:
        """Not available: see `_no_index`."""
        _no_index()

    def count_sessions(self, subject: str | int, *, now: float | None = None) -> NoReturn:
        """Not available: see `_no_index`."""
        _no_index()

    def __repr__(self) -> str:
        return "CookieStore()"


def _no_index() -> NoReturn:
    raise TypeError(
        "CookieStore keeps no server-side state, so it cannot list or revoke sessions: "
        "the session lives in the cookie until it expires. Use a server-side store "
        "(MemoryStore, coatcheck-redis) for the session index."
    )
