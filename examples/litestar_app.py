"""The coatcheck demo as a Litestar app: log in, count, flash messages, remember me, log out.

The pages and rules of the first Starlette demo (examples/asgi_app.py), written the
Litestar way: sessions come from `CoatcheckSessionConfig` in the app's ``middleware``,
handlers read and write ``request.session`` (a `coatcheck.Session`, so a plain ``dict``)
and log out with Litestar's own ``request.clear_session()``. ``/api/me`` returns
``request.session`` as JSON, which Litestar serializes straight from the dict; ``/health``
opts out of sessions with ``skip_session=True``.

Serve it with ``nox -s demo -- --litestar`` (or ``python examples/serve_demo.py
--litestar``) on http://127.0.0.1:8000. The store defaults to `CookieStore`; the cookie is
not ``Secure`` because the demo is plain http on 127.0.0.1. ``COATCHECK_DEMO_KEY`` keeps
sessions valid across restarts.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated, Any

from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from coatcheck import BrowserSession, CookieStore, PersistentSession, Session, SessionConfig
from coatcheck_asgi import AnyStore
from coatcheck_asgi.litestar import CoatcheckSessionConfig
from examples.asgi_app import COOKIE_NAME, LOGIN_FORM, MAX_NAME_LENGTH, demo_key, flash

__all__ = ["COOKIE_NAME", "create_app"]

CONFIG = SessionConfig(
    cookie_name=COOKIE_NAME,
    cookie_secure=False,  # plain http on 127.0.0.1; never do this in production
    lifecycle=BrowserSession(state_ttl=timedelta(hours=12)),
    permanent_lifecycle=PersistentSession(session_ttl=timedelta(days=30)),
)

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>coatcheck demo (Litestar)</title>
<style>
body {{ font-family: sans-serif; max-width: 36rem; margin: 3rem auto; }}
.flash {{ background: #eef6ee; border: 1px solid #9c9; padding: .5rem 1rem; }}
form {{ margin: 1rem 0; }}
</style></head>
<body>
<h1>coatcheck demo (Litestar)</h1>
{flashes}
{body}
</body>
</html>
"""

LOGGED_IN = """
<p>Logged in as <strong id="user">{user}</strong>
  ({lifetime}).</p>
<p>Your counter: <strong id="count">{count}</strong></p>
<form method="post" action="/count"><button type="submit" id="increment">Count</button></form>
<form method="post" action="/logout"><button type="submit" id="logout">Log out</button></form>
"""


AnyRequest = Request[Any, Any, Any]
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def session_of(request: AnyRequest) -> Session:
    """``request.session``, typed as the coatcheck `Session` it is."""
    session = request.session
    assert isinstance(session, Session)
    return session


def redirect_home() -> Redirect:
    """Post/redirect/get: a reload never re-submits a form."""
    return Redirect("/", status_code=303)


@get("/", media_type=MediaType.HTML)
async def home(request: AnyRequest) -> str:
    session = session_of(request)
    messages = session.pop("flash", [])
    flashes = "".join(f'<p class="flash">{html.escape(str(message))}</p>' for message in messages)
    user = session.get("user")
    if user is None:
        body = LOGIN_FORM
    else:
        lifetime = "remembered for 30 days" if session.permanent else "until you close the browser"
        body = LOGGED_IN.format(
            user=html.escape(user), count=int(session.get("count", 0)), lifetime=lifetime
        )
    return PAGE.format(flashes=flashes, body=body)


@post("/login")
async def login(request: AnyRequest, data: Form) -> Redirect:
    session = session_of(request)
    username = str(data.get("username", "")).strip()
    if not username or len(username) > MAX_NAME_LENGTH:
        flash(session, f"Please give a name of 1 to {MAX_NAME_LENGTH} characters.")
        return redirect_home()
    # A new session key at login: a session fixed by an attacker beforehand dies here.
    session.renew()
    session["user"] = username
    session["count"] = 0
    session.permanent = "remember" in data
    flash(session, f"Welcome, {username}!")
    return redirect_home()


@post("/count")
async def count(request: AnyRequest) -> Redirect:
    session = session_of(request)
    if session.get("user") is None:
        flash(session, "Log in first.")
    else:
        session["count"] = int(session.get("count", 0)) + 1
    return redirect_home()


@post("/logout")
async def logout(request: AnyRequest) -> Redirect:
    # Litestar's own call: the record is deleted and the cookie removed.
    request.clear_session()
    return redirect_home()


@get("/api/me")
async def me(request: AnyRequest) -> dict[str, Any]:
    return request.session


@get("/health", skip_session=True, media_type=MediaType.TEXT)
async def health() -> Response[str]:
    return Response("ok")


def create_app(store: AnyStore | None = None) -> Litestar:
    """The demo app with its sessions in ``store`` (default: `CookieStore`)."""
    sessions = CoatcheckSessionConfig(
        store=CookieStore() if store is None else store, key=demo_key(), config=CONFIG
    )
    return Litestar(
        route_handlers=[home, login, count, logout, me, health],
        middleware=[sessions.middleware],
    )
