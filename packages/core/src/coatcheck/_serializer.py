"""The serializer protocol and the default JSON serializer.

The core serializes each session *value* on its own: the per-key text is what stores
keep (one Redis hash field per key) and what change detection compares, so a list read
from the session and appended to in place is noticed without a deep copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

__all__ = ["JSONSerializer", "Serializer"]


@runtime_checkable
class Serializer(Protocol):
    """Turns one session value into text and back.

    ``dumps`` must be deterministic (the same value gives the same text), since a changed
    text is how a change is detected. It raises ``TypeError`` or ``ValueError`` for a value
    it cannot represent. ``loads`` raises ``ValueError`` for text it cannot read.

    A serializer may also offer ``loads_many(texts) -> dict`` to parse a whole loaded
    session in one call; the core uses it when present (`JSONSerializer` has it).
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
        scanner = cast(Any, json.JSONDecoder()).scan_once
        self._scan: Callable[[str, int], tuple[Any, int]] = scanner

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

    def loads_many(self, texts: Mapping[str, str]) -> dict[str, Any]:
        """Parse every value of a loaded session in one call (the core's fast path)."""
        scan = self._scan
        values: dict[str, Any] = {}
        try:
            for key, text in texts.items():
                value, end = scan(text, 0)
                if end != len(text):
                    raise ValueError(f"extra data after the JSON value of {key!r}")
                values[key] = value
        except StopIteration:
            raise ValueError("not a JSON value") from None
        return values

    def __eq__(self, other: object) -> bool:
        return type(other) is JSONSerializer

    def __hash__(self) -> int:
        return hash(JSONSerializer)

    def __repr__(self) -> str:
        return "JSONSerializer()"
