"""What the application does to the session in one request, applied to the real
`Session` and, identically, to the model's plain-dict draft."""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from coatcheck import Session

__all__ = [
    "Action",
    "Clear",
    "DeleteKey",
    "Draft",
    "Force",
    "MarkAuthenticated",
    "Mutate",
    "Purge",
    "Read",
    "Remove",
    "Renew",
    "Rewrite",
    "SetDefault",
    "SetPermanent",
    "SetValue",
    "UpdateMany",
]

LIST_CAP = 4
"""Lists mutated in place are kept this short, so states stay small over long runs."""


@dataclass
class Draft:
    """The model's view of the session while the application works on it."""

    state: dict[str, Any]
    permanent: bool
    default_permanent: bool
    """What ``permanent`` falls back to when ``clear()`` or ``purge()`` forget it."""
    purged: bool = False
    renewed: bool = False
    forced: bool = False
    authenticated: bool = False
    """``mark_authenticated()`` was called."""


class Action:
    """One thing the application does; subclasses edit a mapping or the lifecycle."""

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Change the state (the same code runs on the session and on the draft)."""

    def on_session(self, session: Session) -> None:
        """Do it to the real session."""
        self.edit(session)

    def on_draft(self, draft: Draft) -> None:
        """Do it to the model's draft."""
        self.edit(draft.state)


@dataclass(frozen=True)
class SetValue(Action):
    """``session[key] = value``."""

    key: str
    value: Any

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Set the key to a private copy of the value."""
        mapping[self.key] = copy.deepcopy(self.value)


@dataclass(frozen=True)
class Remove(Action):
    """``session.pop(key, None)``."""

    key: str

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Pop the key if present."""
        mapping.pop(self.key, None)


@dataclass(frozen=True)
class DeleteKey(Action):
    """``del session[key]`` when ``key in session``."""

    key: str

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Delete the key if present."""
        if self.key in mapping:
            del mapping[self.key]


@dataclass(frozen=True)
class Clear(Action):
    """``session.clear()``: every key goes, and "remember me" with them (as in Flask)."""

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Remove every key."""
        mapping.clear()

    def on_draft(self, draft: Draft) -> None:
        """The draft empties and forgets its ``permanent`` override."""
        draft.state.clear()
        draft.permanent = draft.default_permanent


@dataclass(frozen=True)
class Mutate(Action):
    """Change a value read from the session in place (the change tracking's hard case).

    A list gets ``item`` appended (its oldest item dropped beyond `LIST_CAP`), a dict gets
    ``item`` under ``sub``; anything else is replaced by ``[item]`` so later mutations
    have a container to work on.
    """

    key: str
    item: Any
    sub: str

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Mutate the value in place."""
        value = mapping.get(self.key)
        item = copy.deepcopy(self.item)
        if isinstance(value, list):
            if len(value) >= LIST_CAP:
                del value[0]
            value.append(item)
        elif isinstance(value, dict):
            value[self.sub] = item
        else:
            mapping[self.key] = [item]


@dataclass(frozen=True)
class Rewrite(Action):
    """Set a present key to an equal copy of its value: by value, nothing changed."""

    key: str

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Reassign an equal copy."""
        if self.key in mapping:
            mapping[self.key] = copy.deepcopy(mapping[self.key])


@dataclass(frozen=True)
class UpdateMany(Action):
    """``session.update(items)`` (possibly empty: then nothing changed)."""

    items: dict[str, Any] = field(default_factory=dict)

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Update from a private copy of the items."""
        mapping.update(copy.deepcopy(self.items))


@dataclass(frozen=True)
class SetDefault(Action):
    """``session.setdefault(key, value)``."""

    key: str
    value: Any

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Set the key only if missing."""
        mapping.setdefault(self.key, copy.deepcopy(self.value))


@dataclass(frozen=True)
class Read(Action):
    """``session.get(key)``: a read, no change."""

    key: str

    def edit(self, mapping: MutableMapping[str, Any]) -> None:
        """Read the key."""
        mapping.get(self.key)


@dataclass(frozen=True)
class Purge(Action):
    """``session.purge()``: log out."""

    def on_session(self, session: Session) -> None:
        """Purge the real session."""
        session.purge()

    def on_draft(self, draft: Draft) -> None:
        """The draft empties, forgets its ``permanent`` override and remembers the purge."""
        draft.state.clear()
        draft.permanent = draft.default_permanent
        draft.purged = True


@dataclass(frozen=True)
class Renew(Action):
    """``session.renew()``: same state, new key (log in)."""

    def on_session(self, session: Session) -> None:
        """Renew the real session."""
        session.renew()

    def on_draft(self, draft: Draft) -> None:
        """The draft remembers the renewal."""
        draft.renewed = True


@dataclass(frozen=True)
class SetPermanent(Action):
    """``session.permanent = on`` ("remember me" on or off)."""

    on: bool

    def on_session(self, session: Session) -> None:
        """Set the real session's flag."""
        session.permanent = self.on

    def on_draft(self, draft: Draft) -> None:
        """Set the draft's flag."""
        draft.permanent = self.on


@dataclass(frozen=True)
class Force(Action):
    """``session.modified = True``: the Flask idiom that forces a save."""

    def on_session(self, session: Session) -> None:
        """Force the real session's save."""
        session.modified = True

    def on_draft(self, draft: Draft) -> None:
        """The draft remembers the forced save."""
        draft.forced = True


@dataclass(frozen=True)
class MarkAuthenticated(Action):
    """``session.mark_authenticated()``: a step-up (the session must have a subject)."""

    def on_session(self, session: Session) -> None:
        """Confirm the real session's subject."""
        session.mark_authenticated()

    def on_draft(self, draft: Draft) -> None:
        """The draft remembers the confirmation, which renews the key."""
        draft.renewed = draft.authenticated = True
