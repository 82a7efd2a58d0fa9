"""coatcheck as Flask's session: a drop-in replacement for Flask's default cookie session.

::

    from coatcheck_wsgi.flask import init_app

    app = Flask(__name__)
    app.secret_key = "..."       # keys are derived from SECRET_KEY (+ SECRET_KEY_FALLBACKS)
    init_app(app)                # CookieStore by default; init_app(app, RedisStore(...))

``flask.session``, ``flash()``, ``session.permanent`` and the test client's
``session_transaction()`` work as before; the ``SESSION_COOKIE_*`` settings,
``PERMANENT_SESSION_LIFETIME`` and ``SESSION_REFRESH_EACH_REQUEST`` keep their meaning.
This module imports Flask; ``coatcheck_wsgi`` itself does not.
"""

from __future__ import annotations

from ._interface import FlaskSessionInterface, init_app
from ._serializer import FlaskTaggedJSON
from ._session import FlaskSession
from ._settings import FlaskSettings

__all__ = [
    "FlaskSession",
    "FlaskSessionInterface",
    "FlaskSettings",
    "FlaskTaggedJSON",
    "init_app",
]
