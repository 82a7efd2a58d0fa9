"""coatcheck-wsgi: coatcheck sessions for WSGI applications, and for Flask.

`SessionMiddleware` wraps any WSGI application; the request's `coatcheck.Session` is
``environ["coatcheck.session"]`` (`get_session` reads it, typed). Flask applications use
`coatcheck_wsgi.flask` instead, a drop-in replacement for Flask's default session; only
that submodule imports Flask.
"""

from __future__ import annotations

from ._middleware import ENVIRON_KEY, SessionMiddleware, get_session
from ._version import __version__

__all__ = ["ENVIRON_KEY", "SessionMiddleware", "__version__", "get_session"]
