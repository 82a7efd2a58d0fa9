"""What a server-side store implements for accounts: the session index and forwarding.

Both are optional capabilities on top of `SessionStore` (the core looks for the
methods). A store with the **index** (``list_sessions``, ``revoke``, ``revoke_all``,
``count_sessions``, ``cap``, and ``save(..., meta=)``) lets an application list and end
a subject's sessions; a store with **forwarding** (``renew``) gives renewals a grace
window. `MemoryStore` and coatcheck-redis have both; `coatcheck_testing.check_store`
checks both. The contract, beyond the one of `SessionStore`:

- ``save(key, state, *, ttl, now, meta)``: with a `SessionMeta`, the session belongs to
  ``meta.subject``: record its metadata and index it. ``last_active`` starts at ``now``.
- ``update``, ``update_ttl`` and ``renew`` set ``last_active`` to ``now``; ``delete``
  and expiry drop the session from its subject's index. An index entry whose session is
  missing or expired is never listed, never counted, and cleaned up when met.
- ``renew(key, new_key, state, delta, *, ttl, now, grace, forward)``, atomically: the
  session under ``key`` moves to the fresh ``new_key`` (its state as stored now, with
  ``delta`` applied on top, so a write that landed meanwhile survives; its metadata
  and index entry move with it), expiring at ``now + ttl``; ``key`` becomes a
  *forwarding record* holding ``forward`` (opaque text) that lives ``grace`` seconds.
  Returns false, writing nothing, if the session under ``key`` vanished.
- A forwarding record is followed by ``load``, ``update``, ``update_ttl``, ``renew``
  and ``delete`` (up to `MAX_FORWARDS` hops): ``load`` returns the live successor's
  state with ``StoredState.forward`` = the ``forward`` texts met on the way, in order;
  ``update``, ``update_ttl`` and ``renew`` apply to the successor as ``update`` would
  (the session was renewed meanwhile: that renewal stands) and return `Forwarded` with
  them; ``delete`` deletes the successor too (a logout from a tab holding the old
  cookie logs out). A record past its window, or whose successor is gone, is no
  session.
- ``cap(subject, keep, limit, *, now)``: end the least recently active live sessions of
  ``subject`` other than the one whose `session_id` is ``keep`` until at most ``limit``
  remain; return how many ended.
- The index methods (`SessionIndex`) take the subject as the application holds it (a
  ``str`` or an ``int``, compared as text) and an optional ``now`` (default: the
  store's clock). ``revoke`` ends one session, by `session_id`, only if it is a live
  session of that subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "MAX_FORWARDS",
    "subject_text",
    "USER_AGENT_LIMIT",
    "AsyncSessionIndex",
    "SessionIndex",
    "SessionInfo",
    "SessionMeta",
    "forwards",
    "indexes_subjects",
]

MAX_FORWARDS = 4
"""Forwarding records a store follows in a row before it answers "no session"."""
USER_AGENT_LIMIT = 256
"""Characters of the ``User-Agent`` header kept with a session."""


class SessionMeta(NamedTuple):
    """What a store records about a session that belongs to a subject (`save`)."""

    subject: str
    created_at: float
    """When the session started (seconds since the epoch)."""
    user_agent: str | None
    """The request's ``User-Agent`` when the subject was set (at most 256 characters)."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One live session of a subject, as `SessionIndex.list_sessions` lists it."""

    id: str
    """The session's public identifier (`coatcheck.Session.id`): safe to show and to
    pass back to `SessionIndex.revoke`; never usable as a cookie."""
    subject: str
    created_at: float
    last_active: float
    """The last time the session was written or its expiry moved."""
    expires_at: float
    user_agent: str | None


@runtime_checkable
class SessionIndex(Protocol):
    """A sync store's session index: what "your sessions" pages and admins call."""

    def list_sessions(self, subject: str | int, *, now: float | None = None) -> list[SessionInfo]:
        """The subject's live sessions, most recently active first."""
        ...

    def revoke(self, subject: str | int, session_id: str, *, now: float | None = None) -> bool:
        """End that session of the subject; false (and nothing ends) if it is not one."""
        ...

    def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> int:
        """End every session of the subject but ``keep`` (a session id); how many ended."""
        ...

    def count_sessions(self, subject: str | int, *, now: float | None = None) -> int:
        """How many live sessions the subject has."""
        ...


@runtime_checkable
class AsyncSessionIndex(Protocol):
    """The asynchronous twin of `SessionIndex`."""

    async def list_sessions(
        self, subject: str | int, *, now: float | None = None
    ) -> list[SessionInfo]:
        """The subject's live sessions, most recently active first."""
        ...

    async def revoke(
        self, subject: str | int, session_id: str, *, now: float | None = None
    ) -> bool:
        """End that session of the subject; false (and nothing ends) if it is not one."""
        ...

    async def revoke_all(
        self, subject: str | int, *, keep: str | None = None, now: float | None = None
    ) -> int:
        """End every session of the subject but ``keep`` (a session id); how many ended."""
        ...

    async def count_sessions(self, subject: str | int, *, now: float | None = None) -> int:
        """How many live sessions the subject has."""
        ...


def subject_text(subject: object) -> str:
    """A subject as the index keeps it: a ``str`` as it is, an ``int`` as its text."""
    kind = type(subject)
    if kind is str:
        return subject  # type: ignore[return-value]
    if kind is int:
        return str(subject)
    raise TypeError(f"a subject is a str or an int, not {kind.__name__}")


def indexes_subjects(store: object) -> bool:
    """Whether ``store`` keeps the session index (and takes ``meta=`` and ``cap``)."""
    return not getattr(store, "state_in_cookie", False) and all(
        callable(getattr(store, name, None))
        for name in ("list_sessions", "revoke", "revoke_all", "count_sessions", "cap")
    )


def forwards(store: object) -> bool:
    """Whether ``store`` keeps forwarding records (it has ``renew``)."""
    return callable(getattr(store, "renew", None))
