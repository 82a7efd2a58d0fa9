"""coatcheck-asgi: session middleware for any ASGI application (Starlette, FastAPI, ...).

A drop-in for Starlette's ``SessionMiddleware`` (the session is ``scope["session"]``, a
``dict``, so ``request.session`` works unchanged) on top of the coatcheck core: encrypted
cookie or server-side stores, sync or async, lazy loading, key rotation, renewal and
purging, on asyncio and trio. Test helpers live in `coatcheck_asgi.testing`.
"""

from __future__ import annotations

from ._lazy import HasScope, load_session
from ._middleware import SessionMiddleware
from ._store_mode import AnyStore, StoreMode
from ._types import ASGIApp, ErrorHandler, Message, Receive, Scope, Send
from ._version import __version__

__all__ = [
    "SessionMiddleware",
    "load_session",
    "StoreMode",
    "AnyStore",
    "ErrorHandler",
    "HasScope",
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "__version__",
]
