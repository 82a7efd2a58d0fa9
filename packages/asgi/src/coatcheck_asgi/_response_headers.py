"""The core's header rule over an ASGI response's raw headers.

ASGI headers are ``(name, value)`` byte pairs; they are decoded as latin-1, passed through
`coatcheck.sansio.session_headers` (the one rule every adapter follows) and encoded back.
The app's list is never edited in place (a Starlette ``Response`` hands out its own
``raw_headers`` list, which a reused response object would otherwise accumulate cookies
in): a new list is built, only when there is something to add.

Most responses carry neither ``Vary`` nor ``Set-Cookie``; the rule then only appends
ours, so those skip the round trip through text (a test holds the shortcut to the rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coatcheck.sansio import session_headers

__all__ = ["with_session_headers"]


def with_session_headers(
    headers: Iterable[Sequence[bytes]], set_cookie: str | None, vary: bool, cookie_name: str
) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the session cookie and ``Vary: Cookie``, as a new list.

    The application's header names keep their spelling; the ones the rule adds travel in
    lower case, as ASGI asks.
    """
    raw = [(name, value) for name, value in headers]
    for name, _ in raw:
        lowered = name.lower()
        if lowered == b"vary" or lowered == b"set-cookie":
            break
    else:
        if vary:
            raw.append((b"vary", b"Cookie"))
        if set_cookie is not None:
            raw.append((b"set-cookie", set_cookie.encode("latin-1")))
        return raw
    text = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    spelling = {decoded: name for (name, _), (decoded, _) in zip(raw, text, strict=True)}
    return [
        (spelling.get(name) or name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in session_headers(text, set_cookie, vary, cookie_name)
    ]
