"""The serializer protocol and the default JSON serializer.

The core serializes each session *value* on its own: the per-key text is what stores
keep (one Redis hash field per key) and what change detection compares, so a list read
from the session and appended to in place is noticed without a deep copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

__all__ = ["JSONSerializer", "Serializer", "compact_json_encoder"]


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


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def compact_json_encoder() -> Callable[[Any], str]:
    """A function that writes compact JSON, UTF-8 kept as is, NaN and infinities refused.

    Uses the standard library's C encoder directly: `json.dumps` builds a new one on
    every call, which costs more than encoding a small value. A circular structure ends
    in `RecursionError` rather than `ValueError`.
    """
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:  # pragma: no cover - a Python without the _json accelerator
        return json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    encode_string: Callable[[str], str] = json.encoder.encode_basestring
    encode = make_encoder(None, _refuse, encode_string, None, ":", ",", False, False, False)
    join = "".join

    def dumps(value: Any) -> str:
        if type(value) is str:
            return encode_string(value)
        return join(encode(value, 0))

    return dumps


class JSONSerializer:
    """Compact JSON, UTF-8 kept as is, NaN and infinities refused (they are not JSON)."""

    __slots__ = ("_scan", "dumps")

    def __init__(self) -> None:
        self.dumps: Callable[[Any], str] = compact_json_encoder()
        """Serialize one value as compact JSON."""
        # The decoder's C scanner without the whitespace handling of `json.loads`:
        # the texts it reads were written by `dumps`, which adds none.
        scanner = cast(Any, json.JSONDecoder()).scan_once
        self._scan: Callable[[str, int], tuple[Any, int]] = scanner

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
        """Parse every value of a loaded session in one call (the core's fast path).

        A `coatcheck.PackedState` (what `CookieStore` loads) holds the texts as one JSON
        array: that is parsed in a single pass of the C scanner.
        """
        scan = self._scan
        scan_values = getattr(texts, "scan_values", None)
        if scan_values is not None:
            return cast(dict[str, Any], scan_values(scan))
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
