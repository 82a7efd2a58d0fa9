"""The coatcheck demo in Flask: log in, count, flash messages, "remember me", log out, and
"Your sessions" (list them, end one, or all the others) with a store that keeps the index.

``flask.session`` is coatcheck's (`coatcheck_wsgi.flask.init_app`); the views are the ones
you would write for Flask's default session. Serve it with ``nox -s demo -- --flask``
(``python examples/serve_demo.py --flask``) on http://127.0.0.1:8000/.
"""

from __future__ import annotations

from typing import cast

import flask
from werkzeug.wrappers import Response as WerkzeugResponse

from coatcheck import SessionIndex, SessionStore
from coatcheck.sansio import indexes_subjects
from coatcheck_wsgi.flask import FlaskSession, init_app
from examples.pallets_demo import PAGE, SESSIONS_PAGE, demo_settings, session_rows


def _session() -> FlaskSession:
    """``flask.session``, typed as what it is under coatcheck (it has ``renew``, ``purge``)."""
    return cast(FlaskSession, flask.session)


def create_app(store: SessionStore | None = None) -> flask.Flask:
    """The demo app; ``store`` defaults to the cookie store."""
    app = flask.Flask(__name__)
    sessions_index: SessionIndex | None = None
    if store is not None and indexes_subjects(store):
        sessions_index = cast(SessionIndex, store)
    app.config.update(demo_settings(indexed=sessions_index is not None))
    init_app(app, store)

    @app.get("/")
    def index() -> str:
        session = _session()
        return flask.render_template_string(
            PAGE,
            framework="Flask",
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
        # The user is the session's subject (SESSION_SUBJECT_KEY): the change of subject
        # renews the session key on its own, so a key planted before login dies here.
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

    def _signed_in() -> str | None:
        user = _session().get("user")
        if user is None:
            flask.flash("Log in first.", "warning")
        return user

    @app.get("/sessions")
    def sessions() -> str | WerkzeugResponse:
        user = _signed_in()
        if user is None:
            return flask.redirect(flask.url_for("index"), 303)
        rows = None
        if sessions_index is not None:
            rows = session_rows(sessions_index.list_sessions(user), _session().id)
        return flask.render_template_string(SESSIONS_PAGE, framework="Flask", user=user, rows=rows)

    @app.post("/sessions/revoke")
    def revoke() -> WerkzeugResponse:
        user = _signed_in()
        if user is not None and sessions_index is not None:
            # revoke() ends the session only if it is one of *this* user's: another
            # user's id (a forged form) answers False and ends nothing.
            ended = sessions_index.revoke(user, flask.request.form.get("id", ""))
            flask.flash("Logged that device out." if ended else "That session had already ended.")
        return flask.redirect(flask.url_for("sessions"), 303)

    @app.post("/sessions/revoke-others")
    def revoke_others() -> WerkzeugResponse:
        user = _signed_in()
        if user is not None and sessions_index is not None:
            ended = sessions_index.revoke_all(user, keep=_session().id)
            flask.flash(f"Logged out {ended} other device(s).")
        return flask.redirect(flask.url_for("sessions"), 303)

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=8000)
