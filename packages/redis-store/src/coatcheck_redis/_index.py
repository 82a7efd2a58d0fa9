"""The session index in Redis: one sorted set per subject, and reading its replies.

The index of a subject lives under ``key_prefix + "{" + family + "}i:" + digest``:
``family`` is `coatcheck.sansio.subject_family` of the subject (the hash tag every
session key of that subject carries, so on Redis Cluster the index and the sessions it
lists share one slot and one script handles them atomically), ``digest`` the SHA-256 of
the subject's text (any subject is safe: emails, ``:``, ``{}``, any Unicode). Its members
are `coatcheck.session_id` values, each the tail of the session's own name, scored by
the session's ``expires_at`` in milliseconds.

Redis 7.0 has no per-field TTLs, so the scripts keep the index tidy on every write that
touches it: entries whose score has passed are removed, and the key itself expires with
its latest entry (``PEXPIRE``), so no index outlives the last session of its subject.
An entry whose session is missing, expired or not of that subject is never listed nor
counted, and is removed when a script meets it.

This module is pure (no I/O); the sync and async stores share it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from coatcheck import SessionInfo
from coatcheck.sansio import subject_family

from ._record import as_bytes, family_prefix, parse_millis, subject_digest

__all__ = [
    "ENTRY_ITEMS",
    "clock",
    "index_key",
    "index_arguments",
    "is_session_id",
    "session_infos",
]

ENTRY_ITEMS = 5
"""Reply items per session in the list script's answer: id, expires_at, created_at,
last_active, user_agent (nil when unknown)."""
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def index_key(prefix: bytes, subject: str) -> bytes:
    """The Redis name of ``subject``'s index."""
    return (
        family_prefix(prefix, subject_family(subject))
        + b"i:"
        + subject_digest(subject).encode("ascii")
    )


def is_session_id(text: str) -> bool:
    """Whether ``text`` looks like a `coatcheck.session_id` (others name no session)."""
    return _SESSION_ID.fullmatch(text) is not None


def clock(now: float | None) -> float:
    """``now``, or the wall clock when the caller gave none."""
    return time.time() if now is None else now


def index_arguments(subject: str, now_ms: int, *extra: Any) -> list[Any]:
    """``ARGV`` of the index scripts: now (milliseconds), the subject, its digest, then
    what the script needs besides."""
    return [
        b"%d" % now_ms,
        subject.encode("utf-8", "surrogatepass"),
        subject_digest(subject).encode("ascii"),
        *extra,
    ]


def session_infos(subject: str, reply: Sequence[Any]) -> list[SessionInfo]:
    """The list script's answer as `SessionInfo` values, most recently active first."""
    infos = []
    for start in range(0, len(reply) - ENTRY_ITEMS + 1, ENTRY_ITEMS):
        raw_id, raw_expires, raw_created, raw_active, raw_agent = reply[start : start + ENTRY_ITEMS]
        expires_at = parse_millis(as_bytes(raw_expires))
        created_at = parse_millis(as_bytes(raw_created))
        last_active = parse_millis(as_bytes(raw_active))
        if expires_at is None or created_at is None or last_active is None:
            continue  # the script checked them by the same rule: never happens
        agent = None
        if raw_agent is not None:
            agent = as_bytes(raw_agent).decode("utf-8", "surrogatepass")
        infos.append(
            SessionInfo(
                id=as_bytes(raw_id).decode("ascii"),
                subject=subject,
                created_at=created_at / 1000,
                last_active=last_active / 1000,
                expires_at=expires_at / 1000,
                user_agent=agent,
            )
        )
    infos.sort(key=lambda info: (info.last_active, info.created_at, info.id), reverse=True)
    return infos
