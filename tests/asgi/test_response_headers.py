"""The session's Set-Cookie and Vary meet the app's own headers: replaced, merged, never
duplicated, and the app's header list is never edited in place."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from coatcheck import CookieStore, SessionConfig
from coatcheck.sansio import session_headers
from coatcheck_asgi._response_headers import with_session_headers

from .conftest import OpenClient
from .helpers import session_app, set_cookies, vary_tokens

Headers = list[Sequence[bytes]]


def test_nothing_to_add_still_copies() -> None:
    headers: Headers = [(b"content-type", b"text/plain")]
    result = with_session_headers(headers, None, False, "session")
    assert result == headers
    assert result is not headers


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        ([], [b"Cookie"]),
        ([b"Accept-Encoding"], [b"Accept-Encoding, Cookie"]),
        ([b"Accept-Encoding", b"Origin"], [b"Accept-Encoding, Cookie", b"Origin"]),
        ([b"cookie"], [b"cookie"]),
        ([b"Origin", b"Accept, COOKIE"], [b"Origin", b"Accept, COOKIE"]),
        ([b"*"], [b"*"]),
    ],
)
def test_vary_is_merged_never_duplicated(app_vary: list[bytes], expected: list[bytes]) -> None:
    headers: Headers = [(b"vary", value) for value in app_vary]
    result = with_session_headers(headers, None, True, "session")
    assert [value for name, value in result if name == b"vary"] == expected


def test_an_app_cookie_of_the_same_name_is_replaced_others_stay() -> None:
    headers: Headers = [
        (b"set-cookie", b"theme=dark; Path=/"),
        (b"Set-Cookie", b"session=app-made; Path=/"),
        (b"set-cookie", b"session_extra=1"),
    ]
    result = with_session_headers(headers, "session=ours; Path=/; HttpOnly", False, "session")
    assert [value for name, value in result if name.lower() == b"set-cookie"] == [
        b"theme=dark; Path=/",
        b"session_extra=1",
        b"session=ours; Path=/; HttpOnly",
    ]


def test_an_app_cookie_of_the_same_name_stays_when_we_set_none() -> None:
    headers: Headers = [(b"set-cookie", b"session=app-made")]
    assert with_session_headers(headers, None, True, "session")[0] == headers[0]


def test_through_an_app(client_for: OpenClient) -> None:
    """A Response object reused across requests does not pile up our headers."""
    shared = PlainTextResponse("shared", headers={"vary": "Accept-Encoding"})
    shared.set_cookie("session", "app-made")
    shared.set_cookie("theme", "dark")

    async def endpoint(request: Request) -> Response:
        request.session["n"] = request.session.get("n", 0) + 1
        return shared

    before = list(shared.raw_headers)
    config = SessionConfig(cookie_secure=False)
    app = session_app(CookieStore(), config=config, routes=[Route("/", endpoint)])
    with client_for(app, base_url="http://testserver") as client:
        for _ in range(3):
            response = client.get("/")
            cookies = set_cookies(response)
            assert len(cookies) == 2
            assert cookies[0].startswith("theme=dark")
            assert cookies[1].startswith("session=") and "app-made" not in cookies[1]
            assert vary_tokens(response) == ["accept-encoding", "cookie"]
    assert shared.raw_headers == before


_NAMES = st.sampled_from(
    [b"content-type", b"Content-Length", b"vary", b"Vary", b"set-cookie", b"Set-Cookie", b"x-a"]
)
_VALUES = st.sampled_from(
    [b"text/plain", b"Cookie", b"Accept, cookie", b"*", b"session=app", b"theme=dark", b"1"]
)


@given(
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=5),
    set_cookie=st.none() | st.just("session=ours; path=/"),
    vary=st.booleans(),
)
def test_the_shortcut_gives_the_rules_answer(
    headers: list[tuple[bytes, bytes]], set_cookie: str | None, vary: bool
) -> None:
    """Whatever the app sent, the result is the core rule's answer over the same headers,
    with the app's names as it spelt them and ours in lower case."""
    text = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
    expected = session_headers(text, set_cookie, vary, "session")
    result = with_session_headers(headers, set_cookie, vary, "session")
    assert [(name.decode().lower(), value.decode()) for name, value in result] == [
        (name.lower(), value) for name, value in expected
    ]
    app_names = {name for name, _ in headers}
    assert all(name in app_names or name == name.lower() for name, _ in result)
