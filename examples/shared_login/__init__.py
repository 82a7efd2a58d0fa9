"""One login shared by a Flask site and a FastAPI API, on one origin.

- `shared_session_config` (settings.py): the key, cookie, lifetimes and serializer both
  apps build their session managers from, in one place.
- `create_pages_app` (pages.py): the Flask pages, ``/login`` and ``/logout``.
- `create_api_app` (api.py): the FastAPI API, ``/api/me``, ``/api/theme``, ``/api/logout``.
- `PathDispatcher` (dispatcher.py), `combine` and `create_app` (app.py): both apps in one ASGI app,
  Flask through a WSGI-to-ASGI bridge.
- `SharedStores` (stores.py): Redis for both (``RedisStore`` and ``AsyncRedisStore``), or
  one in-process ``MemoryStore`` for a demo.

docs/shared-login.md explains the set-up and the serializer rule.
"""

from __future__ import annotations

from .api import create_api_app
from .app import combine, create_app, demo_app
from .dispatcher import PathDispatcher
from .pages import create_pages_app
from .settings import COOKIE_NAME, SharedSession, is_json_native, shared_session_config
from .stores import SharedStores, memory_stores, redis_stores

__all__ = [
    "COOKIE_NAME",
    "PathDispatcher",
    "SharedSession",
    "SharedStores",
    "combine",
    "create_api_app",
    "create_app",
    "create_pages_app",
    "demo_app",
    "is_json_native",
    "memory_stores",
    "redis_stores",
    "shared_session_config",
]
