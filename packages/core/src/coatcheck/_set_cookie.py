"""Building the ``Set-Cookie`` header values for one `SessionConfig`.

Everything that does not change between requests (Path, Domain, the flags) is formatted
once; the ``Expires`` date is formatted at most once per second.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from ._config import SessionConfig

__all__ = ["CookieSpelling", "SetCookieFormatter", "http_date"]

_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
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


class CookieSpelling(str, enum.Enum):
    """How ``Set-Cookie`` attribute names are spelt. Browsers read any case (RFC 6265);
    an adapter picks its framework's spelling, so tests written for it keep passing."""

    TITLE = "title"
    """``Path=/; Secure; HttpOnly; SameSite=Lax``, as werkzeug (Flask) writes them."""
    LOWER = "lower"
    """``path=/; secure; httponly; samesite=lax``, as Starlette writes them (it keeps
    ``Max-Age`` in title case)."""


class _Names(NamedTuple):
    expires: str
    max_age: str
    path: str
    domain: str
    secure: str
    http_only: str
    same_site: str
    partitioned: str
    same_site_values: Mapping[str, str]


_NAMES = {
    CookieSpelling.TITLE: _Names(
        "Expires", "Max-Age", "Path", "Domain", "Secure", "HttpOnly", "SameSite", "Partitioned",
        {"lax": "Lax", "strict": "Strict", "none": "None"},
    ),
    CookieSpelling.LOWER: _Names(
        "expires", "Max-Age", "path", "domain", "secure", "httponly", "samesite", "partitioned",
        {"lax": "lax", "strict": "strict", "none": "none"},
    ),
}  # fmt: skip


class SetCookieFormatter:
    """Formats the session cookie and its removal for one configuration."""

    __slots__ = ("_attributes", "_expires", "_max_age", "_prefix", "removal")

    def __init__(
        self, config: SessionConfig, spelling: CookieSpelling = CookieSpelling.TITLE
    ) -> None:
        names = _NAMES[CookieSpelling(spelling)]
        attributes = [f"{names.path}={config.cookie_path}"]
        if config.cookie_domain is not None:
            attributes.append(f"{names.domain}={config.cookie_domain}")
        if config.cookie_secure:
            attributes.append(names.secure)
        if config.cookie_http_only:
            attributes.append(names.http_only)
        if config.cookie_same_site is not None:
            attributes.append(
                f"{names.same_site}={names.same_site_values[config.cookie_same_site]}"
            )
        if config.cookie_partitioned:
            attributes.append(names.partitioned)
        self._attributes = "; " + "; ".join(attributes)
        self._prefix = config.cookie_name + "="
        self._expires = f"; {names.expires}="
        self._max_age = f"; {names.max_age}="
        self.removal = f"{self._prefix}{self._expires}{_EPOCH}{self._max_age}0{self._attributes}"
        """The header value that removes the cookie, with the attributes it was set with."""

    def set(self, value: str, max_age: int | None, now: float) -> str:
        """The header value that sets the cookie (``max_age`` None: a browser-session cookie)."""
        if max_age is None:
            return self._prefix + value + self._attributes
        expires = http_date(int(now) + max_age)
        return (
            f"{self._prefix}{value}{self._expires}{expires}{self._max_age}{max_age}"
            f"{self._attributes}"
        )
