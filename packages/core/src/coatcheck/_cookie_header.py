"""Reading the ``Cookie`` request header.

The rules, chosen to never raise and to agree with werkzeug's and Starlette's parsers on
everything a browser sends:

1. Several ``Cookie`` headers (HTTP/2 splits them) are joined with ``"; "`` by the adapter
   before parsing; the result is read as one header.
2. The header is split on ``;``. Each piece is one cookie; a piece without ``=`` has no
   name and is ignored, as is a piece whose name is empty.
3. Spaces and tabs around the name and around the value are dropped. Nothing else is
   trimmed, so a name with other characters simply never matches a configured name.
4. A value wrapped in double quotes loses the quotes; inside them ``\\"`` and ``\\\\`` stand
   for the character after the backslash and ``\\ooo`` (three octal digits) for that
   byte, as in RFC 2109.
5. Duplicate names are kept in order. The session layer tries every value sent under its
   name (up to a small bound) and takes the first genuine one, so a same-named cookie set
   by another application on a parent domain or path cannot lock a user out.
6. Anything else (junk, control characters, non-ASCII text, enormous headers) is carried
   through as text: parsing is linear in the header's length and never raises. Deciding
   whether a value is genuine is the cookie codec's job, which rejects oversized values
   before decoding them.
"""

from __future__ import annotations

import re

__all__ = ["cookie_pairs", "cookie_values"]

_OWS = " \t"
_ESCAPE = re.compile(r"\\([0-3][0-7]{2}|.)", re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if len(escaped) == 3:
        return chr(int(escaped, 8))
    return escaped


def _clean_value(raw: str) -> str:
    value = raw.strip(_OWS)
    if value[-1:] == '"' and len(value) >= 2 and value[0] == '"':
        value = value[1:-1]
        if "\\" in value:
            value = _ESCAPE.sub(_unescape, value)
    return value


def cookie_pairs(header: str) -> list[tuple[str, str]]:
    """Every ``(name, value)`` in the header, in order, duplicates kept (see the rules)."""
    pairs: list[tuple[str, str]] = []
    for piece in header.split(";"):
        name, eq, value = piece.partition("=")
        if not eq:
            continue
        name = name.strip(_OWS)
        if name:
            pairs.append((name, _clean_value(value)))
    return pairs


def cookie_values(header: str, name: str) -> list[str]:
    """The values sent under ``name``, in order (usually zero or one).

    The fast path of the session layer: a header without ``name`` in it costs one
    substring search, and the pieces around a match are found by searching for ``;``
    rather than by splitting the whole header (which may carry kilobytes of cookies).
    """
    values: list[str] = []
    found = header.find(name)
    while found >= 0:
        start = header.rfind(";", 0, found) + 1
        end = header.find(";", found)
        if end < 0:
            end = len(header)
        key, eq, value = header[start:end].partition("=")
        if eq and key.strip(_OWS) == name:
            values.append(_clean_value(value))
        found = header.find(name, end)
    return values
