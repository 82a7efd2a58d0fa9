"""Every lifecycle rule, fed every combination of its inputs (h2-style)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coatcheck import BrowserSession, PersistentSession, SessionConfig, TtlExtensionPolicy
from coatcheck._decision import (
    ABSENT,
    LIVE,
    STALE,
    STALE_ABSOLUTE,
    CookieAction,
    CookieOutcome,
    Decision,
    Incoming,
    SessionStatus,
    Step,
    TtlPlan,
    classify,
    cookie_outcome,
    decide,
    decide_untouched,
    extends_untouched,
    extension_due,
    keeps_old_key,
    lifetime,
    may_extend_untouched,
    nothing_to_do,
    persists,
    plans,
    reissue_max_age,
    starts_over,
    status_of,
)

S, U, T, D, R = Step.SAVE, Step.UPDATE, Step.UPDATE_TTL, Step.DELETE, Step.RENEW
SET, REMOVE, NOTHING = CookieAction.SET, CookieAction.REMOVE, CookieAction.NOTHING
REFRESH, REISSUE = CookieAction.REFRESH, CookieAction.REISSUE
EVERY, CHANGES = TtlExtensionPolicy.ON_EVERY_REQUEST, TtlExtensionPolicy.ON_STATE_CHANGES
UNCHANGED, CHANGED, RENEWED, PURGED = SessionStatus

# The table of docs/design.md, one row per line:
# (incoming, status, empty, extension due, renewal with grace) -> decision.
ROWS = [
    (ABSENT, UNCHANGED, True, False, False, (), NOTHING),
    (ABSENT, PURGED, True, True, True, (), NOTHING),
    (ABSENT, CHANGED, False, False, False, (S,), SET),
    (ABSENT, RENEWED, False, True, True, (S,), SET),
    (STALE, UNCHANGED, True, True, False, (), REMOVE),
    (STALE, PURGED, True, False, False, (), REMOVE),
    (STALE, CHANGED, True, False, False, (), REMOVE),
    (STALE, CHANGED, False, False, False, (S,), SET),
    (STALE, RENEWED, False, False, True, (S,), SET),
    (STALE_ABSOLUTE, UNCHANGED, True, False, False, (D,), REMOVE),
    (STALE_ABSOLUTE, PURGED, True, False, False, (D,), REMOVE),
    (STALE_ABSOLUTE, CHANGED, False, True, False, (S, D), SET),
    (STALE_ABSOLUTE, RENEWED, False, False, True, (S, D), SET),
    (LIVE, UNCHANGED, False, False, False, (), REISSUE),
    (LIVE, UNCHANGED, False, True, False, (T,), REFRESH),
    (LIVE, CHANGED, False, False, False, (U,), SET),
    (LIVE, CHANGED, False, True, True, (U,), SET),
    (LIVE, CHANGED, True, False, False, (D,), REMOVE),
    (LIVE, PURGED, True, True, True, (D,), REMOVE),
    (LIVE, RENEWED, False, False, False, (S, D), SET),
    (LIVE, RENEWED, False, False, True, (R,), SET),
    (LIVE, RENEWED, True, False, True, (D,), REMOVE),
    (LIVE, UNCHANGED, True, False, False, (D,), REMOVE),
]


@pytest.mark.parametrize(
    ("incoming", "status", "empty", "extend", "grace", "steps", "cookie"), ROWS
)
def test_rows_of_the_table(
    incoming: Incoming,
    status: SessionStatus,
    empty: bool,
    extend: bool,
    grace: bool,
    steps: tuple[Step, ...],
    cookie: CookieAction,
) -> None:
    assert decide(incoming, status, empty, extend, grace) == Decision(steps, cookie)


BOTH = [True, False]
ALL = list(itertools.product(Incoming, SessionStatus, BOTH, BOTH, BOTH))


@pytest.mark.parametrize(("incoming", "status", "empty", "extend", "grace"), ALL)
def test_every_combination_is_coherent(
    incoming: Incoming, status: SessionStatus, empty: bool, extend: bool, grace: bool
) -> None:
    steps, cookie = decide(incoming, status, empty, extend, grace)
    assert isinstance(cookie, CookieAction)
    assert len(set(steps)) == len(steps)
    # State is written only when there is state, and always gets a cookie to find it.
    if S in steps or U in steps or R in steps:
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
    if incoming is ABSENT:
        assert cookie is not REMOVE and D not in steps
    # The store is told to delete only what it may still hold.
    if D in steps:
        assert incoming in (LIVE, STALE_ABSOLUTE)
    if incoming is STALE:
        assert D not in steps and T not in steps and U not in steps
    # Purging a live session always deletes it and removes the cookie.
    if incoming is LIVE and status is PURGED:
        assert (steps, cookie) == ((D,), REMOVE)
    # Only unchanged live sessions extend their TTL without a write, and only when due.
    if T in steps:
        assert (incoming, status, extend) == (LIVE, UNCHANGED, True)
    # Only a live session renewed with grace leaves its old key forwarding; every other
    # renewal deletes the old key (after saving the new one).
    if R in steps:
        assert (incoming, status, grace, steps) == (LIVE, RENEWED, True, (R,))
    if incoming is LIVE and status is RENEWED and not empty and not grace:
        assert steps == (S, D)


# -- the fast path ---------------------------------------------------------------------------


@pytest.mark.parametrize("rotated", BOTH)
@pytest.mark.parametrize("forwarded", BOTH)
@pytest.mark.parametrize(("incoming", "status", "empty", "extend", "grace"), ALL)
def test_the_fast_path_is_the_table_answering_nothing(
    incoming: Incoming,
    status: SessionStatus,
    empty: bool,
    extend: bool,
    grace: bool,
    rotated: bool,
    forwarded: bool,
) -> None:
    """``nothing_to_do`` holds exactly when a clean session's decision writes nothing
    and its cookie action does nothing (whatever the store answers). A cookie sealed by
    an older key, or naming a key the store forwarded, must be set again: ``reissue``."""
    clean = status is UNCHANGED and not empty  # what a clean loaded session is
    decision = decide(incoming, status, empty, extend, grace)
    quiet = not decision.steps and all(
        cookie_outcome(
            decision.cookie, persistent=p, moved=forwarded, rotated=rotated, vanished=False
        )
        is CookieOutcome.NOTHING
        for p in BOTH
    )
    reissue = rotated or forwarded
    if clean:
        assert nothing_to_do(incoming, True, extend, reissue) == (incoming is LIVE and quiet)
    else:
        assert not nothing_to_do(incoming, False, extend, reissue)


# -- the other rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purged", "renewed", "resubjected", "changed", "empty", "expected"),
    [
        (True, True, True, True, True, PURGED),
        (True, False, False, False, False, RENEWED),  # purged, then written to again
        (False, True, False, False, True, RENEWED),
        (False, True, False, True, False, RENEWED),
        (False, False, True, True, False, RENEWED),  # a login renews by itself
        (False, False, True, True, True, RENEWED),  # a logout that empties: deleted
        (False, False, False, True, False, CHANGED),
        (False, False, False, False, True, UNCHANGED),
    ],
)
def test_status_precedence(
    purged: bool,
    renewed: bool,
    resubjected: bool,
    changed: bool,
    empty: bool,
    expected: SessionStatus,
) -> None:
    status = status_of(
        purged=purged, renewed=renewed, changed=changed, empty=empty, resubjected=resubjected
    )
    assert status is expected


@pytest.mark.parametrize("flags", list(itertools.product(BOTH, repeat=4)))
def test_only_a_renewal_that_keeps_the_subject_keeps_the_old_key(
    flags: tuple[bool, bool, bool, bool],
) -> None:
    with_grace, resubjected, purged, forwards = flags
    grace = 10 if with_grace else 0
    kept = keeps_old_key(grace=grace, resubjected=resubjected, purged=purged, forwards=forwards)
    # A login or a logout must kill the old key at once: that is the fixation defence.
    assert kept is (with_grace and forwards and not resubjected and not purged)


@pytest.mark.parametrize("status_code", [None, 100, 200, 204, 302, 404, 499, 500, 503, 599])
def test_server_errors_persist_nothing(status_code: int | None) -> None:
    assert persists(status_code) is (status_code is None or status_code < 500)


@given(
    ttl=st.integers(1, 10**6),
    fraction=st.none() | st.floats(0.01, 0.99),
    since=st.none() | st.integers(0, 2 * 10**6),  # whole seconds: exact as floats
    policy=st.sampled_from(TtlExtensionPolicy),
)
def test_a_throttled_extension_is_due_once_its_fraction_passed(
    ttl: int, fraction: float | None, since: int | None, policy: TtlExtensionPolicy
) -> None:
    plan = TtlPlan(ttl, policy, None, None if fraction is None else fraction * ttl)
    now = 1e9
    extended_at = None if since is None else now - since
    due = extension_due(plan, extended_at, now)
    if policy is CHANGES:
        assert not due
    elif fraction is None or since is None:
        assert due
    else:
        assert due is (since >= fraction * ttl)


def test_refresh_after_reaches_the_plans() -> None:
    config = SessionConfig(
        lifecycle=BrowserSession(state_ttl=100, ttl_extension_policy=EVERY, refresh_after=0.5)
    )
    browser, permanent = plans(config)
    assert browser.refresh_every == 50.0 and permanent.refresh_every == 50.0
    assert plans(SessionConfig())[0].refresh_every is None


@given(st.floats(0, 2e9), st.floats(0, 1e6), st.none() | st.floats(0, 1e6))
def test_classify_is_exclusive_at_the_absolute_lifetime(
    created_at: float, elapsed: float, lifetime_: float | None
) -> None:
    now = created_at + elapsed
    incoming = classify(created_at, now, lifetime_)
    past = lifetime_ is not None and now >= created_at + lifetime_
    assert incoming is (STALE_ABSOLUTE if past else LIVE)


@pytest.mark.parametrize("incoming", list(Incoming))
@pytest.mark.parametrize("purged", [True, False])
def test_only_a_live_session_keeps_its_creation_time(incoming: Incoming, purged: bool) -> None:
    assert starts_over(incoming, purged) is (incoming is not LIVE or purged)


@pytest.mark.parametrize("incoming", list(Incoming))
@pytest.mark.parametrize("extend", BOTH)
def test_untouched_rows(incoming: Incoming, extend: bool) -> None:
    decision = decide_untouched(incoming, extend)
    if incoming is STALE_ABSOLUTE:
        assert decision == Decision((D,), REMOVE)
    elif incoming is LIVE and extend:
        assert decision == Decision((T,), REFRESH)
    else:
        assert decision == Decision((), NOTHING)


@pytest.mark.parametrize("claimed", [None, True, False])
@pytest.mark.parametrize("default_permanent", [True, False])
def test_the_visible_header_decides_whether_an_untouched_request_may_extend(
    claimed: bool | None, default_permanent: bool
) -> None:
    config = SessionConfig(
        lifecycle=BrowserSession(ttl_extension_policy=CHANGES),
        permanent_lifecycle=PersistentSession(ttl_extension_policy=EVERY),
    )
    session_plans = plans(config)
    assert extends_untouched(session_plans)
    effective = default_permanent if claimed is None else claimed
    assert may_extend_untouched(claimed, default_permanent, session_plans) is effective
    assert not extends_untouched(plans(SessionConfig()))


@pytest.mark.parametrize("action", list(CookieAction))
@pytest.mark.parametrize("flags", list(itertools.product([True, False], repeat=4)))
def test_cookie_outcomes(action: CookieAction, flags: tuple[bool, bool, bool, bool]) -> None:
    persistent, moved, rotated, vanished = flags
    outcome = cookie_outcome(
        action, persistent=persistent, moved=moved, rotated=rotated, vanished=vanished
    )
    # A session that vanished meanwhile never gets a cookie: it stays deleted.
    if vanished or action is REMOVE:
        assert outcome is CookieOutcome.REMOVE
    elif action is SET:
        assert outcome is CookieOutcome.SET
    elif action is REFRESH:
        expected = persistent or moved or rotated
        assert outcome is (CookieOutcome.SET if expected else CookieOutcome.NOTHING)
    elif action is REISSUE:
        # A cookie whose value moved (a forwarded key) is set whole; an older key's
        # cookie is set again with the stored expiry.
        if moved:
            assert outcome is CookieOutcome.SET
        else:
            assert outcome is (CookieOutcome.REISSUE if rotated else CookieOutcome.NOTHING)
    else:
        assert outcome is CookieOutcome.NOTHING


@given(
    ttl=st.integers(0, 10**7),
    persistent=st.booleans(),
    created_at=st.floats(0, 2e9),
    elapsed=st.floats(0, 1e7),
    absolute=st.none() | st.floats(0, 1e7),
)
def test_lifetime_never_outlives_the_absolute_lifetime(
    ttl: int, persistent: bool, created_at: float, elapsed: float, absolute: float | None
) -> None:
    plan = TtlPlan(ttl, CHANGES, ttl if persistent else None)
    now = created_at + elapsed
    stored, max_age = lifetime(plan, created_at, now, absolute)
    assert 0 <= stored <= ttl
    if absolute is not None:
        assert now + stored <= created_at + absolute + 1e-6 or stored == 0
    assert (max_age is None) is not persistent
    if max_age is not None:
        assert max_age == stored


@given(st.floats(0, 2e9), st.floats(-10, 1e6))
def test_a_reissued_cookie_never_dies_before_its_state(now: float, offset: float) -> None:
    expires_at = now + offset
    left = expires_at - now
    max_age = reissue_max_age(expires_at, now)
    assert max_age == max(0, math.ceil(left))
    if left > 0:
        assert max_age >= 1 and now + max_age >= expires_at
