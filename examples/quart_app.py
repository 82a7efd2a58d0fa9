"""The coatcheck demo in Quart: log in, count, flash messages, "remember me", log out, and
"Your sessions" (list them, end one, or all the others) with a store that keeps the index.

``quart.session`` is coatcheck's (`coatcheck_asgi.quart.init_app`); the views are the ones
you would write for Quart's default session. Serve it with ``nox -s demo -- --quart``
(``python examples/serve_demo.py --quart``) on http://127.0.0.1:8000/.
"""

from __future__ import annotations

from typing import cast

import quart
from werkzeug.wrappers import Response as WerkzeugResponse

from coatcheck.sansio import AnyStore, indexes_subjects
from coatcheck_asgi.quart import QuartSession, init_app
from examples.index_calls import index_call
from examples.pallets_demo import PAGE, SESSIONS_PAGE, demo_settings, session_rows


def _session() -> QuartSession:
    """``quart.session``, typed as what it is under coatcheck (it has ``renew``, ``purge``)."""
    return cast(QuartSession, quart.session)


def create_app(store: AnyStore | None = None) -> quart.Quart:
    """The demo app; ``store`` defaults to the cookie store (async stores are awaited)."""
    app = quart.Quart(__name__)
    indexed = store is not None and indexes_subjects(store)
    app.config.update(demo_settings(indexed=indexed))
    init_app(app, store)

    @app.get("/")
    async def index() -> str:
        session = _session()
        return await quart.render_template_string(
            PAGE,
            framework="Quart",
            user=session.get("user"),
            counter=session.get("counter", 0),
            remembered=session.permanent,
        )

    @app.post("/login")
    async def login() -> WerkzeugResponse:
        form = await quart.request.form
        name = form.get("name", "").strip()[:64]
        if not name:
            await quart.flash("Please tell us your name.", "warning")
            return quart.redirect(quart.url_for("index"), 303)
        session = _session()
        # The user is the session's subject (SESSION_SUBJECT_KEY): the change of subject
        # renews the session key on its own, so a key planted before login dies here.
        session["user"] = name
        session["counter"] = 0
        session.permanent = "remember" in form
        await quart.flash(f"Welcome, {name}!")
        return quart.redirect(quart.url_for("index"), 303)

    @app.post("/count")
    async def count() -> WerkzeugResponse:
        session = _session()
        if "user" in session:
            session["counter"] = session.get("counter", 0) + 1
        return quart.redirect(quart.url_for("index"), 303)

    @app.post("/logout")
    async def logout() -> WerkzeugResponse:
        _session().purge()
        # Writing after purge() starts a fresh session, just for this message; reading
        # it on the next page empties that session again, and the cookie goes away.
        await quart.flash("You have been logged out.")
        return quart.redirect(quart.url_for("index"), 303)

    async def _signed_in() -> str | None:
        user = _session().get("user")
        if user is None:
            await quart.flash("Log in first.", "warning")
        return user

    @app.get("/sessions")
    async def sessions() -> str | WerkzeugResponse:
        user = await _signed_in()
        if user is None:
            return quart.redirect(quart.url_for("index"), 303)
        rows = None
        if indexed:
            listed = await index_call(store, "list_sessions", user)
            rows = session_rows(listed, _session().id)
        return await quart.render_template_string(
            SESSIONS_PAGE, framework="Quart", user=user, rows=rows
        )

    @app.post("/sessions/revoke")
    async def revoke() -> WerkzeugResponse:
        user = await _signed_in()
        if user is not None and indexed:
            form = await quart.request.form
            # revoke() ends the session only if it is one of *this* user's: another
            # user's id (a forged form) answers False and ends nothing.
            ended = await index_call(store, "revoke", user, form.get("id", ""))
            message = "Logged that device out." if ended else "That session had already ended."
            await quart.flash(message)
        return quart.redirect(quart.url_for("sessions"), 303)

    @app.post("/sessions/revoke-others")
    async def revoke_others() -> WerkzeugResponse:
        user = await _signed_in()
        if user is not None and indexed:
            ended = await index_call(store, "revoke_all", user, keep=_session().id)
            await quart.flash(f"Logged out {ended} other device(s).")
        return quart.redirect(quart.url_for("sessions"), 303)

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=8000)
