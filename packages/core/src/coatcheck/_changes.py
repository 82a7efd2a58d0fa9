"""Change detection: what a request changed in its session, by serialized value.

A session is compared with the state it was loaded with, not with the calls made to it:
``update({})`` or setting a key to its current value changes nothing, and a list read from
the session and appended to in place does. Two shapes, after the two kinds of storage:

- per key, for server-side stores (they keep one text per key and write deltas): the
  keys whose text changed, and the keys removed;
- whole, for the state in the cookie (it is written whole): the text of the whole state.

Only what can have changed is serialized: a value still the very object loaded, of an
immutable type or never handed to the application, keeps its loaded text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._errors import SessionSerializationError
from ._session import IMMUTABLE_TYPES, Session, SessionOwner

__all__ = ["biggest_keys", "flags_clean", "key_changes", "state_text", "texts_of"]


def flags_clean(owner: SessionOwner, permanent_loaded: bool) -> bool:
    """No call that may change the state ran, nor a mutable value was handed out.

    Cheaper than a comparison by value, and enough to prove a session unchanged.
    """
    if owner.modified or owner.forced or owner.purged or owner.renewed:
        return False
    permanent = owner.permanent
    if permanent is not None and permanent != permanent_loaded:
        return False
    return not (owner.all_handed_out or owner.handed_out)


def _dumps(key: object, value: Any, dumps: Callable[[Any], str]) -> str:
    if not isinstance(key, str):
        raise SessionSerializationError(key, "session keys must be strings")
    try:
        return dumps(value)
    except Exception as exc:
        raise SessionSerializationError(key, exc) from exc


def key_changes(
    session: Session,
    owner: SessionOwner,
    loaded_texts: Mapping[str, str],
    loaded_values: Mapping[str, Any],
    dumps: Callable[[Any], str],
) -> tuple[dict[str, str], frozenset[str]]:
    """Keys whose serialized value differs from the loaded one, and keys removed."""
    handed_out = owner.handed_out or ()
    all_handed_out = owner.all_handed_out
    changed: dict[str, str] = {}
    for key, value in dict.items(session):
        if (
            key in loaded_values
            and loaded_values[key] is value
            and (type(value) in IMMUTABLE_TYPES or not (all_handed_out or key in handed_out))
        ):
            continue  # the very object loaded, unchanged: its loaded text still holds
        text = _dumps(key, value, dumps)
        if loaded_texts.get(key) != text:
            changed[key] = text
    if not owner.modified:
        # Removing a key takes a mutating call; without one, only in-place changes count.
        return changed, frozenset()
    removed = frozenset(key for key in loaded_texts if not dict.__contains__(session, key))
    return changed, removed


def texts_of(
    session: Session, changed: Mapping[str, str], loaded_texts: Mapping[str, str]
) -> dict[str, str]:
    """The serialized final state: changed texts, and the loaded ones for the rest."""
    return {
        key: changed[key] if key in changed else loaded_texts[key] for key in dict.keys(session)
    }


def state_text(session: Session, dumps: Callable[[Any], str]) -> str:
    """The serialized text of the whole state (a dict of every key and value).

    On failure, the key whose value cannot be serialized is named.
    """
    state = dict(dict.items(session))
    for key in state:
        if not isinstance(key, str):
            raise SessionSerializationError(key, "session keys must be strings")
    try:
        return dumps(state)
    except Exception as exc:
        for key, value in state.items():
            _dumps(key, value, dumps)
        raise SessionSerializationError("<the session>", exc) from exc


def biggest_keys(session: Session, dumps: Callable[[Any], str], count: int = 3) -> list[str]:
    """The keys with the longest serialized values, longest first (for error messages)."""
    sizes = {key: len(dumps(value)) for key, value in dict.items(session)}
    return sorted(sizes, key=sizes.__getitem__, reverse=True)[:count]
