"""The session's Set-Cookie and Vary meet the app's own headers: replaced, merged, never
duplicated, and the app's header list is never edited in place."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from coatcheck import CookieStore, SessionConfig
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
