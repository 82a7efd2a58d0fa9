"""Adding the session's ``Set-Cookie`` and ``Vary`` to a WSGI header list."""

from __future__ import annotations

from coatcheck import merge_vary, sets_cookie

__all__ = ["with_session_headers"]

Headers = list[tuple[str, str]]


def with_session_headers(
    headers: Headers, set_cookie: str | None, vary: bool, cookie_name: str
) -> Headers:
    """``headers`` with the session cookie set and ``Cookie`` in ``Vary``, as asked.

    A ``Set-Cookie`` the application sent for the same cookie name is replaced, never
    duplicated; ``Cookie`` is merged into the last ``Vary`` header unless one already names
    it (or is ``*``). The list passed in is returned unchanged when there is nothing to add,
    and is never modified: the application may still hold it.
    """
    if set_cookie is None and not vary:
        return headers
    edited: Headers = []
    vary_values: list[str] = []
    last_vary = -1
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            if set_cookie is not None and sets_cookie(value, cookie_name):
                continue
        elif lowered == "vary":
            last_vary = len(edited)
            vary_values.append(value)
        edited.append((name, value))
    if vary and merge_vary(", ".join(vary_values) if vary_values else None) is not None:
        if last_vary < 0:
            edited.append(("Vary", "Cookie"))
        else:
            name, value = edited[last_vary]
            edited[last_vary] = (name, merge_vary(value) or "Cookie")
    if set_cookie is not None:
        edited.append(("Set-Cookie", set_cookie))
    return edited
