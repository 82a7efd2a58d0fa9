"""`CookieStore`: the whole session state travels inside the (encrypted) cookie.

The "session key" this store hands back *is* the record::

    1:<issued_at>:<expires_at>:<JSON object of serialized values>

The version comes first, then the issue and expiry times (seconds since the epoch),
then the state. The core seals the record inside the cookie (AES-GCM or HMAC), so the
client cannot forge it; the embedded expiry makes the server refuse a replayed cookie
after ``now >= expires_at`` even if the browser kept it.

There is no server-side state, so `delete` has nothing to do (the cookie removal is the
deletion), and two concurrent requests that change one session cannot merge their
changes: the last response wins.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from ._store import Delta, StoredState

__all__ = ["CookieStore"]

_VERSION = "1"
_encode_state = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_scan_state = json.JSONDecoder().scan_once


def _times(record: str) -> tuple[float, float, str] | None:
    parts = record.split(":", 3)
    if len(parts) != 4 or parts[0] != _VERSION:
        return None
    try:
        issued_at, expires_at = float(parts[1]), float(parts[2])
    except ValueError:
        return None
    if not (math.isfinite(issued_at) and math.isfinite(expires_at)):
        return None
    return issued_at, expires_at, parts[3]


def _record(body: str, ttl: int, now: float) -> str:
    return f"{_VERSION}:{now!r}:{now + ttl!r}:{body}"


class CookieStore:
    """Keeps the session state in the cookie itself: no server-side storage at all.

    The default store: nothing to run, nothing to clean up. Mind the 4096-byte cookie
    limit (`SessionTooLarge` names the biggest keys) and that every request carries the
    whole state.
    """

    performs_io = False
    """Called inline: encoding and decoding is pure computation."""

    def load(self, key: str, *, now: float) -> StoredState | None:
        """Decode the record; ``None`` if malformed or expired."""
        parsed = _times(key)
        if parsed is None:
            return None
        _issued_at, expires_at, body = parsed
        if now >= expires_at:
            return None
        try:
            state, end = _scan_state(body, 0)
        except (StopIteration, ValueError):
            return None
        if end != len(body) or type(state) is not dict:
            return None
        return StoredState(state, expires_at)

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str:
        """The record for ``state``; the drawn ``key`` is not needed."""
        return _record(_encode_state(dict(state)), ttl, now)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """The record for the full ``state``; ``None`` if ``key`` has already expired."""
        parsed = _times(key)
        if parsed is None or now >= parsed[1]:
            return None
        return _record(_encode_state(dict(state)), ttl, now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """The same record with a new expiry; ``None`` if it has already expired."""
        parsed = _times(key)
        if parsed is None or now >= parsed[1]:
            return None
        return _record(parsed[2], ttl, now)

    def delete(self, key: str) -> None:
        """Nothing to do: removing the cookie removes the session."""

    def __repr__(self) -> str:
        return "CookieStore()"
