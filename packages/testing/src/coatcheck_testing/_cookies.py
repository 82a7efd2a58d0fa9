"""Reading a ``Set-Cookie`` header the way a test needs to."""

from __future__ import annotations

__all__ = ["cookie_value", "removes_cookie"]


def cookie_value(set_cookie: str) -> str:
    """The value a ``Set-Cookie`` header sets (empty for a removal)."""
    return set_cookie.split(";", 1)[0].partition("=")[2].strip(" \t")


def removes_cookie(set_cookie: str) -> bool:
    """True if the ``Set-Cookie`` header removes its cookie (an empty value)."""
    return not cookie_value(set_cookie)
