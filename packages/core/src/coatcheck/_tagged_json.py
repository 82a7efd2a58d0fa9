"""`TaggedJSON`: the Pallets frameworks' tagged JSON, one session value at a time.

Flask's and Quart's default sessions serialize the whole session with a
``TaggedJSONSerializer`` (``flask.json.tag``, which Quart re-exports), so tuples, bytes,
`markupsafe.Markup`, `uuid.UUID`, `datetime.datetime` and dicts whose only key looks like a
tag survive a round trip. The coatcheck core serializes each value on its own (that text
is what stores keep and what change detection compares), so this serializer applies the
framework's tagging to one value and encodes the result as compact JSON with sorted keys:
the same value always gives the same text, which the core's change detection relies on.

The tagger and the JSON fallback are handed in, so this module imports neither
framework; ``coatcheck_wsgi.flask`` and ``coatcheck_asgi.quart`` pass their framework's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ._serializer import JSONSerializer

__all__ = ["Tagger", "TaggedJSON"]

# No tag the Pallets frameworks ship matches these exact types, so they skip the tag
# search (which asks every registered tag in turn and is the most expensive part of
# encoding a plain value).
_UNTAGGED = frozenset({float, bool, type(None)})
_encode_str = json.encoder.encode_basestring
# A JSON string that needs no unescaping: its content is the text between the quotes.
_PLAIN_STRING = re.compile(r'"[^"\\\x00-\x1f]*"')


def _is_plain(value: dict[Any, Any] | list[Any], tag_keys: Mapping[str, Any]) -> bool:
    """Whether the framework's own tags leave a dict or list as it is: JSON's types
    exactly, string keys, and no dict whose only key looks like a tag (those get wrapped).

    A walk with its own stack, so that a leaf costs a type check rather than a call.
    """
    pending: list[Any] = [value]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            if len(node) == 1 and next(iter(node)) in tag_keys:
                return False
            for key in node:
                if type(key) is not str:
                    return False
            node = node.values()
        for item in node:
            kind = type(item)
            if kind is dict or kind is list:
                pending.append(item)
            elif not (kind is str or kind is int or kind in _UNTAGGED):
                return False
    return True


class Tagger(Protocol):
    """What `TaggedJSON` needs of a ``flask.json.tag.TaggedJSONSerializer``."""

    def tag(self, value: Any) -> Any:
        """Turn ``value`` into JSON-compatible data, tagging the types JSON lacks."""

    def untag(self, value: dict[str, Any]) -> Any:
        """Turn one tagged JSON object back into its value (a JSON ``object_hook``)."""

    def register(self, tag_class: Any, force: bool = False, index: int | None = None) -> None:
        """Add a tag class."""


class TaggedJSON:
    """A coatcheck serializer that speaks a Pallets framework's tagged JSON.

    ``tagger`` is the ``TaggedJSONSerializer`` whose tags apply (the framework's
    ``session_json_serializer``, so tags an application registered there keep working).
    ``default`` encodes values the tags do not cover (the framework's
    ``DefaultJSONProvider.default``: dates, decimals, dataclasses).
    """

    __slots__ = ("_default_tags", "_json", "tagger")

    def __init__(self, tagger: Tagger, default: Callable[[Any], Any] | None = None) -> None:
        self.tagger = tagger
        self._default_tags = _default_tags(tagger)
        # Keys sorted, so the same value always gives the same text; tagged objects are
        # untagged innermost first when reading, and NaN and the infinities round-trip,
        # as with the frameworks' own serializer.
        self._json = JSONSerializer(
            default=default,
            sort_keys=True,
            object_hook=tagger.untag,
            allow_nan=True,
        )

    def dumps(self, value: Any) -> str:
        """Tag ``value`` the way the framework does and encode it as compact, key-sorted JSON."""
        kind = type(value)
        # Fast paths for the commonest values, with exactly the text json would write.
        if kind is str:
            return _encode_str(value)
        if kind is int:
            return int.__repr__(value)
        if kind in _UNTAGGED:
            return self._json.dumps(value)
        if (kind is dict or kind is list) and self._untagged(value):
            # Tagging would rebuild the same data, asking every tag about every item.
            return self._json.dumps(value)
        return self._json.dumps(self.tagger.tag(value))

    def _untagged(self, value: dict[Any, Any] | list[Any]) -> bool:
        """Whether tagging leaves ``value`` as it is: only the framework's own tags are
        registered (an application's may match anything) and none of them applies."""
        tagger: Any = self.tagger
        order = getattr(tagger, "order", None)
        if order is None or tuple(order) != self._default_tags:
            return False
        return _is_plain(value, tagger.tags)

    def loads(self, data: str) -> Any:
        """Decode the JSON text and turn tagged objects back into their types."""
        if _PLAIN_STRING.fullmatch(data):
            return data[1:-1]
        return self._json.loads(data)

    def loads_many(self, texts: Mapping[str, str]) -> dict[str, Any]:
        """Decode every value of a loaded session."""
        return self._json.loads_many(texts)

    def register(self, tag_class: Any, force: bool = False, index: int | None = None) -> None:
        """Register a tag on ``tagger``, as ``session_interface.serializer.register`` allows."""
        self.tagger.register(tag_class, force=force, index=index)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.tagger!r})"


def _default_tags(tagger: Tagger) -> tuple[Any, ...] | None:
    """The tagger's tags if they are its class's defaults, in their order, else ``None``."""
    order = getattr(tagger, "order", None)
    defaults = getattr(type(tagger), "default_tags", None)
    if order is None or defaults is None or len(order) != len(defaults):
        return None
    if any(type(tag) is not kind for tag, kind in zip(order, defaults, strict=True)):
        return None
    return tuple(order)
