"""`FlaskTaggedJSON`: Flask's tagged JSON, one session value at a time.

Flask's default session serializes the whole session with
`flask.json.tag.TaggedJSONSerializer`, so tuples, bytes, `markupsafe.Markup`, `uuid.UUID`,
`datetime.datetime` and dicts whose only key looks like a tag survive a round trip. The
coatcheck core serializes each value on its own (that text is what stores keep and what
change detection compares), so this adapter applies Flask's tagging to one value and
encodes the result as compact JSON with sorted keys: the same value always gives the same
text, which the core's change detection relies on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask.json.tag import JSONTag, TaggedJSONSerializer
from flask.sessions import session_json_serializer

from coatcheck import PackedState

__all__ = ["FlaskTaggedJSON"]

# No tag Flask ships matches these exact types, so they skip the tag search (which asks
# every registered tag in turn and is the most expensive part of encoding a plain value).
_UNTAGGED = frozenset({float, bool, type(None)})
_encode_str = json.encoder.encode_basestring


class FlaskTaggedJSON:
    """A coatcheck serializer that speaks Flask's tagged JSON.

    ``tagger`` is the `flask.json.tag.TaggedJSONSerializer` whose tags apply; by default
    Flask's own ``flask.sessions.session_json_serializer``, so tags an application
    registered there for its sessions keep working. Values the tags do not cover go
    through Flask's default JSON provider (dates, decimals, dataclasses).
    """

    __slots__ = ("_encode", "_scan", "tagger")

    def __init__(self, tagger: TaggedJSONSerializer | None = None) -> None:
        self.tagger = session_json_serializer if tagger is None else tagger
        self._encode = json.JSONEncoder(
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            default=DefaultJSONProvider.default,
        ).encode
        # The decoder's C scanner, without json.loads's whitespace handling (dumps writes
        # none); tagged objects are untagged innermost first, as Flask's own loads does.
        decoder = json.JSONDecoder(object_hook=self.tagger.untag)
        # typeshed does not declare the instance attribute JSONDecoder.__init__ sets.
        self._scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]

    def dumps(self, value: Any) -> str:
        """Tag ``value`` the way Flask does and encode it as compact, key-sorted JSON."""
        kind = type(value)
        # Fast paths for the commonest values, with exactly the text json would write.
        if kind is str:
            return _encode_str(value)
        if kind is int:
            return int.__repr__(value)
        if kind in _UNTAGGED:
            return self._encode(value)
        return self._encode(self.tagger.tag(value))

    def loads(self, data: str) -> Any:
        """Decode the JSON text and turn tagged objects back into their types."""
        if len(data) > 1 and data[0] == '"' and data[-1] == '"' and "\\" not in data:
            # A JSON string without escapes is its own content.
            return data[1:-1]
        try:
            value, end = self._scan(data, 0)
        except StopIteration:
            raise ValueError(f"not a JSON value: {data[:40]!r}") from None
        if end != len(data):
            raise ValueError(f"extra data after a JSON value: {data[:40]!r}")
        return value

    def loads_many(self, texts: Mapping[str, str]) -> dict[str, Any]:
        """Decode a whole loaded session; a `coatcheck.PackedState` in one JSON pass."""
        if isinstance(texts, PackedState):
            # The object hook untags every object, nested ones included, as in `loads`.
            return texts.scan_values(self._scan)
        return {key: self.loads(text) for key, text in texts.items()}

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Register a tag on ``tagger``, as Flask's ``session_interface.serializer`` allows."""
        self.tagger.register(tag_class, force=force, index=index)

    def __repr__(self) -> str:
        return f"FlaskTaggedJSON({self.tagger!r})"
