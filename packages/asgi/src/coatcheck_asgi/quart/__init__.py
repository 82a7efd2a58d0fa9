"""coatcheck as Quart's session: a drop-in replacement for Quart's default cookie session.

::

    from coatcheck_asgi.quart import init_app

    app = Quart(__name__)
    app.secret_key = "..."       # keys are derived from SECRET_KEY (+ SECRET_KEY_FALLBACKS)
    init_app(app)                # CookieStore by default; init_app(app, AsyncRedisStore(...))

``quart.session``, ``flash()``, ``session.permanent`` and the test client's
``session_transaction()`` work as before; the ``SESSION_COOKIE_*`` settings,
``PERMANENT_SESSION_LIFETIME`` and ``SESSION_REFRESH_EACH_REQUEST`` keep their meaning.
Async stores are awaited, sync stores that do I/O run in a worker thread, and a
websocket's session is saved after it closes, as Quart does. This module imports Quart;
``coatcheck_asgi`` itself does not.
"""

from __future__ import annotations

from ._interface import QuartSessionInterface, init_app
from ._serializer import QuartTaggedJSON
from ._session import QuartSession

__all__ = [
    "QuartSession",
    "QuartSessionInterface",
    "QuartTaggedJSON",
    "init_app",
]
