"""One user on three devices, in a real browser (Debian's chromium, headless): "Your
sessions" ends one device from another, then every other device, and each device sees
what follows (logged out, its cookie removed), on the demo as ``nox -s demo`` serves it,
with each store that keeps the session index (Redis: a redis-server of the test's own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from coatcheck import Key
from coatcheck.sansio import indexes_subjects
from tests.support.browser import TIMEOUT_MS, stored_cookie
from tests.support.network import free_port
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

COOKIE = "coatcheck_demo"
DEVICES = {
    "laptop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0",
        "Firefox on Windows",
    ),
    "phone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Safari on iPhone",
    ),
    "desktop": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Chrome on Linux",
    ),
}


@contextmanager
def _redis_url(directory: Path) -> Iterator[str]:
    """A redis-server of this test's own, whose stores keep the index."""
    from coatcheck_redis import AsyncRedisStore, RedisStore
    from tests.redis.servers import RedisServer

    with RedisServer.standalone(directory) as server:
        store = RedisStore.from_url(server.url)
        try:
            assert indexes_subjects(store) and indexes_subjects(AsyncRedisStore)
        finally:
            store.close()
        yield server.url


@pytest.fixture(
    scope="module", params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]
)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo served by examples/serve_demo.py on each store that keeps the index."""
    kind = request.param
    directory = tmp_path_factory.mktemp(f"demo-{kind}")
    port = free_port()
    env = {"COATCHECK_DEMO_KEY": Key.generate().to_base64()}
    args = ["examples/serve_demo.py", "--port", str(port)]
    with ExitStack() as stack:
        if kind == "redis":
            args += ["--redis", stack.enter_context(_redis_url(directory))]
        else:
            args += ["--store", kind, "--sqlite-path", str(directory / "sessions.sqlite3")]
        with serving(args, port, env=env):
            yield f"http://127.0.0.1:{port}/"


@pytest.fixture
def devices(chromium: Browser) -> Iterator[dict[str, BrowserContext]]:
    """Three browser profiles, each with its own cookie jar and user agent."""
    contexts = {
        name: chromium.new_context(user_agent=agent) for name, (agent, _) in DEVICES.items()
    }
    for context in contexts.values():
        context.set_default_timeout(TIMEOUT_MS)
    try:
        yield contexts
    finally:
        for context in contexts.values():
            context.close()


def log_in(context: BrowserContext, url: str, name: str) -> Page:
    page = context.new_page()
    page.goto(url)
    page.fill("#username", name)
    page.click("#login")
    page.wait_for_selector("#user")
    return page


def listed_devices(page: Page) -> list[str]:
    return sorted(text.strip() for text in page.locator("#sessions .device").all_inner_texts())


def flashes(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".flash").all_inner_texts()]


def assert_logged_out(context: BrowserContext, page: Page, url: str) -> None:
    """What a device whose session was ended sees next: the login form, and no cookie."""
    page.goto(url)
    page.wait_for_selector("#login")
    assert page.inner_text("#incoming") == "stale", "the panel names the ended session"
    assert stored_cookie(context, COOKIE) is None, "the ended session's cookie is still held"
    page.reload()
    assert page.inner_text("#incoming") == "absent"


def test_log_out_one_device_then_all_others(
    devices: dict[str, BrowserContext], demo_url: str
) -> None:
    user = f"ada-{free_port()}"  # one user per run: the server outlives a test
    pages = {name: log_in(context, demo_url, user) for name, context in devices.items()}
    cookies = {name: stored_cookie(context, COOKIE) for name, context in devices.items()}
    assert all(cookie is not None for cookie in cookies.values())
    assert len({cookie["value"] for cookie in cookies.values()}) == 3

    laptop = pages["laptop"]
    laptop.click("#sessions-link")
    laptop.wait_for_selector("#sessions")
    assert listed_devices(laptop) == sorted(
        [
            "Chrome on Linux",
            "Firefox on Windows (this device)",
            "Safari on iPhone",
        ]
    )

    # The laptop ends the phone's session.
    phone_row = laptop.locator("tr.session", has_text="Safari on iPhone")
    phone_row.locator("button.revoke").click()
    laptop.wait_for_selector(".flash")
    assert flashes(laptop) == ["Logged that device out."]
    assert listed_devices(laptop) == ["Chrome on Linux", "Firefox on Windows (this device)"]
    assert_logged_out(devices["phone"], pages["phone"], demo_url)
    desktop = pages["desktop"]
    desktop.reload()
    assert desktop.inner_text("#user") == user, "ending the phone ended another device"

    # The desktop logs out every other device (the laptop).
    desktop.click("#sessions-link")
    desktop.wait_for_selector("#sessions")
    desktop.click("#revoke-others")
    desktop.wait_for_selector(".flash")
    assert flashes(desktop) == ["Logged out 1 other device(s)."]
    assert listed_devices(desktop) == ["Chrome on Linux (this device)"]
    assert_logged_out(devices["laptop"], laptop, demo_url)
    desktop.goto(demo_url)
    assert desktop.inner_text("#user") == user
    assert desktop.inner_text("#incoming") == "live"
    assert stored_cookie(devices["desktop"], COOKIE) is not None

    # The phone logs in again: two devices, and the desktop's list says so.
    log_in(devices["phone"], demo_url, user)
    desktop.click("#sessions-link")
    desktop.wait_for_selector("#sessions")
    assert listed_devices(desktop) == ["Chrome on Linux (this device)", "Safari on iPhone"]
