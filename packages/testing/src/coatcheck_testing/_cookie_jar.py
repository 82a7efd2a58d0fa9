"""`CookieJar`: the part of a browser that keeps cookies, after RFC 6265 section 5.

It is strict where a session layer can go wrong and simple elsewhere: one host (the
``Domain`` attribute is kept as part of a cookie's identity but never matched against
a host), every request treated as secure. What it honours:

- ``Max-Age`` (seconds; zero or negative removes the cookie) over ``Expires`` (an HTTP
  date; in the past removes it). A cookie with neither lives until `close_browser`.
- ``Path``: a cookie is sent only to request paths it path-matches; without a valid
  ``Path`` it gets the default path of the request that set it.
- Identity is (name, domain, path): a new cookie with the same identity replaces the old
  one, a removal removes it. Cookies are sent longest path first, then oldest first.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

__all__ = ["Cookie", "CookieJar", "default_path", "path_matches"]

_OWS = " \t"


@dataclass(frozen=True)
class Cookie:
    """One stored cookie. ``expires_at`` is ``None`` for a browser-session cookie."""

    name: str
    value: str
    path: str
    domain: str | None = None
    expires_at: float | None = None
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    partitioned: bool = False
    created_at: float = 0.0

    @property
    def persistent(self) -> bool:
        """True if the cookie outlives the browser (it had ``Max-Age`` or ``Expires``)."""
        return self.expires_at is not None

    def expired(self, now: float) -> bool:
        """True once ``now`` reaches the expiry (expiry is exclusive, as in the core)."""
        return self.expires_at is not None and now >= self.expires_at


def default_path(request_path: str) -> str:
    """The path a cookie without a valid ``Path`` attribute gets (RFC 6265 5.1.4)."""
    if not request_path.startswith("/"):
        return "/"
    cut = request_path.rfind("/")
    return "/" if cut == 0 else request_path[:cut]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """True if a cookie with ``cookie_path`` is sent to ``request_path`` (RFC 6265 5.1.4)."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def _expiry(attributes: dict[str, str], now: float) -> float | None:
    """The expiry time from ``Max-Age`` or ``Expires``; ``None`` for a session cookie."""
    max_age = attributes.get("max-age")
    if max_age is not None:
        digits = max_age[1:] if max_age.startswith("-") else max_age
        if digits.isdigit() and digits.isascii():
            seconds = int(max_age)
            # Zero or negative: "the earliest representable time", i.e. already expired.
            return now + seconds if seconds > 0 else float("-inf")
    expires = attributes.get("expires")
    if expires is not None:
        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        return when.timestamp()
    return None


class CookieJar:
    """A browser's cookie store for one host, on a clock the test controls."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._cookies: dict[tuple[str, str | None, str], Cookie] = {}

    def receive(self, set_cookie_headers: Iterable[str], request_path: str = "/") -> None:
        """Process the ``Set-Cookie`` header values of a response to ``request_path``."""
        for header in set_cookie_headers:
            self._receive_one(header, request_path)

    def _receive_one(self, header: str, request_path: str) -> None:
        pair, *attribute_texts = header.split(";")
        name, eq, value = pair.partition("=")
        name, value = name.strip(_OWS), value.strip(_OWS)
        if not eq or not name:
            return
        attributes: dict[str, str] = {}
        flags: set[str] = set()
        for text in attribute_texts:
            attribute, has_value, attribute_value = text.partition("=")
            attribute = attribute.strip(_OWS).lower()
            if has_value:
                attributes[attribute] = attribute_value.strip(_OWS)
            else:
                flags.add(attribute)
        now = self._clock()
        path = attributes.get("path", "")
        if not path.startswith("/"):
            path = default_path(request_path)
        domain = attributes.get("domain") or None
        if domain is not None:
            domain = domain.lstrip(".").lower()
        identity = (name, domain, path)
        expires_at = _expiry(attributes, now)
        if expires_at is not None and now >= expires_at:
            self._cookies.pop(identity, None)
            return
        old = self._cookies.get(identity)
        same_site = attributes.get("samesite")
        self._cookies[identity] = Cookie(
            name=name,
            value=value,
            path=path,
            domain=domain,
            expires_at=expires_at,
            secure="secure" in flags,
            http_only="httponly" in flags,
            same_site=same_site.lower() if same_site else None,
            partitioned="partitioned" in flags,
            created_at=now if old is None else old.created_at,
        )

    def _evict_expired(self) -> None:
        now = self._clock()
        for identity in [key for key, cookie in self._cookies.items() if cookie.expired(now)]:
            del self._cookies[identity]

    def cookies(self) -> list[Cookie]:
        """Every cookie still alive, in storage order."""
        self._evict_expired()
        return list(self._cookies.values())

    def get(self, name: str) -> Cookie | None:
        """The first live cookie called ``name``, whatever its path and domain, or ``None``."""
        for cookie in self.cookies():
            if cookie.name == name:
                return cookie
        return None

    def lookup(self, name: str, domain: str | None, path: str) -> Cookie | None:
        """The live cookie with exactly this identity (``domain`` as set, or ``None``)."""
        if domain is not None:
            domain = domain.lstrip(".").lower()
        cookie = self._cookies.get((name, domain, path))
        if cookie is None or cookie.expired(self._clock()):
            return None
        return cookie

    def header(self, request_path: str = "/") -> str | None:
        """The ``Cookie`` header a request to ``request_path`` carries, or ``None``."""
        sent = [cookie for cookie in self.cookies() if path_matches(request_path, cookie.path)]
        if not sent:
            return None
        sent.sort(key=lambda cookie: (-len(cookie.path), cookie.created_at))
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in sent)

    def set(self, cookie: Cookie) -> None:
        """Store ``cookie`` as it is (a cookie a script or another site planted)."""
        self._cookies[(cookie.name, cookie.domain, cookie.path)] = replace(
            cookie, created_at=self._clock()
        )

    def close_browser(self) -> None:
        """End the browser session: every cookie without an expiry is dropped."""
        for identity in [key for key, cookie in self._cookies.items() if not cookie.persistent]:
            del self._cookies[identity]

    def clear(self) -> None:
        """Forget every cookie."""
        self._cookies.clear()

    def __repr__(self) -> str:
        return f"CookieJar({[cookie.name for cookie in self.cookies()]})"
