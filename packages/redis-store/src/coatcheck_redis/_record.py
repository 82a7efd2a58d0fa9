"""The stored record: how one session is laid out in a Redis hash.

A session lives under ``key_prefix + sha256(session key).hexdigest()``, so a ``KEYS``
listing or a dump of the database hands out no live session ids. The value is a hash::

    version     "1"                   the record format; any other value is a stale session
    expires_at  "1767225600.0"        seconds since the epoch, from the request's clock
    s:<name>    <serialized value>    one field per session key

Session keys get the ``s:`` prefix, so no user key can ever collide with the metadata.
Every name and value travels as UTF-8 with ``surrogatepass``: a lone surrogate that
reached the session (JSON bodies can carry one) round-trips instead of failing a request.

This module is pure (no I/O); the sync and async stores share it. Decoding is strict: a
hash that does not follow this layout exactly is "no session", never an exception.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from coatcheck import Delta, StoredState

__all__ = [
    "EXPIRES_AT_FIELD",
    "RECORD_VERSION",
    "STATE_PREFIX",
    "VERSION_FIELD",
    "decode_record",
    "save_arguments",
    "store_key",
    "update_arguments",
]

RECORD_VERSION = "1"
"""The record format this module reads and writes."""
VERSION_FIELD = "version"
EXPIRES_AT_FIELD = "expires_at"
STATE_PREFIX = "s:"
"""Prefix of the hash fields holding session keys (metadata fields never start with it)."""

_ENCODING = "utf-8"
_ERRORS = "surrogatepass"
_PREFIX_LENGTH = len(STATE_PREFIX)
_STATE_PREFIX_B = STATE_PREFIX.encode()
_VERSION_FIELD_B = VERSION_FIELD.encode()
_EXPIRES_AT_FIELD_B = EXPIRES_AT_FIELD.encode()
_RECORD_VERSION_B = RECORD_VERSION.encode()
_sha256 = hashlib.sha256


def store_key(prefix: bytes, session_key: str) -> bytes:
    """The Redis key of a session: ``prefix`` + SHA-256 hex digest of its session key."""
    digest = _sha256(session_key.encode(_ENCODING, _ERRORS)).hexdigest()
    return prefix + digest.encode("ascii")


def _field_pairs(changed: Mapping[str, str]) -> Iterable[bytes]:
    for name, text in changed.items():
        yield (STATE_PREFIX + name).encode(_ENCODING, _ERRORS)
        yield text.encode(_ENCODING, _ERRORS)


def _expires_at(ttl: int, now: float) -> bytes:
    return repr(float(now + ttl)).encode("ascii")


def save_arguments(state: Mapping[str, str], ttl: int, now: float) -> list[Any]:
    """``ARGV`` of the save script: ttl, version, expires_at, then field/value pairs."""
    arguments: list[Any] = [ttl, _RECORD_VERSION_B, _expires_at(ttl, now)]
    arguments.extend(_field_pairs(state))
    return arguments


def update_arguments(delta: Delta | None, ttl: int, now: float) -> list[Any]:
    """``ARGV`` of the update script: ttl, version, new expires_at, now, removed count,
    removed fields, then field/value pairs. No ``delta`` only moves the expiry."""
    head: list[Any] = [ttl, _RECORD_VERSION_B, _expires_at(ttl, now), repr(float(now))]
    if delta is None:
        return [*head, 0]
    removed = [(STATE_PREFIX + name).encode(_ENCODING, _ERRORS) for name in delta.removed]
    arguments: list[Any] = [*head, len(removed)]
    arguments.extend(removed)
    arguments.extend(_field_pairs(delta.changed))
    return arguments


def _as_bytes(raw: object) -> bytes:
    """A reply item as bytes (a client with ``decode_responses`` may hand out str)."""
    if type(raw) is bytes:
        return raw
    if type(raw) is str:
        return raw.encode(_ENCODING, _ERRORS)
    raise TypeError(f"unexpected reply item {type(raw).__name__}")


def decode_record(fields: Mapping[Any, Any], now: float) -> StoredState | None:
    """The `StoredState` in an ``HGETALL`` reply, or ``None`` if missing, expired or foreign.

    Raises nothing on bad data: a wrong or missing version, an unreadable expiry, a field
    outside the layout or bytes that are not UTF-8 all mean "no session".
    """
    if not fields:
        return None
    version: bytes | None = None
    expires_at = math.nan
    state: dict[str, str] = {}
    try:
        for raw_name, raw_value in fields.items():
            name = raw_name if type(raw_name) is bytes else _as_bytes(raw_name)
            value = raw_value if type(raw_value) is bytes else _as_bytes(raw_value)
            if name[:_PREFIX_LENGTH] == _STATE_PREFIX_B:
                state[name[_PREFIX_LENGTH:].decode(_ENCODING, _ERRORS)] = value.decode(
                    _ENCODING, _ERRORS
                )
            elif name == _VERSION_FIELD_B:
                version = value
            elif name == _EXPIRES_AT_FIELD_B:
                expires_at = float(value)
            else:
                return None
    except (TypeError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    if version != _RECORD_VERSION_B or not math.isfinite(expires_at) or now >= expires_at:
        return None
    return StoredState(state, expires_at)
