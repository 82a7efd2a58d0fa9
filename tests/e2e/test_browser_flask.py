"""A real browser (Debian's chromium, headless) through the Flask demo app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.browser import TIMEOUT_MS, stored_cookie
from tests.support.network import free_port
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

COOKIE = "session"


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    port = free_port()
    args = ["examples/serve_demo.py", "--flask", "--port", str(port)]
    with serving(args, port, env={"COATCHECK_DEMO_SECRET": "e2e secret for the flask demo"}):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture
def context(browser_context: BrowserContext) -> BrowserContext:
    return browser_context


def session_cookie(context: BrowserContext) -> Any:
    return stored_cookie(context, COOKIE)


def log_in(page: Page, url: str, name: str, *, remember: bool) -> None:
    page.goto(url)
    page.fill("#name", name)
    if remember:
        page.check("#remember")
    page.click("#login")
    page.wait_for_selector("#user")


def flashes(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".flashes li").all_inner_texts()]


def test_log_in_count_flash_and_log_out(context: BrowserContext, demo_url: str) -> None:
    page = context.new_page()
    page.goto(demo_url)
    assert session_cookie(context) is None

    log_in(page, demo_url, "Ada <script>", remember=False)
    assert page.inner_text("#user") == "Ada <script>"
    assert flashes(page) == ["Welcome, Ada <script>!"]
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["expires"] == -1  # a browser-session cookie: no remember me
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""

    for expected in ("1", "2", "3"):
        page.click("#count")
        page.wait_for_selector(f"#counter:text-is('{expected}')")
    page.reload()
    assert page.inner_text("#counter") == "3"
    assert flashes(page) == []  # a flash is shown once

    page.click("#logout")
    page.wait_for_selector("#login")
    assert flashes(page) == ["You have been logged out."]
    assert session_cookie(context) is None
    page.reload()
    assert flashes(page) == []


def test_remember_me_makes_a_persistent_cookie(context: BrowserContext, demo_url: str) -> None:
    page = context.new_page()
    log_in(page, demo_url, "Grace", remember=True)
    assert "This browser remembers you." in page.inner_text("body")
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    days = (cookie["expires"] - time.time()) / 86400
    assert 13.9 < days <= 14.01

    page.click("#count")
    page.wait_for_selector("#counter:text-is('1')")
    page.click("#logout")
    page.wait_for_selector("#login")
    assert session_cookie(context) is None


def test_sessions_are_separate_per_browser(chromium: Browser, demo_url: str) -> None:
    first, second = chromium.new_context(), chromium.new_context()
    try:
        for context in (first, second):
            context.set_default_timeout(TIMEOUT_MS)
        page_one, page_two = first.new_page(), second.new_page()
        log_in(page_one, demo_url, "One", remember=False)
        page_one.click("#count")
        page_one.wait_for_selector("#counter:text-is('1')")
        page_two.goto(demo_url)
        assert page_two.locator("#login").count() == 1
        log_in(page_two, demo_url, "Two", remember=False)
        assert page_two.inner_text("#counter") == "0"
        page_one.reload()
        assert page_one.inner_text("#user") == "One"
        assert page_one.inner_text("#counter") == "1"
    finally:
        first.close()
        second.close()
