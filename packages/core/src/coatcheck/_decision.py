"""Every lifecycle rule of a request, as pure functions (docs/design.md, "Decisions").

The exchange only executes what these functions answer; like h11's ``_state.py``, this
module is where a rule is looked up and where a new one goes. Nothing here does I/O,
reads a clock or touches a session: inputs are plain values, outputs small records.

Before anything else, a response with status 500 or above persists nothing
(`persists`): no command, no cookie; the session stays as it was before the request.

The end of a request whose session was loaded (`decide`)::

    incoming        status / state                     steps            cookie
    --------------  ---------------------------------  ---------------  ---------
    absent          empty                              -                nothing
    absent          non-empty (changed or renewed)     SAVE             set
    stale           empty, unchanged or purged         -                remove
    stale           non-empty (changed or renewed)     SAVE             set
    stale_absolute  empty, unchanged or purged         DELETE           remove
    stale_absolute  non-empty (changed or renewed)     SAVE, DELETE     set
    live            purged                             DELETE           remove
    live            renewed, non-empty, with grace     RENEW            set
    live            renewed, non-empty, no grace       SAVE, DELETE     set
    live            changed, non-empty                 UPDATE           set
    live            changed or renewed, empty          DELETE           remove
    live            unchanged, empty                   DELETE           remove
    live            unchanged, extension due           UPDATE_TTL       refresh
    live            unchanged, no extension due        -                reissue

The end of a request that never loaded its session (`decide_untouched`), judged first
from the cookie's visible header alone, without decrypting it (`may_extend_untouched`)::

    cookie          its persistence's policy           steps            cookie
    --------------  ---------------------------------  ---------------  ---------
    none or other   any                                -                nothing
    ours            ON_STATE_CHANGES                   -                nothing
    ours            ON_EVERY_REQUEST, then decoded:
      absent                                           -                nothing
      stale_absolute                                   DELETE           remove
      live          extension due                      UPDATE_TTL       refresh
      live          no extension due (throttled)       -                nothing

"Renewed" also covers a change of subject (`status_of`): a login, a logout that keeps
other keys, a switch of user. "With grace" (`keeps_old_key`): the renewal keeps the
subject, the store keeps forwarding records and ``renew_grace`` is not 0; RENEW then moves
the state to a new key and leaves the old one forwarding to it for the window. A change
of subject never has grace (the fixation defence). "Extension due" (`extension_due`):
``ON_EVERY_REQUEST``, and with ``refresh_after`` only once that fraction of the TTL has
passed since the last extension, which the cookie carries.

"absent" is an absent or invalid cookie (never deleted: it may be another application's);
"stale_absolute" a genuine cookie past the absolute lifetime, whose state the store may
still hold; "live" a genuine cookie whose state the store is asked for ("stale" once it
answers nothing). "refresh" sets the cookie if it is persistent, if its value moves (a
new key, a new expiry or extension time sealed in it) or if an older key sealed it, and
removes it if the session vanished; "reissue" sets it only when an older key sealed it
or its value moved (the store forwarded the request to a renewed session). SAVE before
DELETE means a failure between the two never loses the state. A session deleted while a
request used it stays deleted: that request's UPDATE finds nothing, its changes are
dropped and its cookie removed.
"""

from __future__ import annotations

import enum
import math
from typing import NamedTuple

from ._config import BrowserSession, PersistentSession, SessionConfig, TtlExtensionPolicy

__all__ = [
    "ABSENT",
    "LIVE",
    "STALE",
    "STALE_ABSOLUTE",
    "CookieAction",
    "CookieOutcome",
    "Decision",
    "Incoming",
    "SessionStatus",
    "Step",
    "TtlPlan",
    "classify",
    "cookie_outcome",
    "decide",
    "decide_untouched",
    "extends_untouched",
    "extension_due",
    "keeps_old_key",
    "lifetime",
    "may_extend_untouched",
    "nothing_to_do",
    "persists",
    "plans",
    "reissue_max_age",
    "starts_over",
    "status_of",
]


class SessionStatus(str, enum.Enum):
    """What the request did to the session, by precedence PURGED > RENEWED > CHANGED."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    RENEWED = "renewed"
    PURGED = "purged"


class Incoming(enum.Enum):
    """How the request's cookie was classified."""

    ABSENT = "absent"
    """No cookie of ours: none sent, or none genuine (invalid, foreign, tampered)."""
    STALE = "stale"
    """Genuine, but the store holds nothing for it (expired, deleted, revoked)."""
    STALE_ABSOLUTE = "stale_absolute"
    """Genuine, but past the configured absolute lifetime."""
    LIVE = "live"
    """Genuine, and its state was loaded (or is still to be asked for)."""


class Step(enum.Enum):
    """A store step; SAVE and UPDATE write the final state, DELETE removes the old key."""

    SAVE = "save"
    UPDATE = "update"
    UPDATE_TTL = "update_ttl"
    DELETE = "delete"
    RENEW = "renew"
    """Move the state to a new key; the old one forwards to it for the grace window."""


class CookieAction(enum.Enum):
    """What the response does with the cookie, before the store has answered."""

    NOTHING = "nothing"
    SET = "set"
    REMOVE = "remove"
    REFRESH = "refresh"
    """Set if persistent, moved or rotated; remove if the session vanished."""
    REISSUE = "reissue"
    """Set only if an older key sealed the cookie (key rotation)."""


class CookieOutcome(enum.Enum):
    """What the response does with the cookie, once the store has answered."""

    NOTHING = "nothing"
    SET = "set"
    REMOVE = "remove"
    REISSUE = "reissue"
    """Set again with the stored expiry, under the current key."""


# The module-level names are the members: one spelling, global-lookup speed.
UNCHANGED, CHANGED, RENEWED, PURGED = SessionStatus
ABSENT, STALE, STALE_ABSOLUTE, LIVE = Incoming
SAVE, UPDATE, UPDATE_TTL, DELETE, RENEW = Step
NOTHING, SET, REMOVE, REFRESH, REISSUE = CookieAction
EVERY_REQUEST = TtlExtensionPolicy.ON_EVERY_REQUEST


class Decision(NamedTuple):
    """The steps to run, in order, and the cookie action."""

    steps: tuple[Step, ...]
    cookie: CookieAction


class TtlPlan(NamedTuple):
    """How long a session lives and whether its cookie outlives the browser."""

    ttl: int
    """Seconds the store keeps the state."""
    policy: TtlExtensionPolicy
    max_age: int | None
    """``Max-Age`` of the cookie: ``ttl`` for a persistent cookie, else ``None``."""
    refresh_every: float | None = None
    """With a throttled ``ON_EVERY_REQUEST``: seconds between two extensions."""


# -- configuration, once per application ---------------------------------------------------


def _plan(lifecycle: BrowserSession | PersistentSession, persistent: bool) -> TtlPlan:
    ttl = lifecycle.ttl_seconds
    fraction = lifecycle.refresh_after
    return TtlPlan(
        ttl,
        lifecycle.ttl_extension_policy,
        ttl if persistent else None,
        None if fraction is None else fraction * ttl,
    )


def plans(config: SessionConfig) -> tuple[TtlPlan, TtlPlan]:
    """The plans of a non-permanent and of a permanent session, in that order.

    A permanent ("remember me") session follows ``permanent_lifecycle`` when set, else
    the lifecycle's TTL with a persistent cookie.
    """
    permanent = config.permanent_lifecycle or config.lifecycle
    return _plan(config.lifecycle, persistent=False), _plan(permanent, persistent=True)


def extends_untouched(session_plans: tuple[TtlPlan, TtlPlan]) -> bool:
    """Whether some session's TTL moves on every request, even one that never touches it."""
    return any(plan.policy is EVERY_REQUEST for plan in session_plans)


# -- the cookie that came in ---------------------------------------------------------------


def classify(created_at: float, now: float, absolute_lifetime: float | None) -> Incoming:
    """A genuine cookie's class before the store is asked: past its lifetime, or live."""
    if absolute_lifetime is not None and now >= created_at + absolute_lifetime:
        return STALE_ABSOLUTE
    return LIVE


def may_extend_untouched(
    claimed: bool | None, default_permanent: bool, session_plans: tuple[TtlPlan, TtlPlan]
) -> bool:
    """Whether an untouched request's cookie, by the persistence its visible header
    claims (``None``: the configured default), names a session every request extends."""
    permanent = default_permanent if claimed is None else claimed
    return session_plans[permanent].policy is EVERY_REQUEST


# -- what the request did ------------------------------------------------------------------


def status_of(
    *, purged: bool, renewed: bool, changed: bool, empty: bool, resubjected: bool = False
) -> SessionStatus:
    """The request's status by precedence PURGED > RENEWED > CHANGED.

    A purged session written to again starts over under a new key: RENEWED. So does a
    session whose subject changed (``resubjected``: a login, a switch of user, a logout
    that keeps other keys), which is why a login needs no explicit ``renew()``.
    ``changed`` covers a changed value, a removed key, a forced save and a changed
    ``permanent``.
    """
    if purged:
        return PURGED if empty else RENEWED
    if renewed or resubjected:
        return RENEWED
    return CHANGED if changed else UNCHANGED


def keeps_old_key(*, grace: int, resubjected: bool, purged: bool, forwards: bool) -> bool:
    """Whether a renewal leaves the old key forwarding to the new one for ``grace``
    seconds: never on a change of subject or after a purge (the old key must die at
    once), and only with a store that keeps forwarding records."""
    return grace > 0 and forwards and not resubjected and not purged


def extension_due(plan: TtlPlan, extended_at: float | None, now: float) -> bool:
    """Whether an unchanged live session is extended by this request.

    ``ON_EVERY_REQUEST`` extends every request, unless throttled: then only once
    ``refresh_every`` seconds have passed since the last extension (``extended_at``,
    which the cookie carries; unknown means due).
    """
    if plan.policy is not EVERY_REQUEST:
        return False
    every = plan.refresh_every
    return every is None or extended_at is None or now - extended_at >= every


def persists(status_code: int | None) -> bool:
    """Whether a response persists the session: not when it is a server error (a view
    that wrote and then failed leaves the session as it was before the request)."""
    return status_code is None or status_code < 500


def starts_over(incoming: Incoming, purged: bool) -> bool:
    """Whether the session written at the end is a new one, whose lifetime starts now."""
    return incoming is not LIVE or purged


# -- the end of the request ----------------------------------------------------------------

_NOTHING = Decision((), NOTHING)
_SAVE = Decision((SAVE,), SET)
_SAVE_THEN_DELETE = Decision((SAVE, DELETE), SET)
_REMOVE = Decision((), REMOVE)
_DELETE = Decision((DELETE,), REMOVE)
_UPDATE = Decision((UPDATE,), SET)
_UPDATE_TTL = Decision((UPDATE_TTL,), REFRESH)
_KEEP = Decision((), REISSUE)
_RENEW = Decision((RENEW,), SET)


def decide(
    incoming: Incoming,
    session_status: SessionStatus,
    empty: bool,
    extend: bool,
    grace: bool = False,
) -> Decision:
    """The store steps and cookie action for a request whose session was loaded.

    ``extend``: an unchanged session is extended (`extension_due`); ``grace``: a
    renewal keeps the old key forwarding (`keeps_old_key`).
    """
    if incoming is ABSENT:
        # Starting from nothing, a non-empty state is always a change.
        return _NOTHING if empty else _SAVE
    wants_state = not empty and (session_status is CHANGED or session_status is RENEWED)
    if incoming is STALE:
        return _SAVE if wants_state else _REMOVE
    if incoming is STALE_ABSOLUTE:
        return _SAVE_THEN_DELETE if wants_state else _DELETE
    if session_status is PURGED or empty:
        return _DELETE
    if session_status is RENEWED:
        return _RENEW if grace else _SAVE_THEN_DELETE
    if session_status is CHANGED:
        return _UPDATE
    if extend:
        return _UPDATE_TTL
    return _KEEP


def decide_untouched(incoming: Incoming, extend: bool) -> Decision:
    """The steps and cookie action for a request that never loaded its session.

    Only called when `may_extend_untouched` said the cookie may name such a session;
    ``extend`` is `extension_due` for the persistence the decoded cookie carries.
    """
    if incoming is STALE_ABSOLUTE:
        return _DELETE
    if incoming is LIVE and extend:
        return _UPDATE_TTL
    return _NOTHING


def nothing_to_do(incoming: Incoming, clean: bool, extend: bool, rotated: bool) -> bool:
    """The common read: a live session left as it was needs no store and no cookie.

    A shortcut the exchange takes before computing a status; a test proves it true
    exactly when `decide` answers no steps and a cookie action that does nothing.
    """
    return incoming is LIVE and clean and not extend and not rotated


def cookie_outcome(
    action: CookieAction, *, persistent: bool, moved: bool, rotated: bool, vanished: bool
) -> CookieOutcome:
    """What the response does with the cookie once the store answered.

    ``vanished``: the store no longer had the session (an UPDATE or UPDATE_TTL found
    nothing). ``moved``: the session's cookie value changed (a new key, from a
    forwarding store or a renewal, or a new expiry or extension time sealed in it).
    """
    if action is REMOVE or vanished:
        return CookieOutcome.REMOVE
    if action is SET or (action is not NOTHING and moved):
        return CookieOutcome.SET
    if action is REFRESH and (persistent or rotated):
        return CookieOutcome.SET
    if action is REISSUE and rotated:
        return CookieOutcome.REISSUE
    return CookieOutcome.NOTHING


def lifetime(
    plan: TtlPlan, created_at: float, now: float, absolute_lifetime: float | None
) -> tuple[int, int | None]:
    """The TTL to store and the cookie's ``Max-Age``, capped by the absolute lifetime."""
    ttl = plan.ttl
    if absolute_lifetime is not None:
        ttl = max(0, min(ttl, int(created_at + absolute_lifetime - now)))
    max_age = plan.max_age
    return ttl, None if max_age is None else min(max_age, ttl)


def reissue_max_age(expires_at: float, now: float) -> int:
    """``Max-Age`` of a cookie re-sealed under the current key: the stored expiry, rounded
    up (rounded down, with under a second left, ``Max-Age=0`` would delete the cookie of
    a live session)."""
    return max(0, math.ceil(expires_at - now))
