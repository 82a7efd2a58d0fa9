"""A small Quart app on coatcheck, and what the tests read off its responses."""

from __future__ import annotations

from typing import Any

import quart
from quart.typing import TestClientProtocol
from werkzeug.wrappers import Response as WerkzeugResponse

from coatcheck.sansio import AnyStore
from coatcheck_asgi.quart import QuartSessionInterface, init_app

SECRET = "a secret key that is long enough for hkdf"


def make_app(store: AnyStore | None = None, **config: Any) -> quart.Quart:
    """A Quart app with a few session views, on coatcheck."""
    app = quart.Quart(__name__)
    app.config.update({"SECRET_KEY": SECRET, **config})
    init_app(app, store)

    @app.get("/untouched")
    async def untouched() -> str:
        return "-"

    @app.get("/read")
    async def read() -> str:
        return repr(quart.session.get("n"))

    @app.get("/incr")
    async def incr() -> str:
        quart.session["n"] = quart.session.get("n", 0) + 1
        return str(quart.session["n"])

    @app.get("/remember")
    async def remember() -> str:
        quart.session.permanent = True
        return "remembered"

    @app.get("/clear")
    async def clear() -> str:
        quart.session.clear()
        return "cleared"

    @app.get("/login/<user>")
    async def login(user: str) -> str:
        quart.session["user"] = user
        return user

    @app.get("/whoami")
    async def whoami() -> str:
        return str(quart.session.get("user"))

    return app


def interface_of(app: quart.Quart) -> QuartSessionInterface:
    """The app's coatcheck interface."""
    # Quart annotates the attribute with its own cookie interface's class.
    interface: object = app.session_interface
    assert isinstance(interface, QuartSessionInterface)
    return interface


def set_cookies(response: quart.Response | WerkzeugResponse) -> list[str]:
    """Every ``Set-Cookie`` header of ``response``."""
    return response.headers.getlist("Set-Cookie")


def cookie_value(set_cookie: str) -> str:
    """The value a ``Set-Cookie`` header sets."""
    return set_cookie.split(";", 1)[0].partition("=")[2]


def attributes(set_cookie: str) -> dict[str, str]:
    """The cookie's attributes, by lower-case name (flags map to "")."""
    result = {}
    for part in set_cookie.split("; ")[1:]:
        name, _, value = part.partition("=")
        result[name.lower()] = value
    return result


def jar(client: TestClientProtocol) -> dict[str, str]:
    """The test client's cookies, by name."""
    cookies = client.cookie_jar
    assert cookies is not None
    return {cookie.name: cookie.value or "" for cookie in cookies}
