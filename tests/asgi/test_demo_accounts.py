"""The demo's accounts pages and its teaching panel (examples/asgi_app.py), in process."""

from __future__ import annotations

import html
import re
from contextlib import ExitStack
from pathlib import Path

import pytest

from coatcheck import CookieStore, MemoryStore
from coatcheck_asgi import AnyStore
from examples.asgi_app import COOKIE_NAME, MAX_DEVICES, create_app
from examples.demo_panel import INCOMING
from examples.sqlite_store import SQLiteStore
from examples.user_agents import device_of

from .conftest import make_store
from .helpers import Client, cookie_attributes, open_client, set_cookies

HTTP = "http://testserver"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def panel(page: str) -> str:
    found = re.search(r'<aside id="coatcheck-panel">(.*?)</aside>', page, re.S)
    assert found, page
    return found.group(1)


def incoming(page: str) -> str:
    found = re.search(r'<strong id="incoming">([^<]*)</strong>', panel(page))
    assert found, page
    return found.group(1)


def listed(page: str, list_id: str) -> list[str]:
    """The command lines of the list ``list_id`` ([] when the panel says there were none)."""
    found = re.search(rf'<ol id="{list_id}">(.*?)</ol>', panel(page), re.S)
    if found is None:
        assert f'id="{list_id}"' in panel(page), page
        return []
    return [html.unescape(line) for line in re.findall(r"<code>(.*?)</code>", found.group(1))]


def previous_set_cookies(page: str) -> list[str]:
    return [
        html.unescape(header)
        for header in re.findall(r'<code class="set-cookie">(.*?)</code>', panel(page))
    ]


def rows(page: str) -> list[tuple[str, str]]:
    """(session id, device cell) of every row of "Your sessions"."""
    return [
        (session_id, re.sub(r"<[^>]+>", "", cell).strip())
        for session_id, cell in re.findall(
            r'<tr class="session" data-id="([^"]+)">\s*<td class="device">(.*?)</td>', page, re.S
        )
    ]


def log_in(client: Client, name: str, agent: str) -> str:
    response = client.post(
        "/login", data={"username": name}, headers={"user-agent": agent}, follow_redirects=True
    )
    assert response.status_code == 200
    return response.text


def test_the_panel_tells_each_step_of_a_login(tmp_path: Path) -> None:
    app = create_app(MemoryStore())
    with open_client(app, "httpx", "asyncio", base_url=HTTP) as client:
        first = client.get("/").text
        assert incoming(first) == "absent"
        assert INCOMING["absent"] in first
        assert listed(first, "request-commands") == []
        assert "Nothing is stored" in first

        page = log_in(client, "ada", FIREFOX)
        # This request: the cookie the login set, found live in the store.
        assert incoming(page) == "live"
        [load] = listed(page, "request-commands")
        assert load.startswith("LOAD session ") and load.endswith("3 value(s)")
        # The response before: the login's commit, with its cookie as the browser got it.
        assert "POST /login → 303" in panel(page)
        commit = listed(page, "commit-commands")
        assert commit[0].startswith("SAVE session ") and "indexed under 'ada'" in commit[0]
        assert commit[1] == f"CAP subject 'ada' to {MAX_DEVICES} session(s) → 0"
        [header] = previous_set_cookies(page)
        assert header.startswith(f"{COOKIE_NAME}=")
        attributes = cookie_attributes(header)
        assert {"httponly", "path", "samesite"} <= set(attributes)
        assert "max-age" not in attributes, "a browser-session cookie"
        assert "12 h after the last extension" in page and "throttled refresh" in page

        # The flash was removed (a delta write: only that key) ...
        page = client.get("/").text
        [update] = listed(page, "commit-commands")
        assert re.fullmatch(r"UPDATE session \S+ \(set \[-\], removed \[flash\].*→ True", update)
        # ... and a request that changes nothing writes nothing, sets no cookie.
        response = client.get("/")
        assert set_cookies(response) == []
        page = client.get("/").text
        assert listed(page, "commit-commands") == []
        assert "It returned no <code>Set-Cookie</code>" in page
        held = client.cookies.get(COOKIE_NAME)
        assert held and held not in page, "no Set-Cookie: the panel shows no cookie value"

        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, "forged" + held)
        page = client.get("/").text
        assert incoming(page) == "invalid"
        assert 'action="/login"' in page


def test_a_step_up_renews_and_the_old_cookie_forwards_for_a_moment() -> None:
    app = create_app(MemoryStore())
    with open_client(app, "httpx", "asyncio", base_url=HTTP) as client:
        page = log_in(client, "ada", FIREFOX)
        assert "recently enough for sensitive actions" in page
        old = client.cookies.get(COOKIE_NAME)
        assert old
        page = client.post("/confirm", follow_redirects=True).text
        assert "Confirmed: a new session key." in page
        load, renew = listed(page, "commit-commands")
        assert load.startswith("LOAD session ")
        assert renew.startswith("RENEW session ") and "old key forwards for 10 s" in renew
        new = client.cookies.get(COOKIE_NAME)
        assert new and new != old
        # A request still carrying the old cookie (sent before the new one arrived).
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, old)
        response = client.get("/")
        assert incoming(response.text) == "forwarded"
        assert 'id="user">ada<' in response.text
        assert set_cookies(response), "the response hands the old cookie's holder the new one"


@pytest.mark.parametrize("kind", ["memory", "async", "thread"])
def test_a_page_that_never_asks_for_its_session_costs_nothing(kind: str) -> None:
    """Lazy loading, as the panel shows it: no decoding, no store command, no cookie."""
    app = create_app(make_store(kind))
    with open_client(app, "httpx", "asyncio", base_url=HTTP) as client:
        log_in(client, "ada", FIREFOX)
        response = client.get("/about")
        assert 'id="about"' in response.text
        assert incoming(response.text) == "not decoded"
        assert INCOMING[None] in response.text
        assert "not loaded: this page never asked for it" in response.text
        assert listed(response.text, "request-commands") == []
        assert set_cookies(response) == []
        page = client.get("/").text
        assert "GET /about → 200" in panel(page)
        assert listed(page, "commit-commands") == []
        assert 'id="user">ada<' in page


def test_the_panel_records_a_store_run_in_worker_threads(tmp_path: Path) -> None:
    """SQLite is a sync I/O store: its commands run in a worker thread, and still count."""
    with SQLiteStore(tmp_path / "sessions.sqlite3") as store:
        app = create_app(store)
        with open_client(app, "httpx", "trio", base_url=HTTP) as client:
            page = log_in(client, "ada", FIREFOX)
            assert listed(page, "request-commands")[0].startswith("LOAD session ")
            assert "indexed under 'ada'" in listed(page, "commit-commands")[0]


def test_a_cookie_store_has_no_commands_and_no_index() -> None:
    app = create_app(CookieStore())
    with open_client(app, "httpx", "asyncio", base_url=HTTP) as client:
        page = log_in(client, "ada", FIREFOX)
        assert "the core sends no store commands at all" in page
        assert len(previous_set_cookies(page)) == 1
        page = client.get("/sessions").text
        assert 'id="no-index"' in page


@pytest.mark.parametrize("kind", ["memory", "async", "thread"])
def test_your_sessions_lists_and_ends_devices(kind: str) -> None:
    store: AnyStore = make_store(kind)
    app = create_app(store)
    with (
        open_client(app, "httpx", "asyncio", base_url=HTTP) as laptop,
        open_client(app, "httpx", "asyncio", base_url=HTTP) as phone,
        open_client(app, "httpx", "asyncio", base_url=HTTP) as other,
    ):
        log_in(laptop, "ada", FIREFOX)
        log_in(phone, "ada", IPHONE)
        log_in(other, "bob", FIREFOX)
        page = laptop.get("/sessions", headers={"user-agent": FIREFOX}).text
        assert sorted(device for _, device in rows(page)) == [
            "Firefox on Windows (this device)",
            "Safari on iPhone",
        ]
        assert "LIST_SESSIONS 'ada' → 2 session(s)" in listed(page, "request-commands")
        [(phone_id, _)] = [row for row in rows(page) if "iPhone" in row[1]]

        # Bob cannot end Ada's phone session, whatever id his form sends.
        page = other.post("/sessions/revoke", data={"id": phone_id}, follow_redirects=True).text
        assert "That session had already ended." in page
        assert 'id="user">ada<' in phone.get("/").text

        page = laptop.post("/sessions/revoke", data={"id": phone_id}, follow_redirects=True).text
        assert "Logged that device out." in page
        assert [device for _, device in rows(page)] == ["Firefox on Windows (this device)"]
        response = phone.get("/")
        assert 'action="/login"' in response.text
        assert incoming(response.text) == "stale"
        assert COOKIE_NAME not in phone.cookies, "the revoked device's cookie was removed"

        log_in(phone, "ada", IPHONE)
        log_in(other, "ada", FIREFOX)
        page = phone.post("/sessions/revoke-others", follow_redirects=True).text
        assert "Logged out 2 other device(s)." in page
        assert [device for _, device in rows(page)] == ["Safari on iPhone (this device)"]
        for client in (laptop, other):
            assert 'action="/login"' in client.get("/").text
            assert COOKIE_NAME not in client.cookies
        assert 'id="user">ada<' in phone.get("/").text


def test_the_cap_ends_the_least_recently_active_device() -> None:
    app = create_app(MemoryStore())
    with ExitStack() as stack:
        opened = [
            stack.enter_context(open_client(app, "httpx", "asyncio", base_url=HTTP))
            for _ in range(MAX_DEVICES + 1)
        ]
        for client in opened:
            log_in(client, "ada", FIREFOX)
        assert 'action="/login"' in opened[0].get("/").text, "the oldest device was ended"
        for client in opened[1:]:
            assert 'id="user">ada<' in client.get("/").text


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (FIREFOX, "Firefox on Windows"),
        (IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on macOS",
        ),
        ("curl/8.5.0", "curl"),
        (None, "Unknown device"),
        ("", "Unknown device"),
        ("something else", "Unknown device"),
    ],
)
def test_device_names(agent: str | None, device: str) -> None:
    assert device_of(agent) == device
