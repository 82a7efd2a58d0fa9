"""coatcheck.pallets: what the Flask and Quart integrations share, importing neither.

Flask and Quart (both Pallets projects) read the same session settings
(``SECRET_KEY``, ``SECRET_KEY_FALLBACKS``, ``SESSION_COOKIE_*``,
``PERMANENT_SESSION_LIFETIME``, ``SESSION_REFRESH_EACH_REQUEST``, plus coatcheck's
``SESSION_SUBJECT_KEY`` and ``SESSION_MAX_PER_SUBJECT``), serialize sessions with the
same tagged JSON and write the cookie on any assignment. ``coatcheck_wsgi.flask`` and
``coatcheck_asgi.quart`` are thin shells over this module: they add the framework's
session mixin and its request and response objects, and drive the exchange, synchronously
or asynchronously. For integrators of another Pallets-style framework; an application
needs none of it.
"""

from __future__ import annotations

from ._pallets_headers import SENT_KEY, HeaderMap, add_session_headers
from ._pallets_managers import (
    COOKIE_GETTERS,
    CookieGetters,
    PalletsManagers,
    adopt,
    reads_config_directly,
    refusing_session,
)
from ._pallets_session import PalletsSession
from ._pallets_settings import PalletsSettings
from ._tagged_json import TaggedJSON, Tagger

__all__ = [
    "COOKIE_GETTERS",
    "SENT_KEY",
    "CookieGetters",
    "HeaderMap",
    "PalletsManagers",
    "PalletsSession",
    "PalletsSettings",
    "TaggedJSON",
    "Tagger",
    "add_session_headers",
    "adopt",
    "reads_config_directly",
    "refusing_session",
]
