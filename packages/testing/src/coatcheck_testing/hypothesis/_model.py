"""The lifecycle machine's model: what docs/design.md and ACCOUNTS say the server holds.

Plain dicts and a few numbers, no crypto, no stores. The browser is not modelled: the
machine reads which session the browser names from its cookie jar (a faithful browser)
and checks every response against the `Expectation` this model returns.

Beyond live sessions the model keeps the forwarding records of renewals with a grace
window (old key -> successor key, until when), and each session's subject (its value
under ``subject_key``, as text) and last activity, which is what the session index
lists.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from coatcheck import PersistentSession, SessionConfig, TtlExtensionPolicy
from coatcheck.sansio import MAX_FORWARDS

from ._actions import Draft

__all__ = ["DeadKey", "Expectation", "ModelForward", "ModelSession", "SessionModel", "Visit"]

CookieExpectation = Literal["set", "remove", "none", "any"]


@dataclass(eq=False)
class ModelSession:
    """One session the server holds: its state, lifetime and permanence."""

    ident: int
    state: dict[str, Any]
    created_at: float
    expires_at: float
    permanent: bool
    key: str | None = None
    """The store's key, learnt from the cookie that announced the session."""
    last_active: float = 0.0
    """The last time the session was written or its expiry moved (the index lists it)."""
    authenticated_at: float | None = None
    """When its subject was set or last confirmed (``None``: anonymous)."""


@dataclass
class ModelForward:
    """A renewed session's old key: it serves the session under ``successor`` (the key
    ``session`` was given) until ``until``."""

    session: ModelSession
    until: float
    permanent: bool = False
    """The successor's permanence when it was renewed (sealed in the record)."""
    successor: str | None = None
    """``None`` until the response announced ``session``'s key."""


@dataclass(frozen=True)
class DeadKey:
    """A store key that must load as nothing from ``dead_from`` on."""

    key: str
    dead_from: float
    why: str


@dataclass(frozen=True)
class Visit:
    """How a request arrived: the time and the live session its cookie names, if any."""

    now: float
    sent: bool
    """A cookie readable under the current keys was sent (live or stale)."""
    session: ModelSession | None
    rotated: bool
    """The cookie was sealed by an older key."""
    permanent: bool = False
    """The session's permanence: the cookie's (the configured default when it names
    none), or through forwarding records the one the last renewal sealed."""
    hops: int = 0
    """Forwarding records followed from the cookie's key to ``session``."""
    extended_at: float | None = None
    """When the cookie says the session was last extended (throttled refresh)."""
    cookie_permanent: bool | None = None
    """The permanence the cookie carries, when forwarding made ``permanent`` another:
    it alone decides whether an untouched request extends the session."""


@dataclass
class Expectation:
    """What the response must do with the cookie, and which session it must name after."""

    cookie: CookieExpectation
    session: ModelSession | None = None
    """The live session the browser names afterwards (``None``: no live session)."""
    fresh: bool = False
    """``session`` is new: its key comes from this response and was never seen before."""
    may_move: bool = False
    """The store may have moved the session to another key (update, TTL extension)."""
    exact_expiry: bool = True
    """A persistent cookie set now expires exactly with the state (not a rotation re-issue)."""
    previous_expiry: float = 0.0
    """The session's expiry before this request, for the key it may move away from."""
    forward_from: str | None = None
    """A renewal with grace: this old key forwards to ``session``'s new key."""
    capped: str | None = None
    """The session took this subject and the subject's sessions are capped."""


@dataclass
class SessionModel:
    """Every live server-side session, and the keys that must be gone."""

    config: SessionConfig
    revocable: bool
    forwarding: bool = False
    """The store keeps forwarding records (`coatcheck.sansio.forwards`)."""
    indexing: bool = False
    """The store keeps the session index and a subject key is configured."""
    sessions: dict[int, ModelSession] = field(default_factory=dict)
    dead: list[DeadKey] = field(default_factory=list)
    forwards: dict[str, ModelForward] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    # -- the configuration, restated -------------------------------------------------------

    @property
    def default_permanent(self) -> bool:
        """`Session.permanent` of a session that never set it."""
        return isinstance(self.config.lifecycle, PersistentSession)

    def plan(self, permanent: bool) -> tuple[int, TtlExtensionPolicy]:
        """The TTL and extension policy of a session with this effective permanence."""
        lifecycle = self.config.lifecycle
        if permanent and self.config.permanent_lifecycle is not None:
            lifecycle = self.config.permanent_lifecycle
        return lifecycle.ttl_seconds, lifecycle.ttl_extension_policy

    def refresh_every(self, permanent: bool) -> float | None:
        """Seconds between two extensions of a throttled session (``refresh_after``)."""
        lifecycle = self.config.lifecycle
        if permanent and self.config.permanent_lifecycle is not None:
            lifecycle = self.config.permanent_lifecycle
        fraction = lifecycle.refresh_after
        return None if fraction is None else fraction * lifecycle.ttl_seconds

    def extension_due(self, permanent: bool, extended_at: float | None, now: float) -> bool:
        """Whether an unchanged session with this permanence is extended ``now``."""
        if self.plan(permanent)[1] is not TtlExtensionPolicy.ON_EVERY_REQUEST:
            return False
        every = self.refresh_every(permanent)
        return every is None or extended_at is None or now - extended_at >= every

    def subject_of(self, state: dict[str, Any]) -> str | None:
        """The subject a state holds (its ``subject_key`` value as text), if any."""
        key = self.config.subject_key
        if key is None:
            return None
        value = state.get(key)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def grace(self, created_at: float, now: float) -> int:
        """Seconds a key renewed now keeps forwarding: ``renew_grace``, never past the
        absolute lifetime, and 0 with a store that keeps no forwarding records."""
        if not self.forwarding:
            return 0
        grace = self.config.renew_grace_seconds
        lifetime = self.config.absolute_lifetime_seconds
        if grace and lifetime is not None:
            grace = max(0, min(grace, int(created_at + lifetime - now)))
        return grace

    @property
    def extends_untouched(self) -> bool:
        """Some session's TTL moves on every request, touched or not."""
        return any(
            self.plan(permanent)[1] is TtlExtensionPolicy.ON_EVERY_REQUEST
            for permanent in (False, True)
        )

    def expiry(self, session_ttl: int, created_at: float, now: float) -> float:
        """When state written ``now`` expires: TTL capped by the absolute lifetime."""
        lifetime = self.config.absolute_lifetime_seconds
        ttl = session_ttl
        if lifetime is not None:
            ttl = max(0, min(ttl, int(created_at + lifetime - now)))
        return now + ttl

    # -- time ------------------------------------------------------------------------------

    def expire(self, now: float) -> list[ModelSession]:
        """Drop the sessions dead at ``now`` (expiry is exclusive); return them."""
        gone = [s for s in self.sessions.values() if now >= s.expires_at]
        for session in gone:
            del self.sessions[session.ident]
            if session.key is not None:
                self.dead.append(DeadKey(session.key, session.expires_at, "expired"))
        self._prune_forwards(now)
        return gone

    def resolve(self, key: str, now: float) -> tuple[ModelSession, int] | None:
        """The live session ``key`` names, following forwarding records (at most
        `MAX_FORWARDS` of them), and how many were followed."""
        for hops in range(MAX_FORWARDS + 1):
            forward = self.forwards.get(key)
            if forward is None:
                session = self.by_key(key)
                return None if session is None else (session, hops)
            if now >= forward.until:
                return None
            if forward.successor is None:
                session = forward.session
                return (session, hops + 1) if session.ident in self.sessions else None
            key = forward.successor
        return None

    def sealed_permanence(self, key: str, now: float) -> bool | None:
        """The permanence the last forwarding record on the way from ``key`` sealed
        (``None`` if ``key`` forwards nowhere)."""
        sealed = None
        for _ in range(MAX_FORWARDS + 1):
            forward = self.forwards.get(key)
            if forward is None or now >= forward.until:
                return sealed
            sealed = forward.permanent
            if forward.successor is None:
                return sealed
            key = forward.successor
        return sealed

    def settle_forward(self, old_key: str, now: float) -> None:
        """The renewal's response named the successor's key: ``old_key`` forwards to it."""
        forward = self.forwards.get(old_key)
        if forward is not None:
            forward.successor = forward.session.key
        self._prune_forwards(now)

    def _prune_forwards(self, now: float) -> None:
        """Forwarding records past their window, or whose successor is gone, are dead."""
        for key, forward in list(self.forwards.items()):
            if self.resolve(key, now) is None:
                del self.forwards[key]
                if now >= forward.until:
                    self.dead.append(DeadKey(key, forward.until, "renewed away, grace over"))
                else:
                    self.dead.append(DeadKey(key, now, "forwarding to an ended session"))

    def of_subject(self, subject: str) -> list[ModelSession]:
        """The live sessions of ``subject``, oldest first."""
        return [
            session
            for session in sorted(self.sessions.values(), key=lambda s: s.ident)
            if session.key is not None and self.subject_of(session.state) == subject
        ]

    def by_key(self, key: str) -> ModelSession | None:
        """The live session stored under ``key`` (the newest, if a key-is-state store
        gave two sessions equal records)."""
        found = [session for session in self.sessions.values() if session.key == key]
        return max(found, key=lambda session: session.ident) if found else None

    # -- one request -----------------------------------------------------------------------

    def draft(self, visit: Visit) -> Draft:
        """What the application sees when the request starts."""
        live = visit.session
        if live is None:
            return Draft({}, self.default_permanent, self.default_permanent)
        return Draft(copy.deepcopy(live.state), visit.permanent, self.default_permanent)

    def untouched(self, visit: Visit) -> Expectation:
        """A request that never touched the session and never loaded it (lazy)."""
        live = visit.session
        if live is not None and not visit.hops:
            live.permanent = visit.permanent
        if not visit.sent or not self.extends_untouched:
            return Expectation("none", live)
        if live is None:
            # A stale cookie: the TTL move finds nothing and removes the cookie, or the
            # policy asks for nothing; either is fine.
            return Expectation("any")
        # Whether to extend, the core judges by the cookie alone (it loads nothing).
        claimed = visit.permanent if visit.cookie_permanent is None else visit.cookie_permanent
        if not self.extension_due(claimed, visit.extended_at, visit.now):
            return Expectation("none", live)
        return self._extend(visit, live)

    def _extend(self, visit: Visit, live: ModelSession) -> Expectation:
        """An unchanged session's TTL moves now."""
        previous = live.expires_at
        ttl, _policy = self.plan(visit.permanent)
        live.permanent = visit.permanent
        live.expires_at = self.expiry(ttl, live.created_at, visit.now)
        live.last_active = visit.now
        # The cookie moves when it is persistent, re-sealed, forwarded or carries the
        # extension time; a browser-session cookie may otherwise stay as it is.
        moves = (
            visit.permanent
            or visit.rotated
            or visit.hops > 0
            or self.refresh_every(visit.permanent) is not None
        )
        return Expectation("set" if moves else "any", live, may_move=True, previous_expiry=previous)

    def touched(self, visit: Visit, draft: Draft, changed: bool) -> Expectation:
        """A request whose session was loaded (touched, or loaded eagerly).

        ``changed``: the final state differs from the loaded one by serialized value.
        """
        now = visit.now
        live = visit.session
        state = draft.state
        subject = self.subject_of(state)
        resubjected = self.config.subject_key is not None and subject != (
            None if live is None else self.subject_of(live.state)
        )
        if draft.purged:
            if live is not None:
                self.kill(live, now, "purged")
            if state:
                return self._new(draft, now, now, resubjected)
            return Expectation("remove" if visit.sent else "none")
        if draft.renewed or resubjected:
            if not state:
                if live is not None:
                    self.kill(live, now, "emptied")
                return Expectation("remove" if visit.sent else "none")
            if live is None:
                return self._new(draft, now, now, resubjected)
            expectation = self._new(draft, live.created_at, now, resubjected, live.authenticated_at)
            grace = 0 if resubjected else self.grace(live.created_at, now)
            if grace > 0 and live.key is not None:
                # The old key forwards to the new one (settled once its key is known).
                del self.sessions[live.ident]
                assert expectation.session is not None
                self.forwards[live.key] = ModelForward(
                    expectation.session, now + grace, expectation.session.permanent
                )
                expectation.forward_from = live.key
            else:
                self.kill(live, now, "subject changed" if resubjected else "renewed away")
            return expectation
        if live is None:
            if state:
                return self._new(draft, now, now, resubjected)
            return Expectation("remove" if visit.sent else "none")
        if not state:
            self.kill(live, now, "emptied")
            return Expectation("remove")
        previous = live.expires_at
        ttl, _policy = self.plan(draft.permanent)
        if changed or draft.permanent != visit.permanent or draft.forced:
            live.state = copy.deepcopy(state)
            live.permanent = draft.permanent
            live.expires_at = self.expiry(ttl, live.created_at, now)
            live.last_active = now
            return Expectation("set", live, may_move=True, previous_expiry=previous)
        live.permanent = visit.permanent
        if self.extension_due(visit.permanent, visit.extended_at, now):
            return self._extend(visit, live)
        if visit.rotated or visit.hops:
            # Re-sealed under the current key, or for the successor it was forwarded to.
            return Expectation("set", live, exact_expiry=False, previous_expiry=previous)
        return Expectation("none", live)

    def _new(
        self,
        draft: Draft,
        created_at: float,
        now: float,
        resubjected: bool = False,
        authenticated_at: float | None = None,
    ) -> Expectation:
        """A new session (or a renewed one, keeping ``authenticated_at`` unless the
        subject changed or was confirmed)."""
        ttl, _policy = self.plan(draft.permanent)
        subject = self.subject_of(draft.state)
        if subject is None:
            authenticated_at = None
        elif resubjected or draft.authenticated or authenticated_at is None:
            authenticated_at = now
        session = ModelSession(
            ident=next(self._ids),
            state=copy.deepcopy(draft.state),
            created_at=created_at,
            expires_at=self.expiry(ttl, created_at, now),
            permanent=draft.permanent,
            last_active=now,
            authenticated_at=authenticated_at,
        )
        self.sessions[session.ident] = session
        expectation = Expectation("set", session, fresh=True)
        if (
            resubjected
            and subject is not None
            and self.indexing
            and self.config.max_sessions_per_subject is not None
        ):
            expectation.capped = subject
        return expectation

    def kill(self, session: ModelSession, now: float, why: str) -> None:
        """The session ends now (purged, emptied, renewed away, revoked); so do the
        forwarding records that lead to it."""
        self.sessions.pop(session.ident, None)
        if session.key is not None:
            # A store whose key carries the state cannot revoke it: it dies at its expiry.
            dead_from = now if self.revocable else session.expires_at
            self.dead.append(DeadKey(session.key, dead_from, why))
        self._prune_forwards(now)

    def moved(
        self, session: ModelSession, old_key: str, previous_expiry: float, now: float
    ) -> None:
        """The store moved ``session`` from ``old_key`` to its new key."""
        dead_from = now if self.revocable else previous_expiry
        self.dead.append(DeadKey(old_key, dead_from, "moved to a new key"))
