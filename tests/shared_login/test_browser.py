"""A real browser (Debian's chromium, headless) through the shared login, served by
``examples/serve_demo.py --shared-login`` as ``nox -s demo`` runs it: log in on the Flask
side, read the user on the FastAPI side, log out on the FastAPI side and be logged out
on the Flask side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from redis import Redis

from examples.shared_login import COOKIE_NAME
from tests.redis.servers import RedisServer
from tests.support.browser import stored_cookie
from tests.support.network import free_port
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser

REDIS_DB = 7
"""The demo's sessions go to a database of their own, so the test can count them."""


@dataclass(frozen=True)
class Demo:
    """The served demo: its address and, with Redis, a client of its database."""

    url: str
    redis: Redis | None

    def stored_sessions(self) -> int | None:
        """How many sessions Redis holds (None for the in-process store)."""
        return None if self.redis is None else len(self.redis.keys("session:*"))


@pytest.fixture(scope="module", params=["redis", "memory"])
def demo(request: pytest.FixtureRequest, shared_redis: RedisServer) -> Iterator[Demo]:
    port = free_port()
    args = ["examples/serve_demo.py", "--shared-login", "--port", str(port)]
    redis = None
    if request.param == "redis":
        url = f"redis://127.0.0.1:{shared_redis.port}/{REDIS_DB}"
        args += ["--redis", url]
        redis = Redis.from_url(url)
        redis.flushdb()
    env = {"COATCHECK_DEMO_SECRET": "e2e secret for the shared login demo"}
    try:
        with serving(args, port, env=env):
            yield Demo(f"http://127.0.0.1:{port}/", redis)
    finally:
        if redis is not None:
            redis.close()


def session_cookie(context: BrowserContext) -> Any:
    return stored_cookie(context, COOKIE_NAME)


def log_in_on_flask(page: Page, demo: Demo, name: str) -> None:
    page.goto(demo.url)
    page.click("#to-login")
    page.wait_for_url(f"{demo.url}login")
    page.fill("#name", name)
    page.click("#login")
    page.wait_for_selector("#user")


def api_answer(page: Page) -> tuple[int, Any]:
    """Ask the API who we are from the Flask page (a fetch), and read its answer."""
    page.evaluate("document.getElementById('api-answer').textContent = ''")
    page.click("#ask-api")
    page.wait_for_selector("#api-answer:not(:empty)")
    status, _, body = page.inner_text("#api-answer").partition(" ")
    return int(status), json.loads(body)


def test_log_in_on_flask_read_on_fastapi_log_out_on_fastapi(
    browser_context: BrowserContext, demo: Demo
) -> None:
    context = browser_context
    page = context.new_page()
    page.goto(demo.url)
    assert page.locator("#anonymous").count() == 1
    assert session_cookie(context) is None
    before = demo.stored_sessions()

    # Log in on the Flask side.
    log_in_on_flask(page, demo, "Ada <b>")
    assert page.inner_text("#user") == "Ada <b>"
    assert page.inner_text(".flashes") == "Welcome, Ada <b>!"
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["expires"] == -1  # no "remember me": a browser-session cookie
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts never see it
    if before is not None:
        assert demo.stored_sessions() == before + 1

    # Read the user on the FastAPI side: from the page (fetch) and by navigating to it.
    assert api_answer(page) == (200, {"user": "Ada <b>", "theme": "light"})
    api_page = context.new_page()
    response = api_page.goto(f"{demo.url}api/me")
    assert response is not None
    assert response.status == 200
    assert json.loads(api_page.inner_text("body")) == {"user": "Ada <b>", "theme": "light"}
    api_page.close()

    # A change made by the API is what the Flask page renders.
    page.click("#dark")
    page.wait_for_selector("#theme:text-is('dark')")
    assert page.inner_text("#user") == "Ada <b>"
    assert session_cookie(context) is not None

    # Log out on the FastAPI side: logged out on the Flask side.
    page.click("#api-logout")
    page.wait_for_selector("#anonymous")
    assert page.locator("#user").count() == 0
    assert session_cookie(context) is None
    if before is not None:
        assert demo.stored_sessions() == before
    page.goto(f"{demo.url}account")
    page.wait_for_url(f"{demo.url}login")
    response = page.goto(f"{demo.url}api/me")
    assert response is not None
    assert response.status == 401


def test_log_in_on_flask_log_out_on_flask_and_the_api_knows(
    browser_context: BrowserContext, demo: Demo
) -> None:
    page = browser_context.new_page()
    log_in_on_flask(page, demo, "Grace")
    assert api_answer(page) == (200, {"user": "Grace", "theme": "light"})
    page.click("#logout")
    page.wait_for_selector("#anonymous")
    assert session_cookie(browser_context) is None
    response = page.goto(f"{demo.url}api/me")
    assert response is not None
    assert response.status == 401
