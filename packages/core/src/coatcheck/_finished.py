"""`FinishedOwner`: what a session records on once its exchange is done.

A session and its exchange point at each other while the request runs (the session
records its use on the exchange, the exchange reads the session at the end). Left like
that, every request would leave a reference cycle behind, and the session's state (for a
state of a few dozen values, a few dozen objects) would wait for the garbage collector
instead of going when the request's last reference does. That wait cost a read of a 1 KB
state about a fifth of its time (docs/design.md, "Memory").

So when the exchange of a *loaded* session is done (it can never load again), the session
lets go of it and records on a `FinishedOwner` instead: the request's final records,
copied once. Reading the session works as before; changing it raises
`SessionCommittedError`, as it did on the done exchange; `Session.status` is what the
request did, as the exchange decided it. A session never loaded keeps its exchange, which
may still load it late (a streaming body).
"""

from __future__ import annotations

from ._decision import SessionStatus
from ._identity import session_id

__all__ = ["FinishedOwner"]


class FinishedOwner:
    """The records of a session whose exchange is done (`SessionOwner`)."""

    __slots__ = (
        "_authentication_time",
        "_session_key",
        "_status",
        "accessed",
        "all_handed_out",
        "authenticated_now",
        "committed",
        "created_at",
        "default_permanent",
        "expires_at",
        "forced",
        "handed_out",
        "load_on_mark",
        "loaded",
        "modified",
        "now",
        "permanent",
        "purged",
        "renewed",
        "subject_key",
    )

    def __init__(
        self,
        *,
        status: SessionStatus,
        session_key: str | None,
        authentication_time: float | None,
        now: float,
        subject_key: str | None,
        default_permanent: bool,
        accessed: bool,
        modified: bool,
        forced: bool,
        purged: bool,
        renewed: bool,
        authenticated_now: bool,
        permanent: bool | None,
        handed_out: set[str] | None,
        all_handed_out: bool,
        created_at: float | None,
        expires_at: float | None,
    ) -> None:
        self.loaded = True
        self.load_on_mark = False
        self.committed = True
        self._status = status
        self._session_key = session_key
        self._authentication_time = authentication_time
        self.now = now
        self.subject_key = subject_key
        self.default_permanent = default_permanent
        self.accessed = accessed
        self.modified = modified
        self.forced = forced
        self.purged = purged
        self.renewed = renewed
        self.authenticated_now = authenticated_now
        self.permanent = permanent
        self.handed_out = handed_out
        self.all_handed_out = all_handed_out
        self.created_at = created_at
        self.expires_at = expires_at

    def load_now(self) -> None:
        """Nothing to load: the state is in the session."""

    def authentication_time(self) -> float | None:
        """When the subject was set or last confirmed, as of the end of the request."""
        return self._authentication_time

    def current_id(self) -> str | None:
        """The public id of the session's key as the request left it, if it has one."""
        key = self._session_key
        return None if key is None else session_id(key)

    def status(self) -> SessionStatus:
        """What the request did to the session, as its exchange decided."""
        return self._status

    def __repr__(self) -> str:
        return f"FinishedOwner(status={self._status.value!r})"
