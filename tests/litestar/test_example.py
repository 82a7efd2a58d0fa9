"""The Litestar demo (examples/litestar_app.py), in process and as ``serve_demo.py --litestar``."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar.testing import TestClient

from coatcheck_asgi import AnyStore
from examples.litestar_app import COOKIE_NAME, create_app
from tests.support.network import free_port
from tests.support.processes import serving


def counter(page: str) -> int:
    match = re.search(r'id="count">(\d+)<', page)
    assert match, page
    return int(match.group(1))


def test_the_demo_flow(store: AnyStore) -> None:
    with TestClient(create_app(store), base_url="http://testserver.local") as client:
        assert 'action="/login"' in client.get("/").text
        page = client.post("/login", data={"username": "<ada>"}, follow_redirects=True).text
        assert "Welcome, &lt;ada&gt;!" in page
        assert "Welcome" not in client.get("/").text, "a flash shows once"
        for expected in (1, 2):
            assert counter(client.post("/count", follow_redirects=True).text) == expected
        assert client.get("/api/me").json() == {"user": "<ada>", "count": 2}
        assert client.get("/health").headers.get("set-cookie") is None
        client.post("/logout", follow_redirects=True)
        assert COOKIE_NAME not in client.cookies
        assert client.get("/api/me").json() == {}


def test_remember_me_makes_the_cookie_persistent() -> None:
    with TestClient(create_app(), base_url="http://testserver.local") as client:
        response = client.post("/login", data={"username": "ada", "remember": "on"})
        assert "Max-Age=2592000" in response.headers["set-cookie"]


@pytest.mark.parametrize("store", ["cookie", "memory"])
def test_serve_demo_serves_the_litestar_app(store: str) -> None:
    port = free_port()
    args = ["examples/serve_demo.py", "--litestar", "--port", str(port), "--store", store]
    url = f"http://127.0.0.1:{port}"
    with serving(args, port) as process, httpx.Client(base_url=url) as client:
        response = client.post("/login", data={"username": "ada"}, follow_redirects=True)
        assert "Welcome, ada!" in response.text
        assert counter(client.post("/count", follow_redirects=True).text) == 1
        assert client.get("/api/me").json() == {"user": "ada", "count": 1}
        client.post("/logout", follow_redirects=True)
        assert COOKIE_NAME not in client.cookies
        assert process.stdout is not None
        lines = [process.stdout.readline().decode() for _ in range(3)]
        assert any(f"(Litestar) on {url}/" in line for line in lines), lines
