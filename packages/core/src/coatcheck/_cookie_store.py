"""`CookieStore`: the whole session state travels inside the (encrypted) cookie.

The "session key" this store hands back *is* the record::

    1:<expires_at>:<issued_at>:<JSON object of serialized values>

The version comes first, then the expiry and issue times (whole milliseconds since the
epoch: integers parse much faster than floats), then the state. The core seals the
record inside the cookie (AES-GCM or HMAC), so the client cannot forge it; the embedded
expiry makes the server refuse a replayed cookie once ``now >= expires_at``, even if the
browser kept it.

There is no server-side state, so `delete` has nothing to do (the cookie removal is the
deletion), and two concurrent requests that change one session cannot merge their
changes: the last response wins.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from ._store import Delta, StoredState

__all__ = ["CookieStore"]

_VERSION = "1"
_encode_state = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The decoder's C scanner, without `json.loads`'s whitespace handling (none is written).
_scan_state: Callable[[str, int], tuple[Any, int]] = cast(Any, json.JSONDecoder()).scan_once
_new_tuple = tuple.__new__


def _split(record: str) -> tuple[int, str] | None:
    """The expiry (milliseconds) and the state's JSON, or ``None`` if malformed."""
    parts = record.split(":", 3)
    if len(parts) != 4 or parts[0] != _VERSION:
        return None
    try:
        return int(parts[1]), parts[3]
    except ValueError:
        return None


def _record(body: str, ttl: int, now: float) -> str:
    issued_ms = round(now * 1000)
    return f"{_VERSION}:{issued_ms + ttl * 1000}:{issued_ms}:{body}"


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
        parsed = _split(key)
        if parsed is None:
            return None
        expires_ms, body = parsed
        if now * 1000 >= expires_ms:
            return None
        try:
            state, end = _scan_state(body, 0)
        except (StopIteration, ValueError):
            return None
        if end != len(body) or type(state) is not dict:
            return None
        return _new_tuple(StoredState, (state, expires_ms / 1000))

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str:
        """The record for ``state``; the drawn ``key`` is not needed."""
        return _record(_encode_state(dict(state)), ttl, now)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """The record for the full ``state``; ``None`` if ``key`` has already expired."""
        parsed = _split(key)
        if parsed is None or now * 1000 >= parsed[0]:
            return None
        return _record(_encode_state(dict(state)), ttl, now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """The same record with a new expiry; ``None`` if it has already expired."""
        parsed = _split(key)
        if parsed is None or now * 1000 >= parsed[0]:
            return None
        return _record(parsed[1], ttl, now)

    def delete(self, key: str) -> None:
        """Nothing to do: removing the cookie removes the session."""

    def __repr__(self) -> str:
        return "CookieStore()"
