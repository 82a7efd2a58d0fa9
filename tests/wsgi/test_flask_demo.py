"""The Flask demo (``examples/flask_app.py``): logging in and "Your sessions"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import TestResponse

from coatcheck import MemoryStore, SessionStore
from examples.flask_app import create_app
from examples.sqlite_store import SQLiteStore


def session_ids(page: str) -> list[str]:
    return re.findall(r'<tr class="session" data-id="([^"]+)">', page)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@pytest.fixture(params=["memory", "sqlite"])
def indexed_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """A store that keeps the session index: in memory, or the SQLite example (closed
    after the test)."""
    if request.param == "memory":
        yield MemoryStore()
        return
    with SQLiteStore(tmp_path / "sessions.db") as store:
        yield store


def test_your_sessions_lists_and_ends_the_user_s_sessions(indexed_store: SessionStore) -> None:
    app = create_app(indexed_store)
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    for client in (laptop, phone, tablet):
        client.post("/login", data={"name": "ada"}, headers={"User-Agent": "Firefox/130"})
    page = text(laptop.get("/sessions"))
    ids = session_ids(page)
    assert len(ids) == 3 and page.count("(this device)") == 1
    this = re.search(r'data-id="([^"]+)">\s*<td class="device">[^<]*\s*<strong', page)
    assert this is not None
    others = [found for found in ids if found != this.group(1)]
    page = text(laptop.post("/sessions/revoke", data={"id": others[0]}, follow_redirects=True))
    assert "Logged that device out." in page and len(session_ids(page)) == 2
    page = text(laptop.post("/sessions/revoke-others", follow_redirects=True))
    assert "Logged out 1 other device(s)." in page and session_ids(page) == [this.group(1)]
    for client in (phone, tablet):
        assert 'id="login"' in text(client.get("/"))
    assert 'id="user"' in text(laptop.get("/"))


def test_a_forged_id_ends_nothing() -> None:
    app = create_app(MemoryStore())
    ada, grace = app.test_client(), app.test_client()
    ada.post("/login", data={"name": "ada"})
    grace.post("/login", data={"name": "grace"})
    [grace_id] = session_ids(text(grace.get("/sessions")))
    page = text(ada.post("/sessions/revoke", data={"id": grace_id}, follow_redirects=True))
    assert "That session had already ended." in page
    assert 'id="user"' in text(grace.get("/"))


def test_the_cookie_store_explains_why_there_is_no_list() -> None:
    client = create_app().test_client()
    assert client.get("/sessions").status_code == 303
    client.post("/login", data={"name": "ada"})
    assert 'id="no-index"' in text(client.get("/sessions"))
