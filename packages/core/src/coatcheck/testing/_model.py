"""The lifecycle machine's model: what DESIGN.md section 3 says the server holds.

Plain dicts and a few numbers, no crypto, no stores. The browser is not modelled: the
machine reads which session the browser names from its cookie jar (a faithful browser)
and checks every response against the `Expectation` this model returns.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import PersistentSession, SessionConfig, TtlExtensionPolicy
from ._actions import Draft

__all__ = ["DeadKey", "Expectation", "ModelSession", "SessionModel", "Visit"]

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


@dataclass
class SessionModel:
    """Every live server-side session, and the keys that must be gone."""

    config: SessionConfig
    revocable: bool
    sessions: dict[int, ModelSession] = field(default_factory=dict)
    dead: list[DeadKey] = field(default_factory=list)
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
        return gone

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
            return Draft({}, self.default_permanent)
        return Draft(copy.deepcopy(live.state), live.permanent)

    def untouched(self, visit: Visit) -> Expectation:
        """A request that never touched the session and never loaded it (lazy)."""
        live = visit.session
        if not visit.sent or not self.extends_untouched:
            return Expectation("none", live)
        if live is None:
            # A stale cookie: the TTL move finds nothing and removes the cookie, or the
            # policy asks for nothing; either is fine.
            return Expectation("any")
        ttl, policy = self.plan(live.permanent)
        if policy is not TtlExtensionPolicy.ON_EVERY_REQUEST:
            return Expectation("none", live)
        previous = live.expires_at
        live.expires_at = self.expiry(ttl, live.created_at, visit.now)
        return Expectation(
            "set" if live.permanent or visit.rotated else "any",
            live,
            may_move=True,
            previous_expiry=previous,
        )

    def touched(self, visit: Visit, draft: Draft, changed: bool) -> Expectation:
        """A request whose session was loaded (touched, or loaded eagerly).

        ``changed``: the final state differs from the loaded one by serialized value.
        """
        now = visit.now
        live = visit.session
        state = draft.state
        if draft.purged:
            if live is not None:
                self.kill(live, now, "purged")
            if state:
                return self._new(draft, now, now)
            return Expectation("remove" if visit.sent else "none")
        if draft.renewed:
            if not state:
                if live is not None:
                    self.kill(live, now, "emptied")
                return Expectation("remove" if visit.sent else "none")
            created_at = live.created_at if live is not None else now
            expectation = self._new(draft, created_at, now)
            if live is not None:
                self.kill(live, now, "renewed away")
            return expectation
        if live is None:
            if state:
                return self._new(draft, now, now)
            return Expectation("remove" if visit.sent else "none")
        if not state:
            self.kill(live, now, "emptied")
            return Expectation("remove")
        previous = live.expires_at
        ttl, policy = self.plan(draft.permanent)
        if changed or draft.permanent != live.permanent or draft.forced:
            live.state = copy.deepcopy(state)
            live.permanent = draft.permanent
            live.expires_at = self.expiry(ttl, live.created_at, now)
            return Expectation("set", live, may_move=True, previous_expiry=previous)
        if policy is TtlExtensionPolicy.ON_EVERY_REQUEST:
            live.expires_at = self.expiry(ttl, live.created_at, now)
            return Expectation(
                "set" if live.permanent or visit.rotated else "any",
                live,
                may_move=True,
                previous_expiry=previous,
            )
        if visit.rotated:
            return Expectation("set", live, exact_expiry=False, previous_expiry=previous)
        return Expectation("none", live)

    def _new(self, draft: Draft, created_at: float, now: float) -> Expectation:
        ttl, _policy = self.plan(draft.permanent)
        session = ModelSession(
            ident=next(self._ids),
            state=copy.deepcopy(draft.state),
            created_at=created_at,
            expires_at=self.expiry(ttl, created_at, now),
            permanent=draft.permanent,
        )
        self.sessions[session.ident] = session
        return Expectation("set", session, fresh=True)

    def kill(self, session: ModelSession, now: float, why: str) -> None:
        """The session ends now (purged, emptied, renewed away)."""
        self.sessions.pop(session.ident, None)
        if session.key is not None:
            # A store whose key carries the state cannot revoke it: it dies at its expiry.
            dead_from = now if self.revocable else session.expires_at
            self.dead.append(DeadKey(session.key, dead_from, why))

    def moved(
        self, session: ModelSession, old_key: str, previous_expiry: float, now: float
    ) -> None:
        """The store moved ``session`` from ``old_key`` to its new key."""
        dead_from = now if self.revocable else previous_expiry
        self.dead.append(DeadKey(old_key, dead_from, "moved to a new key"))
