"""What a benchmarked request does with its session, and the states it starts from.

Every app, ASGI or WSGI, peer or coatcheck, serves the same routes with the same meaning,
so the only thing that differs between two rows of a table is the session layer:

- ``/untouched``: a valid session cookie is sent; the handler ignores the session.
- ``/read``: the handler reads one key and returns its value.
- ``/write``: the handler changes one key to a value it has never had (the cookie the
  response sets is fed back into the next request).
- ``/create-small``, ``/create-medium``: no cookie is sent; the handler writes the state.
"""

from __future__ import annotations

import enum
import itertools
from typing import Any

__all__ = [
    "COOKIE_NAME",
    "READ_KEY",
    "SECRET",
    "WRITE_KEY",
    "Scenario",
    "StateSize",
    "next_write_value",
    "state_for",
    "throttled_config",
]

SECRET = "coatcheck-bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
"""The one secret every app signs or encrypts with (at least 32 bytes for coatcheck)."""
COOKIE_NAME = "session"
"""Every app uses the default cookie name."""
READ_KEY = "user_id"
"""The key the read scenario reads."""
WRITE_KEY = "visits"
"""The key the write scenario changes (it is present in both states)."""


class Scenario(str, enum.Enum):
    """What the handler does with the session."""

    UNTOUCHED = "untouched"
    READ = "read"
    WRITE = "write"
    CREATE = "create"

    @property
    def sends_cookie(self) -> bool:
        """Whether the request carries the seeded session cookie."""
        return self is not Scenario.CREATE

    def path(self, size: StateSize) -> str:
        """The route that plays this scenario (create writes a state of ``size``)."""
        if self is Scenario.CREATE:
            return f"/create-{size.value}"
        return f"/{self.value}"


class StateSize(str, enum.Enum):
    """How much state the session holds."""

    SMALL = "small"
    """Three keys."""
    MEDIUM = "medium"
    """About 1 KB of JSON."""


_SMALL: dict[str, Any] = {READ_KEY: 48213, "name": "Ada Lovelace", WRITE_KEY: 0}
_MEDIUM: dict[str, Any] = {
    **_SMALL,
    "csrf": "9f2c4be1d07a48a6b3f5e8c21d9a7c40",
    "locale": "en-GB",
    "roles": ["reader", "editor", "reviewer"],
    "cart": [
        {"sku": f"SKU-{index:05d}", "qty": index % 4 + 1, "price": f"{index * 3.75:.2f}"}
        for index in range(11)
    ],
    "prefs": {"theme": "dark", "tz": "Europe/London", "digest": "weekly", "beta": True},
    "recent": [f"/articles/{index * 7919 % 100000:05d}" for index in range(8)],
}

_counter = itertools.count(1)


def state_for(size: StateSize) -> dict[str, Any]:
    """A fresh copy of the state a session of ``size`` holds."""
    source = _SMALL if size is StateSize.SMALL else _MEDIUM
    return dict(source)


def next_write_value() -> int:
    """A value the write scenario has never written, so every write is a real change."""
    return next(_counter)


def throttled_config() -> Any:
    """The configuration of the "throttled" rows: ``ON_EVERY_REQUEST``, ``refresh_after=0.5``.

    The TTL is the default day, so no request of a run is due an extension: a throttled
    read must cost what a read under ``ON_STATE_CHANGES`` costs.
    """
    from coatcheck import BrowserSession, SessionConfig, TtlExtensionPolicy

    lifecycle = BrowserSession(
        ttl_extension_policy=TtlExtensionPolicy.ON_EVERY_REQUEST, refresh_after=0.5
    )
    return SessionConfig(lifecycle=lifecycle)
