"""The serializer protocol and the default JSON serializer.

The core serializes each session *value* on its own: the per-key text is what stores
keep (one Redis hash field per key) and what change detection compares, so a list read
from the session and appended to in place is noticed without a deep copy.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

__all__ = ["JSONSerializer", "Serializer"]


@runtime_checkable
class Serializer(Protocol):
    """Turns one session value into text and back.

    ``dumps`` must be deterministic (the same value gives the same text), since a changed
    text is how a change is detected. It raises ``TypeError`` or ``ValueError`` for a value
    it cannot represent. ``loads`` raises ``ValueError`` for text it cannot read.
    """

    def dumps(self, value: Any) -> str:
        """Serialize one value."""
        ...

    def loads(self, data: str) -> Any:
        """Deserialize one value."""
        ...


class JSONSerializer:
    """Compact JSON, UTF-8 kept as is, NaN and infinities refused (they are not JSON)."""

    __slots__ = ("_encode", "_scan")

    def __init__(self) -> None:
        self._encode = json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode
        # The decoder's C scanner without the whitespace handling of `json.loads`:
        # the texts it reads were written by `dumps`, which adds none.
        self._scan = json.JSONDecoder().scan_once

    def dumps(self, value: Any) -> str:
        """Serialize one value as compact JSON."""
        return self._encode(value)

    def loads(self, data: str) -> Any:
        """Parse one JSON value (no surrounding whitespace)."""
        try:
            value, end = self._scan(data, 0)
        except StopIteration:
            raise ValueError(f"not a JSON value: {data[:40]!r}") from None
        if end != len(data):
            raise ValueError(f"extra data after a JSON value: {data[:40]!r}")
        return value

    def __eq__(self, other: object) -> bool:
        return type(other) is JSONSerializer

    def __hash__(self) -> int:
        return hash(JSONSerializer)

    def __repr__(self) -> str:
        return "JSONSerializer()"
