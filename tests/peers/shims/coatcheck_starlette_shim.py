"""Starlette's own session tests against ``coatcheck_asgi.SessionMiddleware``.

Loaded with ``-p coatcheck_starlette_shim`` into a pytest run of Starlette's
``tests/middleware/test_session.py``. It only swaps what that file imports from
``starlette.middleware.sessions``: ``SessionMiddleware`` becomes coatcheck's middleware
built from Starlette's constructor arguments, ``Session`` becomes `coatcheck.Session`.
No test is skipped, deselected, marked or patched.
"""

from __future__ import annotations

import pytest
import starlette.middleware.sessions as starlette_sessions
from starlette.types import ASGIApp

from coatcheck import (
    BrowserSession,
    CookieStore,
    Key,
    PersistentSession,
    SameSite,
    Session,
    SessionConfig,
)
from coatcheck_asgi import SessionMiddleware

_FOURTEEN_DAYS = 14 * 24 * 60 * 60  # Starlette's default max_age


class StarletteSessionMiddleware(SessionMiddleware):
    """coatcheck's middleware, taking Starlette's ``SessionMiddleware`` arguments.

    The state travels in the cookie (`coatcheck.CookieStore`) like Starlette's; the key
    is derived from ``secret_key``. ``max_age=None`` is a browser-session cookie, a
    number of seconds a persistent one (coatcheck refuses negative TTLs; Starlette's
    negative ``max_age``, a cookie expired at once, is coatcheck's ``0``).
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: object,
        session_cookie: str = "session",
        max_age: int | None = _FOURTEEN_DAYS,
        path: str = "/",
        same_site: SameSite = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
    ) -> None:
        lifecycle = (
            BrowserSession() if max_age is None else PersistentSession(session_ttl=max(max_age, 0))
        )
        config = SessionConfig(
            cookie_name=session_cookie,
            cookie_path=path,
            cookie_domain=domain,
            cookie_secure=https_only,
            cookie_same_site=same_site,
            cookie_partitioned=partitioned,
            lifecycle=lifecycle,
        )
        super().__init__(
            app, store=CookieStore(), key=Key.derive_from(str(secret_key)), config=config
        )


def pytest_configure(config: pytest.Config) -> None:
    """Swap the classes before the test module imports them."""
    vars(starlette_sessions).update(SessionMiddleware=StarletteSessionMiddleware, Session=Session)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run when a test module holds Starlette's own classes after all."""
    for item in session.items:
        module = getattr(item, "module", None)
        middleware = getattr(module, "SessionMiddleware", StarletteSessionMiddleware)
        if (
            middleware is not StarletteSessionMiddleware
            or getattr(module, "Session", Session) is not Session
        ):
            raise pytest.UsageError(f"{item.nodeid} does not use coatcheck's classes")
