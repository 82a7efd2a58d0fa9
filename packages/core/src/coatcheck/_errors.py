"""The exceptions coatcheck raises.

They are named by who is at fault. A hostile, stale or foreign cookie is *data* and never
raises: it simply means "no session". The store failing is `SessionStoreError`; the
application misusing the session (too much state, a value that cannot be serialized,
a change after the response went out, reading a lazy session before loading it) gets
one of the other subclasses of `SessionError`; an integrator driving an `Exchange` out of
order gets `ExchangeMisuseError`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ExchangeMisuseError",
    "SessionCommittedError",
    "SessionError",
    "SessionNotLoadedError",
    "SessionSerializationError",
    "SessionStoreError",
    "SessionTooLarge",
]


class SessionError(Exception):
    """Base class of every error coatcheck raises."""


class SessionStoreError(SessionError):
    """The session store failed (connection lost, timeout, refused write).

    Adapters turn it into a 500 response; the core has already logged it once on the
    ``coatcheck`` logger.
    """


class SessionTooLarge(SessionError):
    """The session cookie would exceed the 4096 bytes a browser keeps for one cookie.

    Browsers drop such cookies silently, so coatcheck refuses to send one. ``biggest_keys``
    names the session keys with the largest serialized values, biggest first.
    """

    def __init__(self, size: int, limit: int, biggest_keys: Sequence[str]) -> None:
        self.size = size
        self.limit = limit
        self.biggest_keys = tuple(biggest_keys)
        named = ", ".join(repr(key) for key in self.biggest_keys) or "none"
        super().__init__(
            f"the session cookie would be {size} bytes, over the {limit}-byte limit browsers "
            f"keep; the biggest keys are {named}. Keep large state in a server-side store "
            "(MemoryStore, Redis) instead of the cookie."
        )


class SessionSerializationError(SessionError):
    """A session value cannot be serialized by the configured serializer.

    ``key`` names the session key holding the value.
    """

    def __init__(self, key: object, reason: BaseException | str) -> None:
        self.key = key
        super().__init__(f"the session value under {key!r} cannot be serialized: {reason}")


class SessionCommittedError(SessionError):
    """The session was changed after the response headers carrying it went out.

    Changes at that point could never reach the client or the store, so they are refused
    rather than silently lost (think streaming bodies and background tasks).
    """


class SessionNotLoadedError(SessionError):
    """The session was used before its state was loaded from the store.

    Raised by adapters that load lazily (``coatcheck_asgi.SessionMiddleware(lazy=True)``);
    the message says which call loads it.
    """


class ExchangeMisuseError(SessionError):
    """An `Exchange` was driven out of order (the integrator's code is at fault).

    For example a second command asked for before the first one's result was fed back.
    The error is sticky, as in h11: the exchange is failed, hands out no more commands and
    sets no cookie.
    """
