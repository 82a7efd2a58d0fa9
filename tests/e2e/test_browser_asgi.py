"""A real browser (Debian's chromium, headless) through the Starlette demo app, served by
``examples/serve_demo.py`` exactly as ``nox -s demo`` runs it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from coatcheck import Key
from tests.support.browser import TIMEOUT_MS, stored_cookie
from tests.support.network import free_port
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

COOKIE = "coatcheck_demo"


@pytest.fixture(scope="module", params=["cookie", "memory"])
def demo_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    args = ["examples/serve_demo.py", "--port", str(port), "--store", request.param]
    env = {"COATCHECK_DEMO_KEY": Key.generate().to_base64()}
    with serving(args, port, env=env):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture
def context(browser_context: BrowserContext) -> BrowserContext:
    return browser_context


def session_cookie(context: BrowserContext) -> Any:
    return stored_cookie(context, COOKIE)


def log_in(page: Page, url: str, name: str, *, remember: bool) -> None:
    page.goto(url)
    page.fill("#username", name)
    if remember:
        page.check("#remember")
    page.click("#login")
    page.wait_for_selector("#user")


def flashes(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".flash").all_inner_texts()]


def test_log_in_count_and_log_out(context: BrowserContext, demo_url: str) -> None:
    page = context.new_page()
    page.goto(demo_url)
    assert session_cookie(context) is None

    log_in(page, demo_url, "Ada <b>", remember=False)
    assert page.inner_text("#user") == "Ada <b>"
    assert flashes(page) == ["Welcome, Ada <b>!"]
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["expires"] == -1  # no "remember me": gone when the browser closes
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    # HttpOnly: page scripts cannot see the session cookie at all.
    assert COOKIE not in page.evaluate("document.cookie")

    for expected in ("1", "2", "3"):
        page.click("#increment")
        page.wait_for_selector(f"#count:text-is('{expected}')")
    page.reload()
    assert page.inner_text("#count") == "3"
    assert flashes(page) == []  # a flash is shown once

    page.click("#logout")
    page.wait_for_selector("#login")
    assert flashes(page) == ["Goodbye, Ada <b>."]
    # The goodbye message was the last thing in the session: the cookie is gone.
    assert session_cookie(context) is None
    page.reload()
    assert flashes(page) == []
    assert session_cookie(context) is None


def test_remember_me_makes_the_cookie_persistent(context: BrowserContext, demo_url: str) -> None:
    page = context.new_page()
    log_in(page, demo_url, "Grace", remember=True)
    assert "remembered for 30 days" in page.inner_text("body")
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    days = (cookie["expires"] - time.time()) / 86400
    assert 29.9 < days <= 30.01
    assert COOKIE not in page.evaluate("document.cookie")

    page.click("#increment")
    page.wait_for_selector("#count:text-is('1')")
    assert session_cookie(context)["expires"] > time.time() + 29 * 86400

    page.click("#logout")
    page.wait_for_selector("#login")
    assert session_cookie(context) is None


def test_each_browser_has_its_own_session(chromium: Browser, demo_url: str) -> None:
    first, second = chromium.new_context(), chromium.new_context()
    try:
        for browser_context in (first, second):
            browser_context.set_default_timeout(TIMEOUT_MS)
        page_one, page_two = first.new_page(), second.new_page()
        log_in(page_one, demo_url, "One", remember=False)
        page_one.click("#increment")
        page_one.wait_for_selector("#count:text-is('1')")
        page_two.goto(demo_url)
        assert page_two.locator("#login").count() == 1
        log_in(page_two, demo_url, "Two", remember=False)
        assert page_two.inner_text("#count") == "0"
        page_one.reload()
        assert page_one.inner_text("#user") == "One"
        assert page_one.inner_text("#count") == "1"
    finally:
        first.close()
        second.close()
