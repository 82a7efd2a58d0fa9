"""`SessionManager`: the long-lived, immutable object an application holds.

It owns the configuration, the keys and everything derived from them once (the cookie
codec, the Set-Cookie formatter, the TTL plan per persistence mode) and the two
injectable sources of non-determinism: the clock ``now`` and the random source
``token``. Each request gets its own `Exchange` from `begin`.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from ._config import (
    BrowserSession,
    PersistentSession,
    SessionConfig,
    TtlExtensionPolicy,
)
from ._cookie_codec import CookieCodec
from ._exchange import CookieSource, Exchange
from ._key import Key, normalize_keys
from ._serializer import Serializer
from ._session import Session
from ._set_cookie import SetCookieFormatter
from ._store import SessionStore

__all__ = ["SessionManager", "TtlPlan"]

SESSION_KEY_BYTES = 32
"""Random bytes in a server-side session key (256 bits, 43 URL-safe characters)."""


class TtlPlan(NamedTuple):
    """How long a session lives and whether its cookie outlives the browser."""

    ttl: int
    """Seconds the store keeps the state."""
    policy: TtlExtensionPolicy
    max_age: int | None
    """``Max-Age`` of the cookie, or ``None`` for a browser-session cookie."""


def _plan(lifecycle: BrowserSession | PersistentSession, persistent: bool) -> TtlPlan:
    ttl = lifecycle.ttl_seconds
    return TtlPlan(ttl, lifecycle.ttl_extension_policy, ttl if persistent else None)


def _bulk_loads(serializer: Serializer) -> Callable[[Mapping[str, str]], dict[str, Any]]:
    bulk = getattr(serializer, "loads_many", None)
    if callable(bulk):
        return cast(Callable[[Mapping[str, str]], dict[str, Any]], bulk)
    loads = serializer.loads

    def loads_many(texts: Mapping[str, str]) -> dict[str, Any]:
        return {key: loads(text) for key, text in texts.items()}

    return loads_many


class SessionManager:
    """Configuration, keys and the clock and random source, shared by every request.

    ``key`` is one `Key` or a sequence of keys: the first signs and encrypts, all are
    accepted when reading a cookie. ``now`` returns seconds since the epoch and ``token``
    returns that many random bytes; both default to the real ones and exist so tests can
    drive the core deterministically. ``session_class`` is the `Session` subclass each
    exchange hands out (an adapter's, such as Flask's). Immutable and safe to share
    between threads.
    """

    __slots__ = (
        "_plans",
        "absolute_lifetime",
        "codec",
        "config",
        "default_permanent",
        "extends_untouched",
        "formatter",
        "keys",
        "loads_many",
        "now",
        "session_class",
        "token",
    )

    config: SessionConfig
    keys: tuple[Key, ...]
    now: Callable[[], float]
    token: Callable[[int], bytes]
    session_class: type[Session]
    codec: CookieCodec
    formatter: SetCookieFormatter
    extends_untouched: bool
    absolute_lifetime: float | None
    """The configured absolute lifetime in seconds, or ``None``."""
    default_permanent: bool
    """`Session.permanent` of a session that never set it."""
    loads_many: Callable[[Mapping[str, str]], dict[str, Any]]
    """Parses a loaded session's texts: the serializer's own bulk method, or a loop."""
    _plans: tuple[TtlPlan, TtlPlan]

    def __init__(
        self,
        *,
        key: Key | Sequence[Key],
        config: SessionConfig | None = None,
        now: Callable[[], float] = time.time,
        token: Callable[[int], bytes] = os.urandom,
        session_class: type[Session] = Session,
    ) -> None:
        config = SessionConfig() if config is None else config
        if not isinstance(config, SessionConfig):
            raise TypeError("config must be a coatcheck.SessionConfig")
        keys = normalize_keys(key)
        lifecycle = config.lifecycle
        if config.permanent_lifecycle is not None:
            permanent_plan = _plan(config.permanent_lifecycle, persistent=True)
        else:
            permanent_plan = _plan(lifecycle, persistent=True)
        plans = (_plan(lifecycle, persistent=False), permanent_plan)
        set_ = object.__setattr__
        set_(self, "config", config)
        set_(self, "keys", keys)
        set_(self, "now", now)
        set_(self, "token", token)
        set_(self, "session_class", session_class)
        set_(self, "_plans", plans)
        set_(
            self,
            "codec",
            CookieCodec(config.cookie_name, keys, config.cookie_content_security, token),
        )
        set_(self, "formatter", SetCookieFormatter(config))
        set_(self, "default_permanent", isinstance(lifecycle, PersistentSession))
        set_(self, "absolute_lifetime", config.absolute_lifetime_seconds)
        set_(self, "loads_many", _bulk_loads(config.serializer))
        set_(
            self,
            "extends_untouched",
            any(plan.policy is TtlExtensionPolicy.ON_EVERY_REQUEST for plan in plans),
        )
        config.warn_if_dubious()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SessionManager is immutable")

    def plan(self, permanent: bool) -> TtlPlan:
        """The TTL plan for a session with the given effective ``permanent``."""
        return self._plans[permanent]

    def new_session_key(self) -> str:
        """A fresh server-side session key: 256 random bits, URL-safe base64."""
        raw = self.token(SESSION_KEY_BYTES)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def begin(
        self, cookie_header: CookieSource = None, *, inline_store: SessionStore | None = None
    ) -> Exchange:
        """Start one request's exchange.

        ``cookie_header`` is the request's ``Cookie`` header (several joined with
        ``"; "``), ``None``, or a callable returning it, so a request that never needs
        the cookie never looks for it. ``inline_store`` is the same as calling
        `Exchange.load_inline` with it.
        """
        return Exchange(self, cookie_header, self.now(), inline_store)

    def __repr__(self) -> str:
        return f"SessionManager(cookie_name={self.config.cookie_name!r}, keys={len(self.keys)})"
