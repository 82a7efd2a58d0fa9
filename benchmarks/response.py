"""`Response`: what a driver collected from one request, and reading its session cookie."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Response", "cookie_set_by"]


def cookie_set_by(set_cookie_values: Iterable[str], name: str) -> str | None:
    """The value the ``Set-Cookie`` headers give cookie ``name`` (the last one wins).

    ``None`` when no header sets it; an empty string or a past expiry means removal,
    which the caller sees as the (empty) value.
    """
    prefix = name + "="
    found = None
    for header in set_cookie_values:
        if header.startswith(prefix):
            found = header[len(prefix) :].split(";", 1)[0]
    return found


@dataclass(frozen=True)
class Response:
    """Status, headers (as text) and body of one in-process request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive)."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def set_cookie(self, name: str) -> str | None:
        """The value this response sets cookie ``name`` to, or ``None``."""
        return cookie_set_by(self.header_values("set-cookie"), name)
