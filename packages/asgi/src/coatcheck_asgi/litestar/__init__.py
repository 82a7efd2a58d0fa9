"""coatcheck sessions for Litestar: `CoatcheckSessionConfig` and its middleware.

A drop-in for Litestar's ``CookieBackendConfig`` and ``ServerSideSessionConfig``::

    from coatcheck import CookieStore, Key
    from coatcheck_asgi.litestar import CoatcheckSessionConfig

    session_config = CoatcheckSessionConfig(store=CookieStore(), key=Key.generate())
    app = Litestar(route_handlers=[...], middleware=[session_config.middleware])

``request.session``, ``request.set_session(...)``, ``request.clear_session()`` and
``request.get_session_id()`` work as with Litestar's backends; ``exclude``,
``exclude_opt_key`` and ``scopes`` skip routes as they do. With ``lazy=True`` an I/O
store is read only when the handler awaits `loaded_session(request)` (which also puts
the loaded session in ``request.session``). `CoatcheckSessionAuth` is Litestar's
``SessionAuth`` over these sessions. Needs ``pip install coatcheck-asgi[litestar]``.
"""

from __future__ import annotations

from ._auth import CoatcheckSessionAuth
from ._config import DEFAULT_EXCLUDE_OPT_KEY, CoatcheckSessionConfig, LitestarErrorHandler
from ._loading import UnloadedSession, loaded_session
from ._middleware import CoatcheckSessionMiddleware

__all__ = [
    "CoatcheckSessionAuth",
    "CoatcheckSessionConfig",
    "CoatcheckSessionMiddleware",
    "DEFAULT_EXCLUDE_OPT_KEY",
    "LitestarErrorHandler",
    "UnloadedSession",
    "loaded_session",
]
