"""The demo (examples/asgi_app.py, as ``nox -s demo`` serves it) and the FastAPI example."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from coatcheck_asgi import AnyStore
from coatcheck_asgi.testing import read_session
from examples.asgi_app import COOKIE_NAME, create_app
from examples.fastapi_app import create_app as create_fastapi_app
from tests.support.network import free_port
from tests.support.processes import serving

from .conftest import OpenClient
from .helpers import (
    async_store,
    cookie_attributes,
    open_client,
    recording,
    set_cookies,
)

HTTP = "http://testserver"


def counter(page: str) -> int:
    match = re.search(r'id="count">(\d+)<', page)
    assert match, page
    return int(match.group(1))


def test_the_demo_flow(client_for: OpenClient, store: AnyStore) -> None:
    app = create_app(store)
    with client_for(app, base_url=HTTP) as client:
        page = client.get("/").text
        assert 'action="/login"' in page
        assert set_cookies(client.get("/")) == []

        page = client.post("/login", data={"username": "<ada>"}, follow_redirects=True).text
        assert "Welcome, &lt;ada&gt;!" in page
        assert "until you close the browser" in page
        assert counter(page) == 0
        assert "Welcome" not in client.get("/").text, "a flash shows once"

        for expected in (1, 2, 3):
            assert counter(client.post("/count", follow_redirects=True).text) == expected
        assert read_session(app, client) == {"user": "<ada>", "count": 3}

        page = client.post("/logout", follow_redirects=True).text
        assert "Goodbye, &lt;ada&gt;." in page
        assert 'action="/login"' in page
        assert COOKIE_NAME not in client.cookies


def test_the_demo_remembers_on_request(client_for: OpenClient) -> None:
    app = create_app()
    with client_for(app, base_url=HTTP) as client:
        response = client.post(
            "/login", data={"username": "ada", "remember": "on"}, follow_redirects=False
        )
        assert response.status_code == 303
        [header] = set_cookies(response)
        attributes = cookie_attributes(header)
        assert attributes["max-age"] == str(30 * 24 * 3600)
        assert "httponly" in attributes
        assert "secure" not in attributes, "the demo is plain http on 127.0.0.1"
        assert "remembered for 30 days" in client.get("/").text


def test_the_demo_refuses_a_bad_name(client_for: OpenClient) -> None:
    app = create_app()
    with client_for(app, base_url=HTTP) as client:
        page = client.post("/login", data={"username": "   "}, follow_redirects=True).text
        assert "Please give a name" in page
        assert 'action="/login"' in page
        assert "Log in first." in client.post("/count", follow_redirects=True).text


@pytest.mark.parametrize("store", ["cookie", "memory"])
def test_serve_demo_serves_the_app_over_http(store: str) -> None:
    port = free_port()
    args = ["examples/serve_demo.py", "--port", str(port), "--store", store]
    with serving(args, port), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        response = client.post("/login", data={"username": "ada"}, follow_redirects=True)
        assert response.status_code == 200
        assert "Welcome, ada!" in response.text
        assert counter(client.post("/count", follow_redirects=True).text) == 1
        client.post("/logout", follow_redirects=True)
        assert COOKIE_NAME not in client.cookies


def test_serve_demo_prints_its_url() -> None:
    port = free_port()
    with serving(["examples/serve_demo.py", "--port", str(port)], port) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline().decode() for _ in range(3)]
    assert any(f"on http://127.0.0.1:{port}/" in line for line in lines), lines


@pytest.mark.parametrize("store_kind", ["cookie", "async"])
def test_the_fastapi_cart(client_for: OpenClient, store_kind: str) -> None:
    store = async_store() if store_kind == "async" else None
    app = create_fastapi_app(store)
    with client_for(app, base_url=HTTP) as client:
        assert client.get("/cart").json() == {"items": []}
        assert client.post("/cart/tea").json() == {"items": ["tea"]}
        assert client.post("/cart/jam").json() == {"items": ["tea", "jam"]}
        assert client.get("/cart").json() == {"items": ["tea", "jam"]}
        if store is not None:
            recording(store).clear()
        health = client.get("/health")
        assert health.json() == {"status": "ok"}
        assert set_cookies(health) == []
        if store is not None:
            assert recording(store).counts == {}, (
                "lazy: an endpoint without the dependency loads nothing"
            )
        assert client.request("DELETE", "/cart").json() == {"items": []}
        assert "cart" not in client.cookies


def test_the_demo_on_the_sqlite_example_store(tmp_path: Path) -> None:
    """``serve_demo.py --store sqlite``: a sync I/O store, run in worker threads."""
    from examples.sqlite_store import SQLiteStore

    with SQLiteStore(str(tmp_path / "sessions.sqlite3")) as store:
        app = create_app(store)
        with open_client(app, "httpx", "asyncio", base_url=HTTP) as client:
            client.post("/login", data={"username": "ada"}, follow_redirects=True)
            assert counter(client.post("/count", follow_redirects=True).text) == 1
            assert read_session(app, client) == {"user": "ada", "count": 1}
            client.post("/logout", follow_redirects=True)
            assert COOKIE_NAME not in client.cookies
