"""`Session`: the dict the application reads and writes, and `SessionStatus`.

A `Session` is a real ``dict`` subclass, so ``json.dumps``, Starlette's
``request.session`` and Flask code work unchanged. On top of the dict it tracks:

- ``accessed`` and ``modified`` flags that follow Starlette 1.x (reads mark accessed,
  mutating calls mark modified and accessed, ``mark_accessed()`` and ``mark_modified()``);
- the lifecycle requests ``purge()`` and ``renew()``, and the per-session ``permanent``;
- nothing about the stored state: an attached session belongs to an `Exchange`, which
  keeps the state as loaded and decides by *value* what gets written (a list read from
  the session and appended to counts as a change, ``update({})`` does not).

A session attached to a request may not be loaded yet. Its first use runs the exchange's
loader (an inline store read, or an error telling the caller to load it first).
``dict(session)``, ``{**session}`` and iteration go through the overridden methods and
so load it; ``json.dumps`` reads the raw dict through a C fast path, so a
session must be touched (``request.session`` and ``flask.session`` do that by marking it
accessed) before being serialized that way.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, overload

from ._errors import SessionCommittedError

if TYPE_CHECKING:
    from ._exchange import Exchange

__all__ = ["Session", "SessionStatus"]

_MISSING: Any = object()
IMMUTABLE_TYPES = frozenset({str, int, float, bool, type(None), bytes})
"""Values of these types cannot change in place: the loaded object is the loaded value."""


class SessionStatus(str, enum.Enum):
    """What the request did to the session, by precedence PURGED > RENEWED > CHANGED."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    RENEWED = "renewed"
    PURGED = "purged"


_UNCHANGED, _CHANGED = SessionStatus.UNCHANGED, SessionStatus.CHANGED
_RENEWED, _PURGED = SessionStatus.RENEWED, SessionStatus.PURGED


class Session(dict[str, Any]):
    """The session state of one request: a ``dict`` with change tracking.

    ``Session(mapping)`` builds a detached session (no request, no store), handy in
    tests and for Starlette code that creates one by hand.
    """

    # The exchange sits in a slot, so creating a session for an untouched request
    # allocates no instance dict; the flags live in the instance dict only once they
    # differ from these class defaults.
    __slots__ = ("__dict__", "_exchange")
    _exchange: Exchange | None
    _accessed = False
    _modified = False
    _forced = False
    _purged = False
    _renewed = False
    _permanent: bool | None = None
    # Mutable values handed to the application, which may change them in place: only
    # these are compared by serialized value at the end (``_all_handed_out``: every one).
    _handed_out: set[str] | None = None
    _all_handed_out = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._exchange = None
        dict.__init__(self, *args, **kwargs)

    # -- loading and flags -------------------------------------------------------------

    def _load(self) -> None:
        exchange = self._exchange
        if exchange is not None and not exchange._loaded:
            exchange._load_on_first_use()

    def _read(self) -> None:
        self._load()
        self._accessed = True

    def _hand_out(self, key: str) -> None:
        handed_out = self._handed_out
        if handed_out is None:
            self._handed_out = {key}
        else:
            handed_out.add(key)

    def _hand_out_all(self) -> None:
        self._read()
        self._all_handed_out = True

    def _write(self) -> None:
        exchange = self._exchange
        if exchange is not None and exchange._committed:
            raise SessionCommittedError(
                "the session was changed after the response headers were sent; the change "
                "cannot reach the client or the store. Change it before the response starts "
                "(not in a streaming body or a background task)."
            )
        self._load()
        self._accessed = True
        self._modified = True

    @property
    def accessed(self) -> bool:
        """True once the session was read or written in this request (adds ``Vary: Cookie``)."""
        return self._accessed

    @accessed.setter
    def accessed(self, value: bool) -> None:
        exchange = self._exchange
        if value and exchange is not None and exchange._load_on_mark and not exchange._loaded:
            exchange._load_on_first_use()
        self._accessed = bool(value)

    @property
    def modified(self) -> bool:
        """True once a mutating call ran; assigning True forces a save (the Flask idiom)."""
        return self._modified

    @modified.setter
    def modified(self, value: bool) -> None:
        if value:
            self._write()
            self._forced = True
        else:
            self._modified = False
            self._forced = False

    def mark_accessed(self) -> None:
        """Mark the session accessed (Starlette's ``request.session`` calls this)."""
        self.accessed = True

    def mark_modified(self) -> None:
        """Mark the session modified and accessed, forcing a save."""
        self.modified = True

    # -- lifecycle -----------------------------------------------------------------------

    def purge(self) -> None:
        """Destroy the session: its state is removed from the store and the cookie deleted.

        Writing to the session afterwards in the same request starts a new session under
        a new key (as ``clear()`` followed by ``renew()`` would), so "log out, then flash
        a message" works.
        """
        self._write()
        dict.clear(self)
        self._purged = True

    def renew(self) -> None:
        """Keep the state but move it to a new session key (do this when logging in)."""
        self._write()
        self._renewed = True

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser ("remember me").

        Defaults to the lifecycle's behaviour (`PersistentSession`: True,
        `BrowserSession`: False); setting it overrides that for this session and is
        stored with it.
        """
        self._read()
        if self._permanent is not None:
            return self._permanent
        exchange = self._exchange
        return exchange is not None and exchange._manager.default_permanent

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self._write()
        self._permanent = bool(value)

    @property
    def status(self) -> SessionStatus:
        """What the request has done to the session so far (decided by value)."""
        exchange = self._exchange
        if exchange is not None:
            return exchange._outcome()[0]
        # Detached: no loaded state to compare with, so the flags decide.
        if self._purged:
            return _RENEWED if dict.__len__(self) else _PURGED
        if self._renewed:
            return _RENEWED
        return _CHANGED if self._modified else _UNCHANGED

    @property
    def new(self) -> bool:
        """True if the request did not arrive with a live session."""
        self._read()
        exchange = self._exchange
        return exchange is None or exchange._created_at is None

    @property
    def created_at(self) -> float | None:
        """When the session was first saved (seconds since the epoch), if it was."""
        self._read()
        exchange = self._exchange
        return None if exchange is None else exchange._created_at

    @property
    def expires_at(self) -> float | None:
        """When the stored state expires, as last known (after loading or writing)."""
        self._read()
        exchange = self._exchange
        return None if exchange is None else exchange._expires_at

    # -- reads ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        exchange = self._exchange
        if exchange is not None and not exchange._loaded:
            exchange._load_on_first_use()
        self._accessed = True
        value = dict.__getitem__(self, key)
        if type(value) not in IMMUTABLE_TYPES:
            self._hand_out(key)
        return value

    @overload
    def get(self, key: str, default: None = None, /) -> Any | None: ...
    @overload
    def get(self, key: str, default: Any, /) -> Any: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        exchange = self._exchange
        if exchange is not None and not exchange._loaded:
            exchange._load_on_first_use()
        self._accessed = True
        value = dict.get(self, key, _MISSING)
        if value is _MISSING:
            return default
        if type(value) not in IMMUTABLE_TYPES:
            self._hand_out(key)
        return value

    def __contains__(self, key: object) -> bool:
        exchange = self._exchange
        if exchange is not None and not exchange._loaded:
            exchange._load_on_first_use()
        self._accessed = True
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
        exchange = self._exchange
        if exchange is not None and not exchange._loaded:
            return f"{type(self).__name__}(<not loaded>)"
        return f"{type(self).__name__}({dict.__repr__(self)})"

    # -- writes --------------------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        self._write()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._write()
        dict.__delitem__(self, key)

    def clear(self) -> None:
        self._write()
        dict.clear(self)

    def pop(self, key: str, default: Any = _MISSING, /) -> Any:
        self._read()
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
        self._read()
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
