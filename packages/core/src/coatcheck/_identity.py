"""Who a session belongs to and how it is named, for stores and for people.

- A server-side session key is ``<token>.<family>``: 256 random bits in URL-safe base64,
  then eight hex digits naming its *family*. Every session of one subject has the
  family `subject_family` of that subject, and a renewal that keeps the subject keeps
  the family, so a sharded store can keep a session, its successor and its subject's
  index together (Redis Cluster: the hash tag ``{family}``). Keys written before
  families existed have none (`family_of` answers ``None``).
- `session_id` is the public name of a session: one-way, so it can be shown in a "your
  sessions" page or put in a URL without ever serving as a cookie or leading to the key.
- `subject_of` reads the subject from a session's value: a ``str``, or an ``int``
  compared as its text; anything else is a `TypeError` naming the key.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

__all__ = ["FAMILY_DIGITS", "family_of", "session_id", "subject_family", "subject_of"]

FAMILY_DIGITS = 8
"""Hex digits of a key's family."""

_ID_PREFIX = b"coatcheck session id\x00"
_FAMILY_PREFIX = b"coatcheck subject\x00"


def session_id(key: str) -> str:
    """The public, stable identifier of the session under ``key`` (22 URL-safe
    characters); it changes when the key does."""
    digest = hashlib.sha256(_ID_PREFIX + key.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


def subject_family(subject: str) -> str:
    """The family of every session key of ``subject``."""
    digest = hashlib.sha256(_FAMILY_PREFIX + subject.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:FAMILY_DIGITS]


def family_of(key: str) -> str | None:
    """The family a session key names, or ``None`` for a key without one."""
    token, dot, family = key.rpartition(".")
    if not dot or not token or len(family) != FAMILY_DIGITS:
        return None
    return family


def subject_of(value: Any, key: str) -> str | None:
    """The subject a session holds under ``key`` (``value``), as text, or ``None``."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    raise TypeError(
        f"session[{key!r}] holds the session's subject and must be a str or an int, "
        f"not {kind.__name__}"
    )
