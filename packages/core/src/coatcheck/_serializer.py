"""The serializer protocol and the default JSON serializer.

The core serializes each session *value* on its own: the per-key text is what stores
keep (one Redis hash field per key) and what change detection compares, so a list read
from the session and appended to in place is noticed without a deep copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

__all__ = [
    "JSONSerializer",
    "JsonScanner",
    "Serializer",
    "compact_json_encoder",
    "json_scanner",
    "scan_one",
]


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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def compact_json_encoder(
    *,
    default: Callable[[Any], Any] | None = None,
    sort_keys: bool = False,
    allow_nan: bool = False,
) -> Callable[[Any], str]:
    """A function that writes compact JSON, UTF-8 kept as is.

    Uses the standard library's C encoder directly: `json.dumps` builds a new one on
    every call, which costs more than encoding a small value. ``default`` turns a value
    JSON cannot represent into one it can (or raises ``TypeError``); NaN and the
    infinities are refused unless ``allow_nan``. A circular structure ends in
    `RecursionError` rather than `ValueError`.
    """
    fallback = _refuse if default is None else default
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:  # pragma: no cover - a Python without the _json accelerator
        return json.JSONEncoder(
            ensure_ascii=False,
            allow_nan=allow_nan,
            separators=(",", ":"),
            sort_keys=sort_keys,
            default=fallback,
        ).encode
    encode_string: Callable[[str], str] = json.encoder.encode_basestring
    encode = make_encoder(
        None, fallback, encode_string, None, ":", ",", sort_keys, False, allow_nan
    )
    join = "".join

    def dumps(value: Any) -> str:
        if type(value) is str:
            return encode_string(value)
        return join(encode(value, 0))

    return dumps


JsonScanner = Callable[[str, int], tuple[Any, int]]
"""The standard library's C JSON scanner: ``scan(text, start) -> (value, end)``."""


def json_scanner(
    *, object_hook: Callable[[dict[str, Any]], Any] | None = None, allow_nan: bool = False
) -> JsonScanner:
    """The decoder's C scanner, without the whitespace handling of `json.loads`.

    The texts it reads were written by a compact encoder, which adds no whitespace.
    ``NaN`` and the infinities are refused unless ``allow_nan``, like the writer.
    """
    parse_constant = None if allow_nan else _refuse_constant
    decoder = json.JSONDecoder(object_hook=object_hook, parse_constant=parse_constant)
    return cast(JsonScanner, cast(Any, decoder).scan_once)


def scan_one(scan: JsonScanner, text: str) -> Any:
    """Exactly one JSON value spanning ``text``; ``ValueError`` otherwise.

    The message never quotes ``text``: it is session data, and errors reach logs.
    """
    try:
        value, end = scan(text, 0)
    except StopIteration:
        raise ValueError("not a JSON value") from None
    if end != len(text):
        raise ValueError("extra data after a JSON value")
    return value


class JSONSerializer:
    """Compact JSON, UTF-8 kept as is, NaN and infinities refused (they are not JSON).

    ``default`` turns values JSON cannot represent into ones it can (a `datetime` into a
    string, say), ``sort_keys`` writes objects with sorted keys, ``object_hook`` rebuilds
    objects when reading and ``allow_nan`` reads and writes ``NaN`` and ``Infinity`` as
    Python's `json` does: the knobs a tagged format such as Flask's needs. Reading and
    writing always agree. The defaults are plain JSON.
    """

    __slots__ = ("_options", "_scan", "dumps")

    def __init__(
        self,
        *,
        default: Callable[[Any], Any] | None = None,
        sort_keys: bool = False,
        object_hook: Callable[[dict[str, Any]], Any] | None = None,
        allow_nan: bool = False,
    ) -> None:
        self.dumps: Callable[[Any], str] = compact_json_encoder(
            default=default, sort_keys=sort_keys, allow_nan=allow_nan
        )
        """Serialize one value as compact JSON."""
        self._scan = json_scanner(object_hook=object_hook, allow_nan=allow_nan)
        self._options = (default, sort_keys, object_hook, allow_nan)

    def loads(self, data: str) -> Any:
        """Parse one JSON value (no surrounding whitespace; NaN and infinities refused)."""
        return scan_one(self._scan, data)

    def loads_many(self, texts: Mapping[str, str]) -> dict[str, Any]:
        """Parse every value of a loaded session in one call."""
        scan = self._scan
        return {key: scan_one(scan, text) for key, text in texts.items()}

    def __eq__(self, other: object) -> bool:
        if type(other) is not JSONSerializer:
            return NotImplemented
        return self._options == other._options

    def __hash__(self) -> int:
        return hash((JSONSerializer, self._options))

    def __repr__(self) -> str:
        names = ("default", "sort_keys", "object_hook", "allow_nan")
        given = [
            f"{name}={value!r}"
            for name, value, unset in zip(
                names, self._options, (None, False, None, False), strict=True
            )
            if value != unset
        ]
        return f"JSONSerializer({', '.join(given)})"
