"""`SessionManager`: the long-lived, immutable object an application holds.

It validates the configuration and the keys, derives everything an exchange needs once
(`Settings`: the cookie codec, the Set-Cookie formatter, the TTL plans) and holds the two
injectable sources of non-determinism: the clock ``now`` and the random source
``token``. Each request gets its own `Exchange` from `begin`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from ._accounts import forwards, indexes_subjects
from ._config import SessionConfig
from ._exchange import CookieSource, Exchange, HeaderSource
from ._key import Key, normalize_keys
from ._session import Session
from ._set_cookie import CookieSpelling
from ._settings import Settings
from ._store import AnyStore, SessionStore, state_in_cookie

__all__ = ["SessionManager"]

_STORE_METHODS = ("load", "save", "update", "update_ttl", "delete")


class SessionManager:
    """Configuration, keys, the clock and the random source, shared by every request.

    ``key`` is one `Key` or a sequence of keys: the first signs and encrypts, all are
    accepted when reading a cookie. ``store`` is where sessions live; the manager only
    reads what kind it is: with `CookieStore` the whole state travels in the cookie and
    an exchange hands out no commands, with a server-side store (`MemoryStore`, Redis,
    your own) it hands out the commands an adapter runs on that store. ``now`` returns
    seconds since the epoch and ``token`` that many random bytes; both default to the
    real ones and exist so tests can drive the core deterministically.
    ``session_class`` is the `Session` subclass each exchange hands out (an adapter's,
    such as Flask's), and ``cookie_spelling`` the case of the ``Set-Cookie`` attribute
    names (an adapter's framework's). Immutable and safe to share between threads.
    """

    __slots__ = ("config", "keys", "now", "settings", "token")

    config: SessionConfig
    keys: tuple[Key, ...]
    now: Callable[[], float]
    token: Callable[[int], bytes]
    settings: Settings
    """What every exchange works from, derived once (see `coatcheck.sansio`)."""

    def __init__(
        self,
        *,
        key: Key | Sequence[Key],
        store: AnyStore,
        config: SessionConfig | None = None,
        now: Callable[[], float] = time.time,
        token: Callable[[int], bytes] = os.urandom,
        session_class: type[Session] = Session,
        cookie_spelling: CookieSpelling = CookieSpelling.TITLE,
    ) -> None:
        config = SessionConfig() if config is None else config
        if not isinstance(config, SessionConfig):
            raise TypeError("config must be a coatcheck.SessionConfig")
        in_cookie = state_in_cookie(store)
        if not in_cookie and not all(callable(getattr(store, m, None)) for m in _STORE_METHODS):
            raise TypeError(
                "store must be a coatcheck.CookieStore or a session store with load, save, "
                f"update, update_ttl and delete methods, got {store!r}"
            )
        indexed = indexes_subjects(store)
        if config.max_sessions_per_subject is not None and not indexed:
            raise TypeError(
                "max_sessions_per_subject needs a store that keeps the session index "
                f"(list_sessions, revoke, revoke_all, count_sessions, cap), got {store!r}"
            )
        keys = normalize_keys(key)
        set_ = object.__setattr__
        set_(self, "config", config)
        set_(self, "keys", keys)
        set_(self, "now", now)
        set_(self, "token", token)
        set_(
            self,
            "settings",
            Settings.build(
                config,
                keys,
                token=token,
                session_class=session_class,
                spelling=CookieSpelling(cookie_spelling),
                state_in_cookie=in_cookie,
                indexes=indexed,
                forwards=forwards(store),
            ),
        )
        config.warn_if_dubious()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SessionManager is immutable")

    def begin(
        self,
        cookie_header: CookieSource = None,
        *,
        inline_store: SessionStore | None = None,
        user_agent: HeaderSource = None,
    ) -> Exchange:
        """Start one request's exchange.

        ``cookie_header`` is the request's ``Cookie`` header (several joined with
        ``"; "``), ``None``, or a callable returning it, so a request that never needs
        the cookie never looks for it. ``inline_store`` is the same as calling
        `Exchange.load_inline` with it. ``user_agent`` is the request's ``User-Agent``
        (or a callable returning it), kept with a session when it takes a subject.
        """
        return Exchange(self.settings, cookie_header, self.now(), inline_store, user_agent)

    def __repr__(self) -> str:
        fingerprints = ", ".join(key.fingerprint for key in self.keys)
        return (
            f"SessionManager(cookie_name={self.config.cookie_name!r}, "
            f"keys=[{fingerprints}], state_in_cookie={self.settings.state_in_cookie})"
        )
