"""Adding the session's ``Set-Cookie`` and ``Vary`` to an ASGI response's raw headers.

ASGI headers are ``(name, value)`` byte pairs. The app's list is never edited in place
(a Starlette ``Response`` hands out its own ``raw_headers`` list, which a reused response
object would otherwise accumulate cookies in): a new list is built, only when there is
something to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coatcheck import merge_vary, sets_cookie

__all__ = ["with_session_headers"]

_SET_COOKIE = b"set-cookie"
_VARY = b"vary"


def with_session_headers(
    headers: Iterable[Sequence[bytes]], set_cookie: str | None, vary: bool, cookie_name: str
) -> list[Sequence[bytes]]:
    """``headers`` plus the session cookie and ``Vary: Cookie``, as a new list.

    A ``Set-Cookie`` the app sent for ``cookie_name`` is replaced by ``set_cookie`` (when
    there is one), so the client never gets two; ``Cookie`` is merged into the first
    ``Vary`` header unless some ``Vary`` already names it (or is ``*``).
    """
    result: list[Sequence[bytes]] = []
    vary_index = -1
    vary_value: str | None = None
    for pair in headers:
        name = pair[0].lower()
        if name == _SET_COOKIE:
            if set_cookie is not None and sets_cookie(pair[1].decode("latin-1"), cookie_name):
                continue
        elif name == _VARY and vary:
            merged = merge_vary(pair[1].decode("latin-1"))
            if merged is None:
                # Already varies on Cookie (or on everything): nothing to add.
                vary = False
            elif vary_index < 0:
                vary_index = len(result)
                vary_value = merged
        result.append(pair)
    if vary:
        if vary_index < 0:
            result.append((_VARY, b"Cookie"))
        else:
            assert vary_value is not None
            result[vary_index] = (_VARY, vary_value.encode("latin-1"))
    if set_cookie is not None:
        result.append((_SET_COOKIE, set_cookie.encode("latin-1")))
    return result
