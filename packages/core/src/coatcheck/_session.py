"""`Session`: the dict the application reads and writes, and `SessionStatus`.

A `Session` is a real ``dict`` subclass, so ``json.dumps``, Starlette's
``request.session`` and Flask code work unchanged. On top of the dict it tracks:

- ``accessed`` and ``modified`` flags that follow Starlette 1.x (reads mark accessed,
  mutating calls mark modified and accessed, ``mark_accessed()`` and ``mark_modified()``);
- the lifecycle requests ``purge()`` and ``renew()``, and the per-session ``permanent``;
- the state as loaded (its serialized text per key), so that what gets written is decided
  by *value*: a list read from the session and appended to counts as a change, and
  ``update({})`` does not.

A session attached to a request may not be loaded yet. Its first use runs a loader the
adapter installed (an inline store read, or an error telling the caller to load it
first). ``dict(session)``, ``{**session}`` and iteration go through the overridden
methods and so load it; ``json.dumps`` reads the raw dict through a C fast path, so a
session must be touched (``request.session`` and ``flask.session`` do that by marking it
accessed) before being serialized that way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from ._errors import SessionCommittedError, SessionSerializationError

if TYPE_CHECKING:
    from ._serializer import Serializer

__all__ = ["Session", "SessionStatus"]

_MISSING: Any = object()
# Values of these types cannot change in place: if the object in the session is the
# very one loaded, its serialized text is still the loaded text.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes})


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

    # Per-request attributes live in the instance dict only once they differ from these
    # class defaults, so an untouched request allocates next to nothing.
    _loader: Callable[[], None] | None = None
    _load_on_mark = False
    _accessed = False
    _modified = False
    _forced = False
    _purged = False
    _renewed = False
    _committed = False
    _permanent: bool | None = None
    _permanent_default = False
    _permanent_loaded = False
    _created_at: float | None = None
    _expires_at: float | None = None
    _new = True
    _serializer: Serializer | None = None
    _loaded_text: Mapping[str, str] | None = None
    _loaded_values: dict[str, Any] | None = None

    # -- loading and flags -------------------------------------------------------------

    def _load(self) -> None:
        loader = self._loader
        if loader is not None:
            loader()

    def _read(self) -> None:
        if self._loader is not None:
            self._load()
        self._accessed = True

    def _write(self) -> None:
        if self._committed:
            raise SessionCommittedError(
                "the session was changed after the response headers were sent; the change "
                "cannot reach the client or the store. Change it before the response starts "
                "(not in a streaming body or a background task)."
            )
        if self._loader is not None:
            self._load()
        self._accessed = True
        self._modified = True

    @property
    def accessed(self) -> bool:
        """True once the session was read or written in this request (adds ``Vary: Cookie``)."""
        return self._accessed

    @accessed.setter
    def accessed(self, value: bool) -> None:
        if value and self._load_on_mark and self._loader is not None:
            self._load()
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
        if self._permanent is None:
            return self._permanent_default
        return self._permanent

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self._write()
        self._permanent = bool(value)

    @property
    def status(self) -> SessionStatus:
        """What the request has done to the session so far (decided by value)."""
        return self._outcome()[0]

    @property
    def new(self) -> bool:
        """True if the request did not arrive with a live session."""
        self._read()
        return self._new

    @property
    def created_at(self) -> float | None:
        """When the session was first saved (seconds since the epoch), if it was."""
        self._read()
        return self._created_at

    @property
    def expires_at(self) -> float | None:
        """When the stored state expires, as last known (after loading or writing)."""
        self._read()
        return self._expires_at

    # -- change detection (used by the exchange) ---------------------------------------

    def _fill(self, texts: Mapping[str, str], values: dict[str, Any]) -> None:
        """Install the loaded state; called by the exchange, never by applications."""
        self._loader = None
        dict.update(self, values)
        self._loaded_text = texts
        self._loaded_values = values

    def _changes(self) -> tuple[dict[str, str], frozenset[str]]:
        """Keys whose serialized value differs from the loaded one, and keys removed."""
        serializer = self._serializer
        assert serializer is not None, "only an attached session has a serializer"
        dumps = serializer.dumps
        loaded_text = self._loaded_text or {}
        loaded_values = self._loaded_values or {}
        changed: dict[str, str] = {}
        for key, value in dict.items(self):
            if type(value) in _IMMUTABLE and key in loaded_values and loaded_values[key] is value:
                continue
            if not isinstance(key, str):
                raise SessionSerializationError(key, "session keys must be strings")
            try:
                text = dumps(value)
            except Exception as exc:
                raise SessionSerializationError(key, exc) from exc
            if loaded_text.get(key) != text:
                changed[key] = text
        if not self._modified:
            # Removing a key takes a mutating call; without one, only in-place changes count.
            return changed, frozenset()
        removed = frozenset(key for key in loaded_text if not dict.__contains__(self, key))
        return changed, removed

    def _permanent_changed(self) -> bool:
        effective = self._permanent_default if self._permanent is None else self._permanent
        return effective != self._permanent_loaded

    def _clean(self) -> bool:
        """True if nothing can have changed: no mutating call, no in-place change.

        Cheaper than `_outcome`: values of immutable types are skipped without
        serializing, and only a value of another type is compared by its text.
        """
        if self._modified or self._forced or self._purged or self._renewed:
            return False
        if self._permanent is not None and self._permanent != self._permanent_loaded:
            return False
        if not self._accessed:
            return True
        loaded_values = self._loaded_values
        if loaded_values:
            for value in loaded_values.values():
                if type(value) not in _IMMUTABLE:
                    changed, _ = self._changes()
                    return not changed
        return True

    def _outcome(self) -> tuple[SessionStatus, dict[str, str], frozenset[str]]:
        """The status, and the keys changed and removed since loading."""
        changed: dict[str, str] = {}
        removed: frozenset[str] = frozenset()
        if self._accessed and self._serializer is not None:
            changed, removed = self._changes()
        if self._purged:
            status = _RENEWED if dict.__len__(self) else _PURGED
        elif self._renewed:
            status = _RENEWED
        elif changed or removed or self._forced or self._permanent_changed():
            status = _CHANGED
        elif self._serializer is None and self._modified:
            # Detached: no loaded state to compare with, so the flags decide.
            status = _CHANGED
        else:
            status = _UNCHANGED
        return status, changed, removed

    # -- reads ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if self._loader is not None:
            self._load()
        self._accessed = True
        return dict.__getitem__(self, key)

    @overload
    def get(self, key: str, default: None = None, /) -> Any | None: ...
    @overload
    def get(self, key: str, default: Any, /) -> Any: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        if self._loader is not None:
            self._load()
        self._accessed = True
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        if self._loader is not None:
            self._load()
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
        self._read()
        return dict.values(self)

    def items(self) -> Any:
        self._read()
        return dict.items(self)

    def copy(self) -> dict[str, Any]:
        """A plain ``dict`` copy of the state."""
        self._read()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._read()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._read()
        return dict.__ne__(self, other)

    __hash__ = None

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self._read()
        return dict(dict.items(self)) | other  # type: ignore[no-any-return]

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self._read()
        return other | dict(dict.items(self))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        if self._loader is not None:
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
            return dict.__getitem__(self, key)
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
