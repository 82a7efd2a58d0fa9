"""Flask's own session tests against ``coatcheck_wsgi.flask.FlaskSessionInterface``.

Loaded with ``-p coatcheck_flask_shim`` into a pytest run of Flask's ``tests``. It only
sets ``Flask.session_interface``, the class attribute every app reads its session
interface from, to coatcheck's; apps read their session settings (``SECRET_KEY``,
``SESSION_COOKIE_*``, ...) as usual. A test that installs an interface of its own keeps
it. No test is skipped, deselected, marked or patched.
"""

from __future__ import annotations

import flask
import pytest

from coatcheck_wsgi.flask import FlaskSessionInterface


def pytest_configure(config: pytest.Config) -> None:
    """Make coatcheck the session of every Flask app the tests create."""
    flask.Flask.session_interface = FlaskSessionInterface()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run when the interface did not take (say, a Flask that moved it)."""
    if not isinstance(flask.Flask(__name__).session_interface, FlaskSessionInterface):
        raise pytest.UsageError("a new Flask app does not use coatcheck's session interface")
