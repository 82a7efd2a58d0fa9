"""`create_app`: the Flask pages and the FastAPI API behind one origin, one ASGI app.

The Flask app runs through `a2wsgi.WSGIMiddleware` (a WSGI-to-ASGI bridge: each request
in a worker thread), the FastAPI app natively, and a `PathDispatcher` sends ``/api/...``
to FastAPI and everything else to Flask. Serve it with any ASGI server::

    uvicorn --factory examples.shared_login.app:demo_app

(``nox -s demo -- --shared-login [--redis URL]`` does that on http://127.0.0.1:8000/.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from typing import cast

from a2wsgi import WSGIMiddleware
from fastapi import FastAPI
from flask import Flask

from coatcheck_asgi import ASGIApp

from .api import create_api_app
from .dispatcher import PathDispatcher
from .pages import create_pages_app
from .settings import SharedSession, shared_session_config
from .stores import SharedStores, memory_stores, redis_stores

__all__ = ["combine", "create_app", "demo_app"]


def create_app(
    shared: SharedSession, stores: SharedStores, *, close_stores: bool = False
) -> PathDispatcher:
    """Both apps, with sessions under ``shared``'s settings in ``stores``.

    ``close_stores``: close the stores' clients when the server shuts down (for stores
    made for this app alone).
    """

    @contextlib.asynccontextmanager
    async def closing(api: FastAPI) -> AsyncIterator[None]:
        yield
        await stores.aclose()

    api = create_api_app(shared, stores.api, lifespan=closing if close_stores else None)
    return combine(create_pages_app(shared, stores.pages), api)


def combine(pages: Flask, api: FastAPI) -> PathDispatcher:
    """One ASGI app: ``/api`` and below to ``api``, the rest to ``pages`` (through the
    WSGI-to-ASGI bridge, each request in one of its worker threads)."""
    bridge = WSGIMiddleware(pages)  # type: ignore[arg-type]  # a2wsgi's WSGI types are narrow
    return PathDispatcher(cast(ASGIApp, api), cast(ASGIApp, bridge))


def demo_app(redis_url: str | None = None) -> PathDispatcher:
    """The demo over plain http: Redis at ``redis_url``, else one shared `MemoryStore`.

    The secret comes from ``COATCHECK_DEMO_SECRET`` (a random one if unset, so sessions
    end with the process).
    """
    secret = os.environ.get("COATCHECK_DEMO_SECRET") or secrets.token_urlsafe(32)
    stores = memory_stores() if redis_url is None else redis_stores(redis_url)
    return create_app(shared_session_config(secret, secure=False), stores, close_stores=True)
