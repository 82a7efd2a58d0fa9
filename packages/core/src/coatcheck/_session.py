"""`Session`: the dict the application reads and writes, and what it asks of its owner.

A `Session` is a real ``dict`` subclass, so ``json.dumps``, Starlette's
``request.session`` and Flask code work unchanged. What happens to it in a request is
recorded on its *owner* (`SessionOwner`): the request's `Exchange` (once that is done,
its final records, `FinishedOwner`), or, for a session built by hand
(``Session({"a": 1})``), a small detached owner. The session records:

- ``accessed`` and ``modified``, following Starlette 1.x (reads mark accessed, mutating
  calls mark modified and accessed, ``mark_accessed()`` and ``mark_modified()``); a call
  that changes nothing (``pop`` of a missing key, ``setdefault`` of a present one) marks
  nothing;
- the lifecycle requests ``purge()``, ``renew()`` and ``mark_authenticated()``, and the
  per-session ``permanent``;
- which mutable values it handed out, the only ones that may have changed in place.

It keeps nothing about the stored state: the owner compares by *value* at the end.

A session attached to a request may not be loaded yet; its first use asks the owner to
load it. ``dict(session)``, ``{**session}`` and iteration go through the overridden
methods and so load it; ``json.dumps`` reads the raw dict through a C fast path, so a
session must be touched (``request.session`` and ``flask.session`` mark it accessed, which
loads it) before it is serialized that way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar, Protocol, overload

from ._decision import SessionStatus, status_of
from ._errors import SessionCommittedError
from ._identity import subject_of

__all__ = ["IMMUTABLE_TYPES", "Session", "SessionOwner", "hand_over", "owner_of"]

_MISSING: Any = object()
IMMUTABLE_TYPES = frozenset({str, int, float, bool, type(None), bytes})
"""Values of these types cannot change in place: the loaded object is the loaded value."""

_COMMITTED = (
    "the session was changed after the response headers were sent; the change cannot "
    "reach the client or the store. Change it before the response starts (not in a "
    "streaming body or a background task)."
)


class SessionOwner(Protocol):
    """What a `Session` reads and records on whoever owns it (an `Exchange`)."""

    loaded: bool
    """The state is in the dict (reading it needs no load)."""
    load_on_mark: bool
    """Marking the session accessed loads it too (so C-level readers see the state)."""
    accessed: bool
    modified: bool
    forced: bool
    """A save was asked for whatever the values (``modified = True``)."""
    purged: bool
    renewed: bool
    authenticated_now: bool
    """``mark_authenticated()`` ran in this request."""
    permanent: bool | None
    """The ``permanent`` override set in this request or loaded, else ``None``."""
    handed_out: set[str] | None
    """Keys whose mutable values the application got and may change in place."""
    all_handed_out: bool
    created_at: float | None
    expires_at: float | None

    @property
    def now(self) -> float:
        """The request's clock reading."""
        ...

    @property
    def subject_key(self) -> str | None:
        """The session key holding the subject, if subjects are configured."""
        ...

    def authentication_time(self) -> float | None:
        """When the current subject was set or last confirmed, if there is one."""
        ...

    def current_id(self) -> str | None:
        """The session's public id as of now, if it has been saved server-side."""
        ...

    @property
    def committed(self) -> bool:
        """The response headers went out: a change now raises `SessionCommittedError`."""
        ...

    @property
    def default_permanent(self) -> bool:
        """`Session.permanent` of a session that never set it."""
        ...

    def load_now(self) -> None:
        """Load the state into the dict now (or raise saying how to load it)."""
        ...

    def status(self) -> SessionStatus:
        """What the request has done to the session so far (decided by value)."""
        ...


class _Detached:
    """The owner of a session built by hand: no request, no store, nothing to load."""

    __slots__ = (
        "accessed",
        "all_handed_out",
        "authenticated_now",
        "forced",
        "handed_out",
        "modified",
        "permanent",
        "purged",
        "renewed",
        "session",
    )

    loaded = True
    load_on_mark = False
    committed = False
    default_permanent = False
    subject_key: str | None = None
    created_at: float | None = None
    expires_at: float | None = None

    def __init__(self, session: Session) -> None:
        self.accessed = self.modified = self.forced = False
        self.purged = self.renewed = self.all_handed_out = self.authenticated_now = False
        self.permanent: bool | None = None
        self.handed_out: set[str] | None = None
        self.session = session

    @property
    def now(self) -> float:
        """The wall clock (a detached session has no request)."""
        return time.time()

    def load_now(self) -> None:
        """Nothing to load."""

    def authentication_time(self) -> float | None:
        """No subject outside a request."""
        return None

    def current_id(self) -> str | None:
        """Never saved."""
        return None

    def status(self) -> SessionStatus:
        """Without a loaded state to compare with, the flags decide."""
        return status_of(
            purged=self.purged,
            renewed=self.renewed,
            changed=self.modified,
            empty=not dict.__len__(self.session),
        )


class Session(dict[str, Any]):
    """The session state of one request: a ``dict`` with change tracking.

    ``Session(mapping)`` builds a detached session (no request, no store), handy in
    tests and for Starlette code that creates one by hand.
    """

    __slots__ = ("_owner",)
    _owner: SessionOwner

    save_on_any_write: ClassVar[bool] = False
    """Whether every mutating call forces a save, even one that leaves the values as
    they were. False: what gets written is decided by value alone. A subclass for a
    framework whose rule is "an assignment writes the cookie" (Flask) sets it True;
    what a server-side store writes is still the delta by value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        dict.__init__(self, *args, **kwargs)
        self._owner = _Detached(self)

    @classmethod
    def owned_by(cls, owner: SessionOwner) -> Session:
        """An empty session recorded on ``owner`` (how an `Exchange` makes its session)."""
        # __new__ skips the Python-level __init__, which would make a detached owner.
        session = cls.__new__(cls)
        session._owner = owner
        return session

    # -- recording -----------------------------------------------------------------------
    # The reads below (__getitem__, get, __contains__) inline `_read` and `_hand_out`: they
    # run on nearly every request, and a call costs as much as their whole body.

    def _read(self) -> None:
        owner = self._owner
        if not owner.loaded:
            owner.load_now()
        owner.accessed = True

    def _hand_out(self, key: str) -> None:
        owner = self._owner
        handed_out = owner.handed_out
        if handed_out is None:
            owner.handed_out = {key}
        else:
            handed_out.add(key)

    def _hand_out_all(self) -> None:
        self._read()
        self._owner.all_handed_out = True

    def _write(self) -> None:
        owner = self._owner
        if owner.committed:
            raise SessionCommittedError(_COMMITTED)
        if not owner.loaded:
            owner.load_now()
        owner.accessed = owner.modified = True
        if self.save_on_any_write:
            owner.forced = True

    @property
    def accessed(self) -> bool:
        """True once the session was read or written in this request (adds ``Vary: Cookie``)."""
        return self._owner.accessed

    @accessed.setter
    def accessed(self, value: bool) -> None:
        owner = self._owner
        if value and owner.load_on_mark and not owner.loaded:
            owner.load_now()
        owner.accessed = bool(value)

    @property
    def modified(self) -> bool:
        """True once a mutating call ran; assigning True forces a save (the Flask idiom)."""
        return self._owner.modified

    @modified.setter
    def modified(self, value: bool) -> None:
        if value:
            self._write()
            self._owner.forced = True
        else:
            owner = self._owner
            owner.modified = owner.forced = False

    def mark_accessed(self) -> None:
        """Mark the session accessed (Starlette's ``request.session`` calls this)."""
        self.accessed = True

    def mark_modified(self) -> None:
        """Mark the session modified and accessed, forcing a save."""
        self.modified = True

    # -- lifecycle -----------------------------------------------------------------------

    def purge(self) -> None:
        """Destroy the session: its state is removed from the store and the cookie deleted.

        Its ``permanent`` override goes too ("remember me" never outlives a logout).
        Writing to the session afterwards in the same request starts a new session under
        a new key (as ``clear()`` followed by ``renew()`` would), so "log out, then flash
        a message" works.
        """
        self._write()
        dict.clear(self)
        owner = self._owner
        owner.purged = True
        owner.permanent = None
        owner.authenticated_now = False

    def renew(self) -> None:
        """Keep the state but move it to a new session key.

        With a subject key configured, a login (a change of subject) renews by itself.
        The old key keeps forwarding to the new one for ``renew_grace`` (server-side
        stores), so requests already in flight with the old cookie still find the
        session.
        """
        self._write()
        self._owner.renewed = True

    # -- accounts ------------------------------------------------------------------------

    @property
    def subject(self) -> str | None:
        """Who the session belongs to: its value under ``SessionConfig.subject_key``, as
        text (``None``: anonymous, or no subject key configured)."""
        self._read()
        key = self._owner.subject_key
        if key is None:
            return None
        return subject_of(dict.get(self, key), key)

    @property
    def authenticated_at(self) -> float | None:
        """When the current subject was set or last confirmed (`mark_authenticated`), in
        seconds since the epoch; ``None`` for an anonymous session. It survives
        `renew`; `purge` and a change of subject reset it."""
        self._read()
        return self._owner.authentication_time()

    def mark_authenticated(self) -> None:
        """The user proved who they are again (a step-up, "confirm your password"):
        `authenticated_at` becomes now and the session key is renewed."""
        self._read()
        if self.subject is None:
            raise ValueError(
                "mark_authenticated() needs a session with a subject "
                "(set SessionConfig(subject_key=...) and log the user in first)"
            )
        self._write()
        owner = self._owner
        owner.authenticated_now = owner.renewed = True

    def is_fresh(self, max_age: timedelta | float) -> bool:
        """Whether a subject is set and was authenticated less than ``max_age`` ago (for
        "confirm your password before changing it")."""
        seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
        authenticated_at = self.authenticated_at
        if authenticated_at is None:
            return False
        return self._owner.now - authenticated_at < seconds

    @property
    def id(self) -> str | None:
        """The session's public identifier: stable for a server-side session until its
        key is renewed, derived one way from the key (it can be shown, listed and passed
        to ``revoke``, never used as a cookie). ``None`` before the first save and with
        `CookieStore`."""
        self._read()
        return self._owner.current_id()

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser ("remember me").

        Defaults to the lifecycle's behaviour (`PersistentSession`: True,
        `BrowserSession`: False); setting it overrides that for this session and is
        stored with it. ``clear()`` and ``purge()`` forget the override.
        """
        self._read()
        owner = self._owner
        permanent = owner.permanent
        return owner.default_permanent if permanent is None else permanent

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self._write()
        self._owner.permanent = bool(value)

    @property
    def status(self) -> SessionStatus:
        """What the request has done to the session so far (decided by value)."""
        return self._owner.status()

    @property
    def new(self) -> bool:
        """True if the request did not arrive with a live session."""
        self._read()
        return self._owner.created_at is None

    @property
    def created_at(self) -> float | None:
        """When the session was first saved (seconds since the epoch), if it was."""
        self._read()
        return self._owner.created_at

    @property
    def expires_at(self) -> float | None:
        """When the stored state expires, as last known (after loading or writing)."""
        self._read()
        return self._owner.expires_at

    # -- reads ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        owner = self._owner
        if not owner.loaded:
            owner.load_now()
        owner.accessed = True
        value = dict.__getitem__(self, key)
        if type(value) not in IMMUTABLE_TYPES:
            self._hand_out(key)
        return value

    @overload
    def get(self, key: str, default: None = None, /) -> Any | None: ...
    @overload
    def get(self, key: str, default: Any, /) -> Any: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        owner = self._owner
        if not owner.loaded:
            owner.load_now()
        owner.accessed = True
        value = dict.get(self, key, _MISSING)
        if value is _MISSING:
            return default
        if type(value) not in IMMUTABLE_TYPES:
            self._hand_out(key)
        return value

    def __contains__(self, key: object) -> bool:
        owner = self._owner
        if not owner.loaded:
            owner.load_now()
        owner.accessed = True
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[str]:
        self._read()
        return dict.__iter__(self)

    def __reversed__(self) -> Iterator[str]:
        self._read()
        return dict.__reversed__(self)

    def __len__(self) -> int:
        self._read()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._read()
        return dict.keys(self)

    def values(self) -> Any:
        self._hand_out_all()
        return dict.values(self)

    def items(self) -> Any:
        self._hand_out_all()
        return dict.items(self)

    def copy(self) -> dict[str, Any]:
        """A plain ``dict`` copy of the state."""
        self._hand_out_all()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._read()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._read()
        return dict.__ne__(self, other)

    __hash__ = None

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self._hand_out_all()
        return dict(dict.items(self)) | other  # type: ignore[no-any-return]

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self._hand_out_all()
        return other | dict(dict.items(self))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        if not self._owner.loaded:
            return f"{type(self).__name__}(<not loaded>)"
        return f"{type(self).__name__}({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy or a pickle is a detached session holding the same state.
        return (type(self), (dict(dict.items(self)),))

    # -- writes --------------------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        self._write()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._write()
        dict.__delitem__(self, key)

    def clear(self) -> None:
        """Remove every key, and the ``permanent`` override with them (as Flask does)."""
        self._write()
        dict.clear(self)
        self._owner.permanent = None

    def pop(self, key: str, default: Any = _MISSING, /) -> Any:
        # Popping a missing key changes nothing and marks nothing (as in Starlette).
        owner = self._owner
        if not owner.loaded:
            owner.load_now()
        if dict.__contains__(self, key):
            self._write()
            return dict.pop(self, key)
        if default is _MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[str, Any]:
        self._read()
        if not dict.__len__(self):
            raise KeyError("popitem(): session is empty")
        self._write()
        return dict.popitem(self)

    def setdefault(self, key: str, default: Any = None, /) -> Any:
        # A present key is returned without marking anything (as in Starlette); a mutable
        # value handed out this way is still compared by value at the end.
        owner = self._owner
        if not owner.loaded:
            owner.load_now()
        if dict.__contains__(self, key):
            value = dict.__getitem__(self, key)
            if type(value) not in IMMUTABLE_TYPES:
                self._hand_out(key)
            return value
        self._write()
        dict.__setitem__(self, key, default)
        return default

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._write()
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: Any) -> Session:  # type: ignore[override]
        self._write()
        dict.update(self, other)
        return self


def owner_of(session: Session) -> SessionOwner:
    """Whoever ``session`` records its use on (its exchange, or its detached owner)."""
    return session._owner


def hand_over(session: Session, owner: SessionOwner) -> None:
    """Make ``session`` record on ``owner`` from now on (a done exchange lets go of it)."""
    session._owner = owner
