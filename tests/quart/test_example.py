"""The Quart demo (``examples/quart_app.py``), in process and served by
``examples/serve_demo.py --quart`` on a loopback port, as ``nox -s demo -- --quart`` runs it."""

from __future__ import annotations

import re

import httpx
import pytest

from coatcheck import MemoryStore
from coatcheck.sansio import AnyStore
from coatcheck_testing import AsyncStoreWrapper
from examples.quart_app import create_app
from tests.support.network import free_port
from tests.support.processes import serving

from .helpers import jar, set_cookies


def counter(page: str) -> int:
    found = re.search(r'<span id="counter">(\d+)</span>', page)
    assert found is not None, page
    return int(found.group(1))


@pytest.mark.anyio
@pytest.mark.parametrize(
    "store", [None, MemoryStore(), AsyncStoreWrapper()], ids=["cookie", "memory", "async"]
)
async def test_log_in_count_and_log_out(store: AnyStore | None) -> None:
    client = create_app(store).test_client()
    response = await client.post("/login", form={"name": "ada", "remember": "on"})
    assert response.status_code == 303
    [cookie] = set_cookies(response)
    assert "Max-Age=1209600" in cookie and "Secure" not in cookie
    page = await (await client.get("/")).get_data(as_text=True)
    assert "Welcome, ada!" in page and "This browser remembers you." in page
    await client.post("/count")
    page = await (await client.get("/")).get_data(as_text=True)
    assert counter(page) == 1
    await client.post("/logout")
    page = await (await client.get("/")).get_data(as_text=True)
    assert "You have been logged out." in page
    assert "session" not in jar(client)


@pytest.mark.anyio
async def test_a_blank_name_is_refused() -> None:
    client = create_app().test_client()
    response = await client.post("/login", form={"name": "  "}, follow_redirects=True)
    assert "Please tell us your name." in await response.get_data(as_text=True)


@pytest.mark.parametrize("store", ["cookie", "memory"])
def test_serve_demo_serves_the_quart_app_over_http(store: str) -> None:
    port = free_port()
    args = ["examples/serve_demo.py", "--quart", "--port", str(port), "--store", store]
    with (
        serving(args, port) as process,
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        response = client.post("/login", data={"name": "ada"}, follow_redirects=True)
        assert response.status_code == 200
        assert "Welcome, ada!" in response.text
        assert counter(client.post("/count", follow_redirects=True).text) == 1
        client.post("/logout", follow_redirects=True)
        assert "session" not in client.cookies
        assert process.stdout is not None
        assert (
            f"coatcheck demo (Quart) on http://127.0.0.1:{port}/"
            in process.stdout.readline().decode()
        )


def session_ids(page: str) -> list[str]:
    return re.findall(r'<tr class="session" data-id="([^"]+)">', page)


@pytest.mark.anyio
@pytest.mark.parametrize("store", [MemoryStore(), AsyncStoreWrapper()], ids=["memory", "async"])
async def test_your_sessions_lists_and_ends_the_user_s_sessions(store: AnyStore) -> None:
    app = create_app(store)
    laptop, phone, other = app.test_client(), app.test_client(), app.test_client()
    for client, name in ((laptop, "ada"), (phone, "ada"), (other, "grace")):
        await client.post("/login", form={"name": name})
    page = await (await laptop.get("/sessions")).get_data(as_text=True)
    ids = session_ids(page)
    assert len(ids) == 2 and page.count("(this device)") == 1
    # An id of grace's session, posted by ada, ends nothing.
    grace_ids = session_ids(await (await other.get("/sessions")).get_data(as_text=True))
    response = await laptop.post("/sessions/revoke", form={"id": grace_ids[0]})
    assert "That session had already ended." in await (
        await laptop.get(response.headers["Location"])
    ).get_data(as_text=True)
    assert "Hello, <strong" in await (await other.get("/")).get_data(as_text=True)
    await laptop.post("/sessions/revoke-others")
    page = await (await laptop.get("/sessions")).get_data(as_text=True)
    assert "Logged out 1 other device(s)." in page and len(session_ids(page)) == 1
    assert 'id="login"' in await (await phone.get("/")).get_data(as_text=True)


@pytest.mark.anyio
async def test_your_sessions_with_the_cookie_store_explains_why_there_is_no_list() -> None:
    client = create_app().test_client()
    await client.post("/login", form={"name": "ada"})
    page = await (await client.get("/sessions")).get_data(as_text=True)
    assert 'id="no-index"' in page
    response = await create_app().test_client().get("/sessions")
    assert response.status_code == 303
