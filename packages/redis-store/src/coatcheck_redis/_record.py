"""The stored records: how a session, and a renewed session's old key, lie in Redis.

**Names.** A session key ``<token>.<family>`` (`coatcheck.sansio.family_of`) lives under
``key_prefix + "{" + family + "}" + session_id(key)``: the public, one-way `session_id`
(a ``KEYS`` listing or a dump of the database hands out nothing a browser could replay),
behind the family as a Redis Cluster hash tag, so that a session, its successors and the
index of its subject (`_index`) share one slot and every script runs on one node. A key
without a family (written by hand, or before families existed) lives under
``key_prefix + session_id(key)``.

**A session** (record version 3) is a hash::

    version      "3"                 the record format; any other value is a stale session
    expires_at   "1767225600000"     milliseconds since the epoch, from the request's clock
    s:<name>     <serialized value>  one field per session key
    subject      <text>              } only for a session that belongs to a subject
    index        <64 hex digits>     } (indexed): the digest naming its subject's index,
    created_at   <milliseconds>      } when it started,
    last_active  <milliseconds>      } when it was last written or its expiry moved,
    user_agent   <text>              } and, if known, the request's User-Agent

**A forwarding record** (a renewed session's old key, for ``renew_grace`` seconds)::

    version      "3"
    expires_at   <milliseconds>      the end of the grace window
    forward      <text>              the core's sealed pointer (opaque to the store)
    next         <Redis name>        the successor's name: same family, so same slot

Session keys get the ``s:`` prefix, so no user key can collide with the metadata. Every
number is a finite decimal integer: 1 to `MILLIS_DIGITS` ASCII digits, nothing else (no
sign, space, exponent, ``nan``, ``inf`` or hex), so it is exact in a Lua double, and
Python and the Lua scripts read it by the same rule (`parse_millis` here,
``MILLIS_RULE`` in `_scripts`). A record that breaks the rule is stale for both. Every
name and value travels as UTF-8 with ``surrogatepass``: a lone surrogate that reached
the session (JSON bodies can carry one) round-trips instead of failing a request.

This module is pure (no I/O); the sync and async stores share it. Decoding is strict: a
hash that does not follow this layout exactly is "no session", never an exception.
"""

from __future__ import annotations

import hashlib
import math
import re
from base64 import b64encode as _b64encode
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from coatcheck import Delta, SessionMeta, StoredState

__all__ = [
    "EXPIRES_AT_FIELD",
    "ID_LENGTH",
    "MILLIS_DIGITS",
    "RECORD_VERSION",
    "STATE_PREFIX",
    "VERSION_FIELD",
    "Forward",
    "as_bytes",
    "decode_record",
    "family_prefix",
    "is_successor_name",
    "key_family",
    "millis",
    "parse_millis",
    "renew_arguments",
    "save_arguments",
    "store_key",
    "subject_digest",
    "update_arguments",
]

RECORD_VERSION = "3"
"""The record format this module reads and writes (1 stored float seconds, 2 had no
subjects nor forwarding records); records of other versions are stale sessions."""
VERSION_FIELD = "version"
EXPIRES_AT_FIELD = "expires_at"
SUBJECT_FIELD = "subject"
INDEX_FIELD = "index"
CREATED_AT_FIELD = "created_at"
LAST_ACTIVE_FIELD = "last_active"
USER_AGENT_FIELD = "user_agent"
FORWARD_FIELD = "forward"
NEXT_FIELD = "next"
STATE_PREFIX = "s:"
"""Prefix of the hash fields holding session keys (metadata fields never start with it)."""
MILLIS_DIGITS = 15
"""The most digits a stored number may have: below 2**53, so a Lua double holds it exactly
(up to the year 33658 in milliseconds)."""
ID_LENGTH = 22
"""Characters of a `coatcheck.session_id`, the last part of every session's Redis name."""
DIGEST_LENGTH = 64
"""Hex digits of a subject's digest (SHA-256)."""
_MAX_MILLIS: int = 10**MILLIS_DIGITS - 1

_ENCODING = "utf-8"
_ERRORS = "surrogatepass"
_PREFIX_LENGTH = len(STATE_PREFIX)
_STATE_PREFIX_B = STATE_PREFIX.encode()
_VERSION_FIELD_B = VERSION_FIELD.encode()
_EXPIRES_AT_FIELD_B = EXPIRES_AT_FIELD.encode()
_RECORD_VERSION_B = RECORD_VERSION.encode()
_FORWARD_FIELD_B = FORWARD_FIELD.encode()
_INDEX_FIELD_B = INDEX_FIELD.encode()
_CREATED_AT_FIELD_B = CREATED_AT_FIELD.encode()
_LAST_ACTIVE_FIELD_B = LAST_ACTIVE_FIELD.encode()
_NEXT_FIELD_B = NEXT_FIELD.encode()
_META_FIELDS_B = frozenset(
    name.encode()
    for name in (SUBJECT_FIELD, INDEX_FIELD, CREATED_AT_FIELD, LAST_ACTIVE_FIELD, USER_AGENT_FIELD)
)
FAMILY_DIGITS = 8
_DOT = ord(".")
_HEX_DIGITS = b"0123456789abcdef"
_ID_PREFIX = b"coatcheck session id\x00"
"""What `coatcheck.session_id` hashes before the key."""
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_ID = re.compile(rb"[A-Za-z0-9_-]{%d}" % ID_LENGTH)
_sha256 = hashlib.sha256


def key_family(session_key: str) -> str | None:
    """The family a session key names (8 lower-case hex digits after its last ``.``),
    or ``None``: anything else is no family, so it can never break the hash tag."""
    family = _family(session_key.encode(_ENCODING, _ERRORS))
    return None if family is None else family.decode("ascii")


def _family(raw: bytes) -> bytes | None:
    if len(raw) > FAMILY_DIGITS + 1 and raw[-FAMILY_DIGITS - 1] == _DOT:
        family = raw[-FAMILY_DIGITS:]
        if not family.translate(None, _HEX_DIGITS):
            return family
    return None


def family_prefix(prefix: bytes, family: str | None) -> bytes:
    """What every Redis name of one family starts with: ``prefix{family}``."""
    if family is None:
        return prefix
    return b"%s{%s}" % (prefix, family.encode("ascii"))


def store_key(prefix: bytes, session_key: str) -> bytes:
    """The Redis name of a session: ``prefix{family}`` + its `coatcheck.session_id`.

    The id is computed here as `coatcheck.session_id` does (SHA-256 of a fixed prefix and
    the key, URL-safe base64, 22 characters; a test checks they agree), in a third of the
    time: this runs for every command.
    """
    raw = session_key.encode(_ENCODING, _ERRORS)
    name = _b64encode(_sha256(_ID_PREFIX + raw).digest()[:17])[:ID_LENGTH].translate(_URL_SAFE)
    family = _family(raw)
    if family is None:
        return prefix + name
    return b"%s{%s}%s" % (prefix, family, name)


def is_successor_name(name: bytes, successor: bytes) -> bool:
    """Whether ``successor`` is a session name of ``name``'s family (the only place a
    forwarding record may point to)."""
    return (
        len(successor) == len(name)
        and successor[:-ID_LENGTH] == name[:-ID_LENGTH]
        and _ID.fullmatch(successor[-ID_LENGTH:]) is not None
        and successor != name
    )


def subject_digest(subject: str) -> str:
    """The SHA-256 hex digest of a subject: how its index is named (any text is safe)."""
    return _sha256(subject.encode(_ENCODING, _ERRORS)).hexdigest()


def _field_pairs(changed: Mapping[str, str]) -> Iterable[bytes]:
    for name, text in changed.items():
        yield (STATE_PREFIX + name).encode(_ENCODING, _ERRORS)
        yield text.encode(_ENCODING, _ERRORS)


def millis(seconds: float) -> int:
    """``seconds`` since the epoch as whole milliseconds, within what the record can hold.

    Rounded down, like every clock reading compared with a stored expiry, so that Python
    and the scripts compare the same two integers.
    """
    return min(max(math.floor(seconds * 1000), 0), _MAX_MILLIS)


def parse_millis(raw: bytes) -> int | None:
    """A stored number, or ``None`` unless ``raw`` is 1 to `MILLIS_DIGITS` ASCII digits.

    The Python half of the one rule; ``MILLIS_RULE`` in `_scripts` is the Lua half.
    """
    # bytes.isdigit() is ASCII-only: no sign, space, "nan", "1e3" or non-ASCII digit passes.
    if len(raw) <= MILLIS_DIGITS and raw.isdigit():
        return int(raw)
    return None


def _ms(seconds: float) -> bytes:
    return b"%d" % millis(seconds)


def _meta_pairs(meta: SessionMeta) -> list[bytes]:
    pairs = [
        SUBJECT_FIELD.encode(),
        meta.subject.encode(_ENCODING, _ERRORS),
        INDEX_FIELD.encode(),
        subject_digest(meta.subject).encode("ascii"),
        CREATED_AT_FIELD.encode(),
        _ms(meta.created_at),
    ]
    if meta.user_agent is not None:
        pairs += [USER_AGENT_FIELD.encode(), meta.user_agent.encode(_ENCODING, _ERRORS)]
    return pairs


def save_arguments(
    state: Mapping[str, str], ttl: int, now: float, meta: SessionMeta | None = None
) -> list[Any]:
    """``ARGV`` of the save script: ttl, version, expires_at, now, the count of metadata
    items, metadata field/value pairs (``last_active`` is added by the script), then the
    state's field/value pairs."""
    pairs = [] if meta is None else _meta_pairs(meta)
    arguments: list[Any] = [ttl, _RECORD_VERSION_B, _ms(now + ttl), _ms(now), len(pairs)]
    arguments.extend(pairs)
    arguments.extend(_field_pairs(state))
    return arguments


def _delta_arguments(delta: Delta | None) -> list[Any]:
    if delta is None:
        return [0]
    removed = [(STATE_PREFIX + name).encode(_ENCODING, _ERRORS) for name in delta.removed]
    arguments: list[Any] = [len(removed)]
    arguments.extend(removed)
    arguments.extend(_field_pairs(delta.changed))
    return arguments


def update_arguments(delta: Delta | None, ttl: int, now: float) -> list[Any]:
    """``ARGV`` of the update script: ttl, version, new expires_at, now (milliseconds),
    removed count, removed fields, then field/value pairs. No ``delta`` only moves the
    expiry."""
    return [ttl, _RECORD_VERSION_B, _ms(now + ttl), _ms(now), *_delta_arguments(delta)]


def renew_arguments(delta: Delta, ttl: int, now: float, grace: int, forward: str) -> list[Any]:
    """``ARGV`` of the renew script: as `update_arguments`, with the grace window in
    seconds, its end and the sealed pointer after ``now``."""
    return [
        ttl,
        _RECORD_VERSION_B,
        _ms(now + ttl),
        _ms(now),
        grace,
        _ms(now + grace),
        forward.encode(_ENCODING, _ERRORS),
        *_delta_arguments(delta),
    ]


def as_bytes(raw: object) -> bytes:
    """A reply item as bytes (a client with ``decode_responses`` may hand out str)."""
    if type(raw) is bytes:
        return raw
    if type(raw) is str:
        return raw.encode(_ENCODING, _ERRORS)
    raise TypeError(f"unexpected reply item {type(raw).__name__}")


class Forward(NamedTuple):
    """A forwarding record, as `decode_record` reads it."""

    successor: bytes
    """The successor's Redis name (not checked here: see `is_successor_name`)."""
    forward: str
    """The core's sealed pointer."""


def decode_record(fields: Mapping[Any, Any], now: float) -> StoredState | Forward | None:
    """The `StoredState` or `Forward` in an ``HGETALL`` reply, or ``None`` if missing,
    expired or foreign.

    Raises nothing on bad data: a wrong or missing version, a number that breaks
    `parse_millis`'s rule, a field outside the layout, a forwarding record with session
    fields, or bytes that are not UTF-8 all mean "no session".
    """
    if not fields:
        return None
    version: bytes | None = None
    expires_at: int | None = None
    state: dict[str, str] = {}
    forward: bytes | None = None
    successor: bytes | None = None
    meta = 0
    try:
        for raw_name, raw_value in fields.items():
            name = raw_name if type(raw_name) is bytes else as_bytes(raw_name)
            value = raw_value if type(raw_value) is bytes else as_bytes(raw_value)
            if name[:_PREFIX_LENGTH] == _STATE_PREFIX_B:
                state[name[_PREFIX_LENGTH:].decode(_ENCODING, _ERRORS)] = value.decode(
                    _ENCODING, _ERRORS
                )
            elif name == _VERSION_FIELD_B:
                version = value
            elif name == _EXPIRES_AT_FIELD_B:
                expires_at = parse_millis(value)
                if expires_at is None:
                    return None
            elif name in _META_FIELDS_B:
                if not _valid_meta(name, value):
                    return None
                meta += 1
            elif name == _FORWARD_FIELD_B:
                forward = value
            elif name == _NEXT_FIELD_B:
                successor = value
            else:
                return None
        if version != _RECORD_VERSION_B or expires_at is None or millis(now) >= expires_at:
            return None
        if successor is not None or forward is not None:
            if successor is None or forward is None or state or meta:
                return None
            return Forward(successor, forward.decode(_ENCODING, _ERRORS))
    except (TypeError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return StoredState(state, expires_at / 1000)


def _valid_meta(name: bytes, value: bytes) -> bool:
    """The metadata fields follow the layout (the Lua scripts check them alike)."""
    if name == _INDEX_FIELD_B:
        return len(value) == DIGEST_LENGTH and not value.translate(None, _HEX_DIGITS)
    if name in (_CREATED_AT_FIELD_B, _LAST_ACTIVE_FIELD_B):
        return parse_millis(value) is not None
    value.decode(_ENCODING, _ERRORS)  # subject, user_agent: text (raises if not)
    return True
