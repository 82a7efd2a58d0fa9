"""Debian's chromium, headless, driven by Playwright for Python (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .binaries import require_binary

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
]


def launch_chromium() -> Iterator[Browser]:
    """Yield a headless chromium browser; skips (fails under CI) when it is missing."""
    executable = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """A headless chromium (Debian's /usr/bin/chromium) for one test module.

    Module-scoped because Playwright's sync API runs an event loop on the main thread
    while it is started: it must be stopped before any other test starts a loop.
    """
    yield from launch_chromium()


TIMEOUT_MS = 10_000
"""How long a page action may take before the test fails."""


@pytest.fixture
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (its own cookie jar) for one test."""
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def stored_cookie(context: BrowserContext, name: str) -> Any:
    """The cookie ``name`` the browser holds (at most one), or ``None``."""
    cookies = [cookie for cookie in context.cookies() if cookie["name"] == name]
    assert len(cookies) <= 1, f"the browser holds {len(cookies)} cookies named {name!r}"
    return cookies[0] if cookies else None
