"""The core's header rule over a Werkzeug ``Headers`` object (Flask's and Quart's).

Most responses carry neither ``Vary`` nor ``Set-Cookie``; the rule then only appends ours,
and two ``add`` calls cost far less than rebuilding the headers (which, on a read, cost
more than the rest of the session's work). tests/adapters/test_headers.py holds both
paths to the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ._headers import session_headers

__all__ = ["SENT_KEY", "HeaderMap", "add_session_headers"]

SENT_KEY = "coatcheck.sent"
"""The WSGI environ (ASGI scope) key of what a request's first save sent: the
``Set-Cookie`` value, ``Vary`` and the cookie name, for the second save Flask and Quart
run when something after the first failed (the session itself is not kept there: its
exchange let go of it, `coatcheck.sansio.is_finished`)."""


class HeaderMap(Protocol):
    """What the rule needs of a Werkzeug ``Headers``: case-insensitive lookups, ``add``,
    ``items``, ``clear`` and ``extend``."""

    def __contains__(self, name: str, /) -> bool: ...

    def add(self, key: str, value: str, /) -> None: ...

    def items(self) -> Iterable[tuple[str, str]]: ...

    def clear(self) -> None: ...

    def extend(self, items: Iterable[tuple[str, str]], /) -> None: ...


def add_session_headers(
    headers: HeaderMap, set_cookie: str | None, vary: bool, cookie_name: str
) -> None:
    """Add the session's ``Set-Cookie`` and ``Vary: Cookie`` to ``headers``, in place."""
    if set_cookie is None and not vary:
        return
    if "Vary" not in headers and "Set-Cookie" not in headers:
        if vary:
            headers.add("Vary", "Cookie")
        if set_cookie is not None:
            headers.add("Set-Cookie", set_cookie)
        return
    edited = session_headers(list(headers.items()), set_cookie, vary, cookie_name)
    headers.clear()
    headers.extend(edited)
