"""The end-of-request decision table (DESIGN.md section 3), as one pure function.

`decide` maps what came in, what the application did and the TTL policy to the store
steps to run, in order, and what to do with the cookie. The exchange executes the steps;
the table is kept here, apart from any I/O, so a test can feed it every combination.

    incoming        status / state                     steps            cookie
    --------------  ---------------------------------  ---------------  --------------
    none            empty                              -                nothing
    none            non-empty (changed or renewed)     SAVE             set
    stale           empty, unchanged or purged         -                remove
    stale           non-empty (changed or renewed)     SAVE             set
    stale_absolute  empty, unchanged or purged         DELETE           remove
    stale_absolute  non-empty (changed or renewed)     SAVE, DELETE     set
    live            purged                             DELETE           remove
    live            renewed, non-empty                 SAVE, DELETE     set
    live            changed, non-empty                 UPDATE           set
    live            changed or renewed, empty          DELETE           remove
    live            unchanged, empty                   DELETE           remove
    live            unchanged, ON_EVERY_REQUEST        UPDATE_TTL       set if moved
    live            unchanged, ON_STATE_CHANGES        -                set if rotated

"none" is an absent or invalid cookie; "stale_absolute" a genuine cookie past the
configured absolute lifetime, whose state the store still holds. A live session left
empty and unchanged only arises when concurrent requests removed every key: it is
deleted like any emptied session. SAVE before DELETE means a failure between the two
never loses the state.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from ._config import TtlExtensionPolicy
from ._session import SessionStatus

__all__ = ["CookieAction", "Decision", "Incoming", "Step", "decide"]


class Incoming(enum.Enum):
    """How the request's cookie was classified."""

    NONE = "none"
    STALE = "stale"
    STALE_ABSOLUTE = "stale_absolute"
    LIVE = "live"


class Step(enum.Enum):
    """A store step; SAVE and UPDATE work on the final state, DELETE on the old key."""

    SAVE = "save"
    UPDATE = "update"
    UPDATE_TTL = "update_ttl"
    DELETE = "delete"


class CookieAction(enum.Enum):
    """What the response does with the cookie."""

    NOTHING = "nothing"
    SET = "set"
    REMOVE = "remove"
    SET_IF_MOVED = "set_if_moved"
    """Set if the cookie is persistent, the key changed or was rotated; remove if gone."""
    SET_IF_ROTATED = "set_if_rotated"
    """Re-issue the same session under the current key if another key accepted it."""


class Decision(NamedTuple):
    """The steps to run, in order, and the cookie action."""

    steps: tuple[Step, ...]
    cookie: CookieAction


# Enum members as globals (cheap to look up on every request; see _exchange).
_NO_COOKIE, _STALE, _LIVE = Incoming.NONE, Incoming.STALE, Incoming.LIVE
_STALE_ABSOLUTE = Incoming.STALE_ABSOLUTE
_CHANGED, _RENEWED, _PURGED = SessionStatus.CHANGED, SessionStatus.RENEWED, SessionStatus.PURGED
_EVERY_REQUEST = TtlExtensionPolicy.ON_EVERY_REQUEST

_NOTHING = Decision((), CookieAction.NOTHING)
_SAVE = Decision((Step.SAVE,), CookieAction.SET)
_SAVE_THEN_DELETE = Decision((Step.SAVE, Step.DELETE), CookieAction.SET)
_REMOVE = Decision((), CookieAction.REMOVE)
_DELETE = Decision((Step.DELETE,), CookieAction.REMOVE)
_UPDATE = Decision((Step.UPDATE,), CookieAction.SET)
_UPDATE_TTL = Decision((Step.UPDATE_TTL,), CookieAction.SET_IF_MOVED)
_KEEP = Decision((), CookieAction.SET_IF_ROTATED)


def decide(
    incoming: Incoming, status: SessionStatus, empty: bool, policy: TtlExtensionPolicy
) -> Decision:
    """The store steps and cookie action for one finished request."""
    wants_state = not empty and (status is _CHANGED or status is _RENEWED)
    if incoming is _NO_COOKIE:
        # Starting from nothing, a non-empty state is always a change.
        return _NOTHING if empty else _SAVE
    if incoming is _STALE:
        return _SAVE if wants_state else _REMOVE
    if incoming is _STALE_ABSOLUTE:
        return _SAVE_THEN_DELETE if wants_state else _DELETE
    # Live.
    if status is _PURGED or empty:
        return _DELETE
    if status is _RENEWED:
        return _SAVE_THEN_DELETE
    if status is _CHANGED:
        return _UPDATE
    if policy is _EVERY_REQUEST:
        return _UPDATE_TTL
    return _KEEP
