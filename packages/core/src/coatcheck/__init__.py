"""coatcheck: sans-IO session management for Python web applications.

The client keeps a ticket (the session cookie), the server keeps the coat (the session
state). This package is the core every adapter drives, and its front door for
application and store authors: configuration, keys, the `Session`, the stores and the
store protocols, the errors, and the `SessionManager` an adapter is built around. It
performs no I/O. Integrators (adapter and framework authors) find the per-request
machinery in `coatcheck.sansio`; testers find theirs in ``coatcheck_testing``.
"""

from __future__ import annotations

from ._accounts import AsyncSessionIndex, SessionIndex, SessionInfo, SessionMeta
from ._config import (
    BrowserSession,
    CookieContentSecurity,
    Lifecycle,
    PersistentSession,
    SameSite,
    SessionConfig,
    TtlExtensionPolicy,
)
from ._cookie_store import CookieStore
from ._decision import SessionStatus
from ._errors import (
    SessionCommittedError,
    SessionError,
    SessionNotLoadedError,
    SessionSerializationError,
    SessionStoreError,
    SessionTooLarge,
)
from ._identity import session_id
from ._key import Key
from ._manager import SessionManager
from ._memory_store import MemoryStore
from ._serializer import JSONSerializer, Serializer
from ._session import Session
from ._store import AsyncSessionStore, Delta, Forwarded, SessionStore, StoredState
from ._version import __version__

__all__ = [
    # keys and configuration
    "Key",
    "SessionConfig",
    "BrowserSession",
    "PersistentSession",
    "Lifecycle",
    "TtlExtensionPolicy",
    "CookieContentSecurity",
    "SameSite",
    "JSONSerializer",
    "Serializer",
    # the session
    "Session",
    "SessionStatus",
    # stores, and what a store author implements
    "CookieStore",
    "MemoryStore",
    "SessionStore",
    "AsyncSessionStore",
    "StoredState",
    "Delta",
    "Forwarded",
    # accounts: the session index, and what a store author implements for it
    "SessionIndex",
    "AsyncSessionIndex",
    "SessionInfo",
    "SessionMeta",
    "session_id",
    # what an adapter is built around
    "SessionManager",
    # errors
    "SessionError",
    "SessionStoreError",
    "SessionTooLarge",
    "SessionSerializationError",
    "SessionCommittedError",
    "SessionNotLoadedError",
    "__version__",
]
