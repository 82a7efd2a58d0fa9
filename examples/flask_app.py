"""The coatcheck demo in Flask: log in, count, flash messages, "remember me", log out.

``flask.session`` is coatcheck's (`coatcheck_wsgi.flask.init_app`); the views are the ones
you would write for Flask's default session. Serve it with ``nox -s demo -- --flask``
(``python examples/serve_demo.py --flask``) on http://127.0.0.1:8000/.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from typing import cast

import flask
from werkzeug.wrappers import Response as WerkzeugResponse

from coatcheck import SessionStore
from coatcheck_wsgi.flask import FlaskSession, init_app

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>coatcheck demo (Flask)</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; }
    .flashes { padding: 0; list-style: none; }
    .flashes li { padding: .5rem .75rem; margin-bottom: .5rem; background: #eef6ee; }
    .flashes li.warning { background: #fbf1dc; }
    form { margin: 1rem 0; }
  </style>
</head>
<body>
  <h1>coatcheck demo <small>(Flask)</small></h1>
  {% with messages = get_flashed_messages(with_categories=true) %}
    {% if messages %}
      <ul class="flashes">
        {% for category, message in messages %}
          <li class="{{ category }}">{{ message }}</li>
        {% endfor %}
      </ul>
    {% endif %}
  {% endwith %}
  {% if user %}
    <p>Hello, <strong id="user">{{ user }}</strong>.
      {% if remembered %}This browser remembers you.{% else %}You are logged in until
      the browser closes.{% endif %}</p>
    <p>Counter: <span id="counter">{{ counter }}</span></p>
    <form method="post" action="{{ url_for('count') }}"><button id="count">Count</button></form>
    <form method="post" action="{{ url_for('logout') }}"><button id="logout">Log out</button></form>
  {% else %}
    <form method="post" action="{{ url_for('login') }}">
      <p><label>Name <input id="name" name="name" required maxlength="64" autofocus></label></p>
      <p><label><input id="remember" type="checkbox" name="remember"> Remember me</label></p>
      <p><button id="login">Log in</button></p>
    </form>
  {% endif %}
</body>
</html>
"""


def _session() -> FlaskSession:
    """``flask.session``, typed as what it is under coatcheck (it has ``renew``, ``purge``)."""
    return cast(FlaskSession, flask.session)


def create_app(store: SessionStore | None = None) -> flask.Flask:
    """The demo app; ``store`` defaults to the cookie store."""
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("COATCHECK_DEMO_SECRET") or secrets.token_urlsafe(32),
        # The demo is served over plain http on 127.0.0.1.
        SESSION_COOKIE_SECURE=False,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
    )
    init_app(app, store)

    @app.get("/")
    def index() -> str:
        session = _session()
        return flask.render_template_string(
            PAGE,
            user=session.get("user"),
            counter=session.get("counter", 0),
            remembered=session.permanent,
        )

    @app.post("/login")
    def login() -> WerkzeugResponse:
        name = flask.request.form.get("name", "").strip()[:64]
        if not name:
            flask.flash("Please tell us your name.", "warning")
            return flask.redirect(flask.url_for("index"), 303)
        session = _session()
        session.renew()  # a new session key at login: no session fixation
        session["user"] = name
        session["counter"] = 0
        session.permanent = "remember" in flask.request.form
        flask.flash(f"Welcome, {name}!")
        return flask.redirect(flask.url_for("index"), 303)

    @app.post("/count")
    def count() -> WerkzeugResponse:
        session = _session()
        if "user" in session:
            session["counter"] = session.get("counter", 0) + 1
        return flask.redirect(flask.url_for("index"), 303)

    @app.post("/logout")
    def logout() -> WerkzeugResponse:
        _session().purge()
        # Writing after purge() starts a fresh session, just for this message; reading
        # it on the next page empties that session again, and the cookie goes away.
        flask.flash("You have been logged out.")
        return flask.redirect(flask.url_for("index"), 303)

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=8000)
