"""The coatcheck demo as a Starlette app: log in, count, flash messages, remember me, log out.

Server-rendered HTML, no JavaScript. Everything the app knows about a visitor lives in
``request.session`` (a `coatcheck.Session`, so a plain ``dict`` to the code below):

- logging in *renews* the session (a new session key, so a key planted before login is
  worthless afterwards) and stores the user name and a counter;
- "remember me" sets ``session.permanent``: the cookie then outlives the browser for 30
  days instead of ending with it;
- flash messages are a list in the session, shown once and removed;
- logging out *purges* the session: its state is deleted and the cookie removed.

Serve it with ``nox -s demo`` (or ``python examples/serve_demo.py``); the store defaults
to `CookieStore` (the state sealed inside the cookie), ``--store memory`` keeps it in the
process instead. The cookie is not ``Secure`` because the demo is plain http on
127.0.0.1. Set ``COATCHECK_DEMO_KEY`` (``python -m coatcheck keygen``) to keep sessions
valid across restarts; otherwise every start generates a new key.
"""

from __future__ import annotations

import html
import os
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from coatcheck import (
    AsyncSessionStore,
    BrowserSession,
    CookieStore,
    Key,
    PersistentSession,
    Session,
    SessionConfig,
    SessionStore,
)
from coatcheck_asgi import SessionMiddleware

COOKIE_NAME = "coatcheck_demo"
MAX_NAME_LENGTH = 40

CONFIG = SessionConfig(
    cookie_name=COOKIE_NAME,
    cookie_secure=False,  # plain http on 127.0.0.1; never do this in production
    lifecycle=BrowserSession(state_ttl=timedelta(hours=12)),
    permanent_lifecycle=PersistentSession(session_ttl=timedelta(days=30)),
)

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>coatcheck demo</title>
<style>
body {{ font-family: sans-serif; max-width: 36rem; margin: 3rem auto; }}
.flash {{ background: #eef6ee; border: 1px solid #9c9; padding: .5rem 1rem; }}
form {{ margin: 1rem 0; }}
</style></head>
<body>
<h1>coatcheck demo</h1>
{flashes}
{body}
</body>
</html>
"""

LOGIN_FORM = """
<form method="post" action="/login">
  <label>Name <input name="username" id="username" maxlength="40" required autofocus></label>
  <label><input type="checkbox" name="remember" id="remember"> Remember me</label>
  <button type="submit" id="login">Log in</button>
</form>
"""

LOGGED_IN = """
<p>Logged in as <strong id="user">{user}</strong>
  ({lifetime}).</p>
<p>Your counter: <strong id="count">{count}</strong></p>
<form method="post" action="/count"><button type="submit" id="increment">Count</button></form>
<form method="post" action="/logout"><button type="submit" id="logout">Log out</button></form>
"""


def demo_key() -> Key:
    """The key from ``COATCHECK_DEMO_KEY`` (base64), or a fresh one."""
    encoded = os.environ.get("COATCHECK_DEMO_KEY")
    return Key.from_base64(encoded) if encoded else Key.generate()


def session_of(request: Request) -> Session:
    """``request.session``, typed as the coatcheck `Session` it is."""
    session = request.session
    assert isinstance(session, Session)
    return session


def flash(session: Session, message: str) -> None:
    """Queue a message for the next page."""
    session["flash"] = [*session.get("flash", []), message]


def redirect_home() -> Response:
    """Post/redirect/get: a reload never re-submits a form."""
    return RedirectResponse("/", status_code=303)


async def home(request: Request) -> Response:
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
    return HTMLResponse(PAGE.format(flashes=flashes, body=body))


async def login(request: Request) -> Response:
    session = session_of(request)
    form = await request.form()
    username = str(form.get("username", "")).strip()
    if not username or len(username) > MAX_NAME_LENGTH:
        flash(session, f"Please give a name of 1 to {MAX_NAME_LENGTH} characters.")
        return redirect_home()
    # A new session key at login: a session fixed by an attacker beforehand dies here.
    session.renew()
    session["user"] = username
    session["count"] = 0
    session.permanent = form.get("remember") is not None
    flash(session, f"Welcome, {username}!")
    return redirect_home()


async def count(request: Request) -> Response:
    session = session_of(request)
    if session.get("user") is None:
        flash(session, "Log in first.")
    else:
        session["count"] = int(session.get("count", 0)) + 1
    return redirect_home()


async def logout(request: Request) -> Response:
    session = session_of(request)
    user = session.get("user")
    session.purge()
    if user is not None:
        # Writing after purge() starts a fresh session just for the message; the next
        # page shows it and, the session being empty again, removes the cookie.
        session.permanent = False
        flash(session, f"Goodbye, {user}.")
    return redirect_home()


def create_app(store: SessionStore | AsyncSessionStore | None = None) -> Starlette:
    """The demo app with its sessions in ``store`` (default: `CookieStore`)."""
    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login, methods=["POST"]),
            Route("/count", count, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                store=CookieStore() if store is None else store,
                key=demo_key(),
                config=CONFIG,
            )
        ],
    )
