"""The coatcheck demo as a Starlette app: log in, count, flash messages, remember me, log out,
see and end your sessions on other devices, and watch what coatcheck does on every request.

Server-rendered HTML, no JavaScript. Everything the app knows about a visitor lives in
its session (a `coatcheck.Session`, so a plain ``dict`` to the code below), which each
page asks for with ``await load_session(request)`` (the middleware is lazy: ``/about``
never asks, and costs no store command):

- logging in stores the user name under ``SessionConfig.subject_key``: the session then
  belongs to that *subject*, and the change of subject *renews* it on its own (a new
  session key, so a key planted before login is worthless afterwards);
- "remember me" sets ``session.permanent``: the cookie then outlives the browser for 30
  days instead of ending with it;
- flash messages are a list in the session, shown once and removed;
- logging out *purges* the session: its state is deleted and the cookie removed;
- "Your sessions" (``/sessions``) lists the user's live sessions from the store's index
  (device, start, last activity, "this device"), and ends one, or all the others;
- a panel at the bottom of every page shows what coatcheck did for the request: how the
  cookie was classified, the store commands, the ``Set-Cookie`` of the response before,
  and when the session expires and why (see demo_panel.py and demo_trace.py).

Serve it with ``nox -s demo`` (or ``python examples/serve_demo.py``): the store is a
`MemoryStore` in the process (``--store sqlite`` a file, ``--redis URL`` Redis;
``--store cookie`` seals the state inside the cookie, which keeps no index, so "Your
sessions" is not available there). `create_app` without a store uses `CookieStore`.
The cookie is not ``Secure`` because the demo is plain http on 127.0.0.1. Set
``COATCHECK_DEMO_KEY`` (``python -m coatcheck keygen``) to keep sessions valid across
restarts; otherwise every start generates a new key.
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
    BrowserSession,
    CookieStore,
    Key,
    PersistentSession,
    Session,
    SessionConfig,
    SessionInfo,
)
from coatcheck.sansio import indexes_subjects
from coatcheck_asgi import AnyStore, SessionMiddleware, load_session
from examples.demo_panel import render_panel
from examples.demo_trace import TraceLog, TraceMiddleware, clock_text, trace_of, traced
from examples.index_calls import index_call
from examples.user_agents import device_of

COOKIE_NAME = "coatcheck_demo"
MAX_NAME_LENGTH = 40

MAX_DEVICES = 5
"""Sessions a user may have at once (with a store that keeps the index)."""


def demo_config(*, indexed: bool) -> SessionConfig:
    """The demo's configuration; the cap on devices needs a store that keeps the index."""
    return SessionConfig(
        cookie_name=COOKIE_NAME,
        cookie_secure=False,  # plain http on 127.0.0.1; never do this in production
        # Every request extends the session, at most once per 1/100 of the TTL (7 min
        # 12 s): requests in between write nothing and set no cookie (throttled refresh).
        lifecycle=BrowserSession(
            state_ttl=timedelta(hours=12),
            ttl_extension_policy="on_every_request",
            refresh_after=0.01,
        ),
        permanent_lifecycle=PersistentSession(session_ttl=timedelta(days=30)),
        # Accounts: the value under "user" is who the session belongs to (its subject).
        subject_key="user",
        # A 6th login of the same user ends the least recently active of the others.
        max_sessions_per_subject=MAX_DEVICES if indexed else None,
    )


CONFIG = demo_config(indexed=True)
"""The demo's configuration with a store that keeps the index."""

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>coatcheck demo</title>
<style>
body {{ font-family: sans-serif; max-width: 36rem; margin: 3rem auto; }}
.flash {{ background: #eef6ee; border: 1px solid #9c9; padding: .5rem 1rem; }}
form {{ margin: 1rem 0; }}
form.inline {{ display: inline; margin: 0; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .3rem; text-align: left; }}
#coatcheck-panel {{ margin-top: 3rem; padding: .5rem 1rem; background: #f4f4f8;
  border: 1px solid #ccd; font-size: .85rem; }}
#coatcheck-panel code {{ word-break: break-all; }}
</style></head>
<body>
<h1>coatcheck demo</h1>
<nav><a href="/">Home</a> ·
  <a href="/about" id="about-link">About (a page without a session)</a></nav>
{flashes}
{body}
{panel}
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
<p>You proved who you are at <span id="authenticated-at">{authenticated_at}</span>:
  <span id="fresh">{fresh}</span></p>
<form method="post" action="/confirm"><button type="submit" id="confirm">Confirm it's me
  (a step-up: new session key, the old one forwards for a few seconds)</button></form>
<p><a href="/sessions" id="sessions-link">Your sessions</a></p>
<form method="post" action="/logout"><button type="submit" id="logout">Log out</button></form>
"""

RECENT = timedelta(minutes=5)
"""How recently a user must have proved who they are for a sensitive action."""

SESSIONS = """
<h2>Your sessions, {user}</h2>
<table id="sessions">
<tr><th>Device</th><th>Started</th><th>Last active</th><th></th></tr>
{rows}
</table>
<form method="post" action="/sessions/revoke-others">
  <button type="submit" id="revoke-others">Log out all other devices</button>
</form>
<p><a href="/">Back</a></p>
"""

SESSION_ROW = """<tr class="session" data-id="{id}">
<td class="device">{device}{this}</td><td>{started}</td><td>{active}</td><td>{action}</td></tr>
"""

NO_INDEX = """
<p id="no-index">This store keeps no session index, so it cannot list or end sessions
(a CookieStore keeps no server-side state at all): serve the demo with
<code>--store memory</code>, <code>--store sqlite</code> or <code>--redis URL</code>.</p>
<p><a href="/">Back</a></p>
"""


def demo_key() -> Key:
    """The key from ``COATCHECK_DEMO_KEY`` (base64), or a fresh one."""
    encoded = os.environ.get("COATCHECK_DEMO_KEY")
    return Key.from_base64(encoded) if encoded else Key.generate()


async def session_of(request: Request) -> Session:
    """The request's session, loaded (the middleware is lazy: a store that does I/O is
    read only by pages that ask for their session here)."""
    return await load_session(request)


def flash(session: Session, message: str) -> None:
    """Queue a message for the next page."""
    session["flash"] = [*session.get("flash", []), message]


def redirect_home() -> Response:
    """Post/redirect/get: a reload never re-submits a form."""
    return RedirectResponse("/", status_code=303)


def page(request: Request, session: Session | None, body: str) -> Response:
    """The page around ``body``: the flash messages first, the teaching panel last.
    Without ``session`` (a page that never loads its session) there are no flashes."""
    messages = [] if session is None else session.pop("flash", [])
    flashes = "".join(f'<p class="flash">{html.escape(str(message))}</p>' for message in messages)
    trace, previous = trace_of(request.scope)
    store = request.app.state.store
    panel = render_panel(
        request.scope["session"],
        request.app.state.config,
        trace,
        previous,
        server_side=not getattr(store, "state_in_cookie", False),
    )
    return HTMLResponse(PAGE.format(flashes=flashes, body=body, panel=panel))


async def home(request: Request) -> Response:
    session = await session_of(request)
    user = session.get("user")
    if user is None:
        body = LOGIN_FORM
    else:
        lifetime = "remembered for 30 days" if session.permanent else "until you close the browser"
        fresh = (
            "recently enough for sensitive actions (session.is_fresh)"
            if session.is_fresh(RECENT)
            else f"more than {RECENT.seconds // 60} minutes ago: confirm before sensitive actions"
        )
        body = LOGGED_IN.format(
            user=html.escape(user),
            count=int(session.get("count", 0)),
            lifetime=lifetime,
            authenticated_at=clock_text(session.authenticated_at),
            fresh=fresh,
        )
    return page(request, session, body)


async def confirm(request: Request) -> Response:
    session = await session_of(request)
    if session.get("user") is None:
        flash(session, "Log in first.")
    else:
        # Your app checks the password again here. mark_authenticated() renews the key
        # without a change of subject: the old key forwards to the new one for
        # renew_grace seconds, so requests already in flight with it still work.
        session.mark_authenticated()
        flash(session, "Confirmed: a new session key.")
    return redirect_home()


ABOUT = """
<p id="about">This page never asks for its session. So coatcheck did not even decode the
cookie, sent no store command and sets no cookie: an untouched session costs nothing
(lazy loading). The panel below says so.</p>
"""


async def about(request: Request) -> Response:
    return page(request, None, ABOUT)


async def login(request: Request) -> Response:
    session = await session_of(request)
    form = await request.form()
    username = str(form.get("username", "")).strip()
    if not username or len(username) > MAX_NAME_LENGTH:
        flash(session, f"Please give a name of 1 to {MAX_NAME_LENGTH} characters.")
        return redirect_home()
    # The subject changes (anonymous -> username): coatcheck renews the session key on
    # its own, so a session fixed by an attacker beforehand dies here. No renew() needed.
    session["user"] = username
    session["count"] = 0
    session.permanent = form.get("remember") is not None
    flash(session, f"Welcome, {username}!")
    return redirect_home()


async def count(request: Request) -> Response:
    session = await session_of(request)
    if session.get("user") is None:
        flash(session, "Log in first.")
    else:
        session["count"] = int(session.get("count", 0)) + 1
    return redirect_home()


async def logout(request: Request) -> Response:
    session = await session_of(request)
    user = session.get("user")
    session.purge()
    if user is not None:
        # Writing after purge() starts a fresh session just for the message; the next
        # page shows it and, the session being empty again, removes the cookie.
        session.permanent = False
        flash(session, f"Goodbye, {user}.")
    return redirect_home()


def session_row(info: SessionInfo, current: str | None) -> str:
    """One row of "Your sessions"."""
    if info.id == current:
        this = ' <strong class="this-device">(this device)</strong>'
        action = '<form method="post" action="/logout" class="inline">'
        action += '<button type="submit">Log out</button></form>'
    else:
        this = ""
        action = '<form method="post" action="/sessions/revoke" class="inline">'
        action += f'<input type="hidden" name="id" value="{html.escape(info.id)}">'
        action += '<button type="submit" class="revoke">Log out</button></form>'
    return SESSION_ROW.format(
        id=html.escape(info.id),
        device=html.escape(device_of(info.user_agent)),
        this=this,
        started=clock_text(info.created_at),
        active=clock_text(info.last_active),
        action=action,
    )


async def sessions(request: Request) -> Response:
    session = await session_of(request)
    user = session.get("user")
    if user is None:
        flash(session, "Log in first.")
        return redirect_home()
    store = request.app.state.store
    if not indexes_subjects(store):
        return page(request, session, NO_INDEX)
    listed: list[SessionInfo] = await index_call(store, "list_sessions", user)
    rows = "".join(session_row(info, session.id) for info in listed)
    return page(request, session, SESSIONS.format(user=html.escape(user), rows=rows))


async def revoke(request: Request) -> Response:
    session = await session_of(request)
    user = session.get("user")
    store = request.app.state.store
    if user is None or not indexes_subjects(store):
        flash(session, "Log in first.")
        return redirect_home()
    form = await request.form()
    # revoke() ends the session only if it is one of *this* user's: an id of someone
    # else's session (a forged form) answers False and ends nothing.
    ended = await index_call(store, "revoke", user, str(form.get("id", "")))
    flash(session, "Logged that device out." if ended else "That session had already ended.")
    return RedirectResponse("/sessions", status_code=303)


async def revoke_others(request: Request) -> Response:
    session = await session_of(request)
    user = session.get("user")
    store = request.app.state.store
    if user is None or not indexes_subjects(store):
        flash(session, "Log in first.")
        return redirect_home()
    ended = await index_call(store, "revoke_all", user, keep=session.id)
    flash(session, f"Logged out {ended} other device(s).")
    return RedirectResponse("/sessions", status_code=303)


def create_app(store: AnyStore | None = None) -> Starlette:
    """The demo app with its sessions in ``store`` (default: `CookieStore`).

    The store is wrapped to record its commands for the teaching panel
    (`examples.demo_trace.traced`); ``app.state.store`` is that wrapper.
    """
    recorded = traced(CookieStore() if store is None else store)
    config = demo_config(indexed=indexes_subjects(recorded))
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/login", login, methods=["POST"]),
            Route("/count", count, methods=["POST"]),
            Route("/confirm", confirm, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/about", about),
            Route("/sessions", sessions),
            Route("/sessions/revoke", revoke, methods=["POST"]),
            Route("/sessions/revoke-others", revoke_others, methods=["POST"]),
        ],
        middleware=[
            Middleware(TraceMiddleware, cookie_name=COOKIE_NAME, log=TraceLog()),
            Middleware(SessionMiddleware, store=recorded, key=demo_key(), config=config, lazy=True),
        ],
    )
    app.state.store = recorded
    app.state.config = config
    return app
