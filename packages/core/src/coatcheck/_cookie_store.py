"""`CookieStore`: the whole session state travels inside the (encrypted) cookie.

The "session key" this store hands back *is* the record::

    1:<expires_at>:<issued_at>:<index><values>

- the format version, then the expiry and issue times in whole milliseconds since the
  epoch (integers parse much faster than floats);
- ``<index>``: a JSON array of every key followed by the length of its serialized
  value, ``["user",5,"cart",112]`` (the JSON scanner tells where it ends);
- ``<values>``: the serialized values themselves, joined as ``[text,text,...]``.

Nothing is escaped, so any text the serializer produces fits, and each value's text is a
slice of the record. When the texts are JSON (they are with the JSON serializer and
Flask's tagged JSON), ``<values>`` is one JSON array, and `PackedState` lets a serializer
parse every value in one pass instead of one call per key.

The core seals the record inside the cookie (AES-GCM or HMAC), so the client cannot
forge it; the embedded expiry makes the server refuse a replayed cookie once
``now >= expires_at``, even if the browser kept it. There is no server-side state, so
`delete` has nothing to do (removing the cookie is the deletion), and two concurrent
requests that change one session cannot merge their changes: the last response wins.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from ._serializer import compact_json_encoder
from ._store import Delta, StoredState

__all__ = ["CookieStore", "PackedState"]

_VERSION = "1"
_encode = compact_json_encoder()
# The decoder's C scanner, without `json.loads`'s whitespace handling (none is written).
_scan: Callable[[str, int], tuple[Any, int]] = cast(Any, json.JSONDecoder()).scan_once
_new_tuple = tuple.__new__


class PackedState(Mapping[str, str]):
    """The serialized state of a cookie-store record, sliced out only when asked for.

    A read-only mapping of key to serialized text. ``values_json`` is the ``[text,...]``
    run of the record, in the order of ``names``: a serializer whose texts are JSON can
    parse it in one pass (`JSONSerializer.loads_many` does).
    """

    __slots__ = ("_lengths", "_texts", "names", "values_json")

    def __init__(self, names: list[str], lengths: list[int], values_json: str) -> None:
        self.names = names
        self._lengths = lengths
        self.values_json = values_json
        self._texts: dict[str, str] | None = None

    def _unpacked(self) -> dict[str, str]:
        texts = self._texts
        if texts is None:
            texts = {}
            values_json = self.values_json
            start = 1
            for name, length in zip(self.names, self._lengths, strict=True):
                texts[name] = values_json[start : start + length]
                start += length + 1
            self._texts = texts
        return texts

    def scan_values(self, scan: Callable[[str, int], tuple[Any, int]]) -> dict[str, Any]:
        """Every value, parsed in one pass of a JSON scanner (``json.JSONDecoder.scan_once``).

        For serializers whose texts are JSON. Raises ``ValueError`` if the values are not
        one JSON array of exactly one value per key.
        """
        packed = self.values_json
        try:
            array, end = scan(packed, 0)
        except StopIteration:
            raise ValueError("not a JSON array of values") from None
        if end != len(packed) or type(array) is not list or len(array) != len(self.names):
            raise ValueError("the packed values do not match their keys")
        return dict(zip(self.names, array, strict=True))

    def __getitem__(self, key: str) -> str:
        return self._unpacked()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"PackedState({self._unpacked()!r})"


def _split(record: str) -> tuple[int, str] | None:
    """The expiry (milliseconds) and everything after the issue time, or ``None``."""
    parts = record.split(":", 3)
    if len(parts) != 4 or parts[0] != _VERSION:
        return None
    try:
        return int(parts[1]), parts[3]
    except ValueError:
        return None


def _unpack(packed: str) -> PackedState | None:
    """The state after the times, ``<index><values>``, or ``None`` if inconsistent."""
    try:
        index, end = _scan(packed, 0)
    except (StopIteration, ValueError):
        return None
    if type(index) is not list or len(index) % 2:
        return None
    names: list[Any] = index[0::2]
    lengths: list[Any] = index[1::2]
    values_json = packed[end:]
    try:
        consistent = len(values_json) == 1 + sum(lengths) + max(len(lengths), 1)
    except TypeError:
        return None
    if not consistent or values_json[:1] != "[" or values_json[-1:] != "]":
        return None
    return PackedState(names, lengths, values_json)


def _record(state: Mapping[str, str], ttl: int, now: float) -> str:
    index = [item for name, text in state.items() for item in (name, len(text))]
    values = ",".join(state.values())
    return _with_times(f"{_encode(index)}[{values}]", ttl, now)


def _with_times(rest: str, ttl: int, now: float) -> str:
    issued_ms = round(now * 1000)
    return f"{_VERSION}:{issued_ms + ttl * 1000}:{issued_ms}:{rest}"


class CookieStore:
    """Keeps the session state in the cookie itself: no server-side storage at all.

    The default store: nothing to run, nothing to clean up. Mind the 4096-byte cookie
    limit (`SessionTooLarge` names the biggest keys) and that every request carries the
    whole state.
    """

    performs_io = False
    """Called inline: encoding and decoding is pure computation."""

    def load(self, key: str, *, now: float) -> StoredState | None:
        """Decode the record; ``None`` if malformed or expired."""
        parsed = _split(key)
        if parsed is None:
            return None
        expires_ms, rest = parsed
        if now * 1000 >= expires_ms:
            return None
        state = _unpack(rest)
        if state is None:
            return None
        # tuple.__new__ skips the NamedTuple's Python-level constructor (hot path).
        return _new_tuple(StoredState, (state, expires_ms / 1000))

    def save(self, key: str, state: Mapping[str, str], *, ttl: int, now: float) -> str:
        """The record for ``state``; the drawn ``key`` is not needed."""
        return _record(state, ttl, now)

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> str | None:
        """The record for the full ``state``; ``None`` if ``key`` has already expired."""
        parsed = _split(key)
        if parsed is None or now * 1000 >= parsed[0]:
            return None
        return _record(state, ttl, now)

    def update_ttl(self, key: str, *, ttl: int, now: float) -> str | None:
        """The same record with a new expiry; ``None`` if it has already expired."""
        parsed = _split(key)
        if parsed is None or now * 1000 >= parsed[0]:
            return None
        return _with_times(parsed[1], ttl, now)

    def delete(self, key: str) -> None:
        """Nothing to do: removing the cookie removes the session."""

    def __repr__(self) -> str:
        return "CookieStore()"
