"""coatcheck: sans-IO session management for Python web applications.

The client keeps a ticket (the session cookie), the server keeps the coat (the session
state). This package is the core every adapter drives: configuration, keys and cookie
crypto, the `Session` object, the per-request `Exchange` state machine, the store
protocols and two stores, `CookieStore` and `MemoryStore`. It performs no I/O.
"""

from __future__ import annotations

from ._commands import Command, Delete, Load, Save, Update, UpdateTtl
from ._config import (
    BrowserSession,
    CookieContentSecurity,
    Lifecycle,
    PersistentSession,
    SameSite,
    SessionConfig,
    TtlExtensionPolicy,
)
from ._cookie_codec import COOKIE_SIZE_LIMIT
from ._cookie_header import cookie_pairs, cookie_values, join_cookie_headers
from ._cookie_store import CookieStore, PackedState
from ._driver import load_on_first_access, run_commands, run_commands_async
from ._errors import (
    SessionCommittedError,
    SessionError,
    SessionNotLoadedError,
    SessionSerializationError,
    SessionStoreError,
    SessionTooLarge,
)
from ._exchange import CookieSource, Exchange
from ._headers import merge_vary, sets_cookie
from ._key import Key
from ._manager import SessionManager, TtlPlan
from ._memory_store import MemoryStore
from ._serializer import JSONSerializer, Serializer
from ._session import Session, SessionStatus
from ._store import (
    AsyncSessionStore,
    Delta,
    SessionStore,
    StoredState,
    is_async_store,
    performs_io,
)
from ._version import __version__

__all__ = [
    "COOKIE_SIZE_LIMIT",
    "AsyncSessionStore",
    "BrowserSession",
    "Command",
    "CookieContentSecurity",
    "CookieSource",
    "CookieStore",
    "Delete",
    "Delta",
    "Exchange",
    "JSONSerializer",
    "Key",
    "Lifecycle",
    "Load",
    "MemoryStore",
    "PackedState",
    "PersistentSession",
    "SameSite",
    "Save",
    "Serializer",
    "Session",
    "SessionCommittedError",
    "SessionConfig",
    "SessionError",
    "SessionManager",
    "SessionNotLoadedError",
    "SessionSerializationError",
    "SessionStatus",
    "SessionStore",
    "SessionStoreError",
    "SessionTooLarge",
    "StoredState",
    "TtlExtensionPolicy",
    "TtlPlan",
    "Update",
    "UpdateTtl",
    "__version__",
    "cookie_pairs",
    "cookie_values",
    "is_async_store",
    "join_cookie_headers",
    "load_on_first_access",
    "merge_vary",
    "performs_io",
    "run_commands",
    "run_commands_async",
    "sets_cookie",
]
