"""The decision table, fed every combination of its inputs (h2-style)."""

from __future__ import annotations

import itertools

import pytest

from coatcheck import SessionStatus, TtlExtensionPolicy
from coatcheck._decision import CookieAction, Decision, Incoming, Step, decide

S, U, T, D = Step.SAVE, Step.UPDATE, Step.UPDATE_TTL, Step.DELETE
SET, REMOVE, NOTHING = CookieAction.SET, CookieAction.REMOVE, CookieAction.NOTHING
EVERY, CHANGES = TtlExtensionPolicy.ON_EVERY_REQUEST, TtlExtensionPolicy.ON_STATE_CHANGES
UNCHANGED, CHANGED, RENEWED, PURGED = (
    SessionStatus.UNCHANGED,
    SessionStatus.CHANGED,
    SessionStatus.RENEWED,
    SessionStatus.PURGED,
)

# DESIGN.md section 3, one row per line: (incoming, status, empty, policy) -> decision.
ROWS = [
    (Incoming.NONE, UNCHANGED, True, CHANGES, (), NOTHING),
    (Incoming.NONE, PURGED, True, EVERY, (), NOTHING),
    (Incoming.NONE, CHANGED, False, CHANGES, (S,), SET),
    (Incoming.NONE, RENEWED, False, EVERY, (S,), SET),
    (Incoming.STALE, UNCHANGED, True, EVERY, (), REMOVE),
    (Incoming.STALE, PURGED, True, CHANGES, (), REMOVE),
    (Incoming.STALE, CHANGED, True, CHANGES, (), REMOVE),
    (Incoming.STALE, CHANGED, False, CHANGES, (S,), SET),
    (Incoming.STALE, RENEWED, False, CHANGES, (S,), SET),
    (Incoming.STALE_ABSOLUTE, UNCHANGED, True, CHANGES, (D,), REMOVE),
    (Incoming.STALE_ABSOLUTE, PURGED, True, CHANGES, (D,), REMOVE),
    (Incoming.STALE_ABSOLUTE, CHANGED, False, EVERY, (S, D), SET),
    (Incoming.STALE_ABSOLUTE, RENEWED, False, CHANGES, (S, D), SET),
    (Incoming.LIVE, UNCHANGED, False, CHANGES, (), CookieAction.SET_IF_ROTATED),
    (Incoming.LIVE, UNCHANGED, False, EVERY, (T,), CookieAction.SET_IF_MOVED),
    (Incoming.LIVE, CHANGED, False, CHANGES, (U,), SET),
    (Incoming.LIVE, CHANGED, False, EVERY, (U,), SET),
    (Incoming.LIVE, CHANGED, True, CHANGES, (D,), REMOVE),
    (Incoming.LIVE, PURGED, True, EVERY, (D,), REMOVE),
    (Incoming.LIVE, RENEWED, False, CHANGES, (S, D), SET),
    (Incoming.LIVE, RENEWED, True, CHANGES, (D,), REMOVE),
    (Incoming.LIVE, UNCHANGED, True, CHANGES, (D,), REMOVE),
]


@pytest.mark.parametrize(("incoming", "status", "empty", "policy", "steps", "cookie"), ROWS)
def test_rows_of_the_table(
    incoming: Incoming,
    status: SessionStatus,
    empty: bool,
    policy: TtlExtensionPolicy,
    steps: tuple[Step, ...],
    cookie: CookieAction,
) -> None:
    assert decide(incoming, status, empty, policy) == Decision(steps, cookie)


ALL = list(itertools.product(Incoming, SessionStatus, [True, False], TtlExtensionPolicy))


@pytest.mark.parametrize(("incoming", "status", "empty", "policy"), ALL)
def test_every_combination_is_coherent(
    incoming: Incoming, status: SessionStatus, empty: bool, policy: TtlExtensionPolicy
) -> None:
    steps, cookie = decide(incoming, status, empty, policy)
    assert isinstance(cookie, CookieAction)
    assert len(set(steps)) == len(steps)
    # State is written only when there is state, and always gets a cookie to find it.
    if S in steps or U in steps:
        assert not empty
        assert cookie is SET
    # Renewal saves before it deletes: a failure in between never loses the state.
    if S in steps and D in steps:
        assert steps.index(S) < steps.index(D)
    # An empty final state never leaves a cookie pointing at nothing.
    if empty:
        assert cookie in (NOTHING, REMOVE)
    # A cookie we did not recognise is never deleted (it may belong to another app),
    # and nothing is deleted from the store for it.
    if incoming is Incoming.NONE:
        assert cookie is not REMOVE and D not in steps
    # The store is told to delete only what it may still hold.
    if D in steps:
        assert incoming in (Incoming.LIVE, Incoming.STALE_ABSOLUTE)
    if incoming is Incoming.STALE:
        assert D not in steps and T not in steps and U not in steps
    # Purging a live session always deletes it and removes the cookie.
    if incoming is Incoming.LIVE and status is PURGED:
        assert (steps, cookie) == ((D,), REMOVE)
    # Only unchanged live sessions extend their TTL without a write.
    if T in steps:
        assert (incoming, status, policy) == (Incoming.LIVE, UNCHANGED, EVERY)
