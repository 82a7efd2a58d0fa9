"""Small helpers adapters share for editing response headers.

They work on header *values* as text, so each adapter keeps its own header
representation (bytes pairs in ASGI, str pairs in WSGI) and only asks two questions.
"""

from __future__ import annotations

__all__ = ["merge_vary", "sets_cookie"]


def merge_vary(value: str | None) -> str | None:
    """The ``Vary`` value with ``Cookie`` added, or ``None`` if nothing needs to change.

    ``None`` in means there is no ``Vary`` header yet (the answer is then ``"Cookie"``).
    A header that already names ``Cookie`` (in any case) or is ``*`` is left alone.
    """
    if value is None or not value.strip():
        return "Cookie"
    for token in value.split(","):
        token = token.strip().lower()
        if token in ("cookie", "*"):
            return None
    return f"{value}, Cookie"


def sets_cookie(header_value: str, name: str) -> bool:
    """True if the ``Set-Cookie`` header value sets (or removes) the cookie ``name``."""
    found, eq, _rest = header_value.partition("=")
    return bool(eq) and found.strip(" \t") == name
