"""The Flask side: the site's pages, ``/login`` and ``/logout``.

``flask.session`` is coatcheck's, built from the shared settings
(`SharedSession.manager` with ``session_class=FlaskSession``), so Flask's own
``SESSION_COOKIE_*`` and ``SECRET_KEY`` settings play no part in the session: the
cookie, the key and the serializer are the ones the FastAPI side uses. The home page
also talks to the API from the browser (``/api/me``, ``/api/theme``, ``/api/logout``),
as a page of a site whose API moved to FastAPI would.
"""

from __future__ import annotations

from typing import cast

import flask
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from coatcheck import SessionStore
from coatcheck_wsgi.flask import FlaskSession, FlaskSessionInterface

from .settings import SharedSession

__all__ = ["create_pages_app"]

LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>coatcheck shared login: {{ title }}</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; }
    body.dark { background: #222; color: #eee; }
    .flashes { padding: 0; list-style: none; }
    .flashes li { padding: .5rem .75rem; margin-bottom: .5rem; background: #eef6ee; color: #222; }
    pre { background: #f4f4f4; color: #222; padding: .5rem; }
  </style>
</head>
<body class="{{ theme }}">
  <h1>coatcheck shared login <small>(Flask page)</small></h1>
  <ul class="flashes">
  {% for message in get_flashed_messages() %}<li>{{ message }}</li>{% endfor %}
  </ul>
  {{ body }}
</body>
</html>
"""

HOME = """
{% if user %}
  <p>Hello, <strong id="user">{{ user }}</strong> (Flask read this from the session).</p>
  <p>Theme: <span id="theme">{{ theme }}</span>; <a href="{{ url_for('account') }}">your
    account</a>.</p>
  <p>
    <button id="ask-api" type="button">Ask the API who I am</button>
    <button id="dark" type="button">Dark theme (set by the API)</button>
    <button id="api-logout" type="button">Log out through the API</button>
  </p>
  <pre id="api-answer"></pre>
  <form method="post" action="{{ url_for('logout') }}"><button id="logout">Log out here
    (Flask)</button></form>
  <script>
    async function api(method, path, body) {
      const response = await fetch(path, {
        method, headers: {"Content-Type": "application/json"},
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return [response.status, await response.json()];
    }
    document.getElementById("ask-api").onclick = async () => {
      const [status, answer] = await api("GET", "/api/me");
      document.getElementById("api-answer").textContent = status + " " + JSON.stringify(answer);
    };
    document.getElementById("dark").onclick = async () => {
      await api("POST", "/api/theme", {theme: "dark"});
      location.reload();
    };
    document.getElementById("api-logout").onclick = async () => {
      await api("POST", "/api/logout");
      location.reload();
    };
  </script>
{% else %}
  <p id="anonymous">You are not logged in. <a id="to-login" href="{{ url_for('login') }}">Log
    in</a>.</p>
{% endif %}
"""

LOGIN = """
<form method="post" action="{{ url_for('login') }}">
  <p><label>Name <input id="name" name="name" required maxlength="64" autofocus></label></p>
  <p><label><input id="remember" type="checkbox" name="remember"> Remember me</label></p>
  <p><button id="login">Log in</button></p>
</form>
"""

ACCOUNT = """
<p>Signed in as <strong id="account-user">{{ user }}</strong>.</p>
<p><a href="{{ url_for('home') }}">Home</a></p>
"""


def _session() -> FlaskSession:
    """``flask.session``, typed as what it is under coatcheck (it has ``renew``, ``purge``)."""
    return cast(FlaskSession, flask.session)


def _page(title: str, body: str, **context: object) -> str:
    session = _session()
    inner = flask.render_template_string(body, user=session.get("user"), **context)
    return flask.render_template_string(
        LAYOUT, title=title, body=Markup(inner), theme=session.get("theme", "light")
    )


def create_pages_app(shared: SharedSession, store: SessionStore) -> flask.Flask:
    """The Flask app; its sessions live in ``store`` under ``shared``'s settings."""
    app = flask.Flask(__name__)
    app.session_interface = FlaskSessionInterface(
        store, manager=shared.manager(store, session_class=FlaskSession)
    )

    @app.get("/")
    def home() -> str:
        return _page("home", HOME, theme=_session().get("theme", "light"))

    @app.get("/login")
    def login() -> str:
        return _page("log in", LOGIN)

    @app.post("/login")
    def log_in() -> WerkzeugResponse:
        name = flask.request.form.get("name", "").strip()[:64]
        if not name:
            flask.flash("Please tell us your name.")
            return flask.redirect(flask.url_for("login"), 303)
        session = _session()
        session.renew()  # a new session key at login: no session fixation
        session["user"] = name
        session.permanent = "remember" in flask.request.form
        flask.flash(f"Welcome, {name}!")
        return flask.redirect(flask.url_for("home"), 303)

    @app.post("/logout")
    def logout() -> WerkzeugResponse:
        _session().purge()
        return flask.redirect(flask.url_for("home"), 303)

    @app.get("/account")
    def account() -> str | WerkzeugResponse:
        if "user" not in _session():
            return flask.redirect(flask.url_for("login"), 303)
        return _page("account", ACCOUNT)

    return app
