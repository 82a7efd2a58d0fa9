"""The one header rule every adapter follows: adding the session's headers to a response.

Over ``(name, value)`` text pairs (an ASGI adapter decodes its byte pairs as latin-1 at the
edge), and never editing the list it is given (an application may still hold it):

1. A ``Set-Cookie`` the application sent for the session's cookie name is dropped when the
   session sets its own: the client never gets two.
2. The session's ``Set-Cookie`` goes last.
3. ``Cookie`` joins the first ``Vary`` header, unless some ``Vary`` header already names
   ``Cookie`` (in any case) or is ``*``; with no ``Vary`` header, ``Vary: Cookie`` is
   appended. Other ``Vary`` headers are left as they are.

Header names are compared case-insensitively; the application's headers keep their order
and spelling.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["merge_vary", "session_headers", "sets_cookie"]

HeaderList = list[tuple[str, str]]


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


def session_headers(
    headers: Sequence[tuple[str, str]], set_cookie: str | None, vary: bool, cookie_name: str
) -> HeaderList:
    """``headers`` with the session's ``Set-Cookie`` and ``Vary: Cookie`` (see the rules).

    Returns a new list; ``headers`` itself is never changed.
    """
    result: HeaderList = []
    first_vary = -1
    merged = "Cookie"
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            if set_cookie is not None and sets_cookie(value, cookie_name):
                continue
        elif lowered == "vary" and vary:
            with_cookie = merge_vary(value)
            if with_cookie is None:
                vary = False  # some Vary already covers Cookie
            elif first_vary < 0:
                first_vary, merged = len(result), with_cookie
        result.append((name, value))
    if vary:
        if first_vary < 0:
            result.append(("Vary", merged))
        else:
            result[first_vary] = (result[first_vary][0], merged)
    if set_cookie is not None:
        result.append(("Set-Cookie", set_cookie))
    return result
