"""The http.server embedding example, started on a free port and driven over real HTTP."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.network import free_port
from tests.support.processes import serving


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = free_port()
    with serving(["examples/serve_demo.py", "--embed", "--port", str(port)], port):
        yield f"http://127.0.0.1:{port}"


def test_login_count_logout_over_real_http(base_url: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    plain = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())

    def get() -> str:
        with opener.open(f"{base_url}/", timeout=10) as response:
            assert response.headers["Vary"] == "Cookie"
            body: bytes = response.read()
            return body.decode()

    def post(path: str, body: bytes = b"") -> None:
        # The opener refuses to follow redirects, so urllib reports the 303 as an error.
        with pytest.raises(urllib.error.HTTPError) as redirect:
            plain.open(f"{base_url}{path}", data=body, timeout=10)
        assert redirect.value.code == 303
        redirect.value.close()

    assert "Log in" in get()
    post("/login", b"user=ann")
    (cookie,) = list(jar)
    assert cookie.name == "embed_session" and cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.expires is None  # a browser-session cookie
    assert "ann" not in (cookie.value or "")  # private: the state is not readable
    for _ in range(3):
        post("/count")
    page = get()
    assert "Hello, ann" in page
    assert re.search(r'id="counter">3<', page)
    post("/logout")
    assert list(jar) == []
    assert "Log in" in get()


def test_a_forged_cookie_is_no_session(base_url: str) -> None:
    request = urllib.request.Request(f"{base_url}/", headers={"Cookie": "embed_session=forged"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert "Log in" in response.read().decode()
        assert response.headers["Set-Cookie"] is None
