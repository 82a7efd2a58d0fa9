"""Building the ``Set-Cookie`` header values for one `SessionConfig`.

Everything that does not change between requests (Path, Domain, the flags) is formatted
once; the ``Expires`` date is formatted at most once per second.
"""

from __future__ import annotations

import time
from functools import lru_cache

from ._config import SessionConfig

__all__ = ["SetCookieFormatter", "http_date"]

_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
_SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=128)
def http_date(timestamp: int) -> str:
    """An IMF-fixdate (``Wed, 25 Nov 2026 17:03:02 GMT``) for a whole-second timestamp."""
    # Formatted by hand: email.utils would pull the socket module into the core.
    t = time.gmtime(timestamp)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


class SetCookieFormatter:
    """Formats the session cookie and its removal for one configuration."""

    __slots__ = ("_attributes", "_prefix", "removal")

    def __init__(self, config: SessionConfig) -> None:
        attributes = [f"Path={config.cookie_path}"]
        if config.cookie_domain is not None:
            attributes.append(f"Domain={config.cookie_domain}")
        if config.cookie_secure:
            attributes.append("Secure")
        if config.cookie_http_only:
            attributes.append("HttpOnly")
        if config.cookie_same_site is not None:
            attributes.append(f"SameSite={_SAME_SITE[config.cookie_same_site]}")
        if config.cookie_partitioned:
            attributes.append("Partitioned")
        self._attributes = "; " + "; ".join(attributes)
        self._prefix = config.cookie_name + "="
        self.removal = f"{self._prefix}; Expires={_EPOCH}; Max-Age=0{self._attributes}"
        """The header value that removes the cookie, with the attributes it was set with."""

    def set(self, value: str, max_age: int | None, now: float) -> str:
        """The header value that sets the cookie (``max_age`` None: a browser-session cookie)."""
        if max_age is None:
            return self._prefix + value + self._attributes
        expires = http_date(int(now) + max_age)
        return f"{self._prefix}{value}; Expires={expires}; Max-Age={max_age}{self._attributes}"
