"""`SessionConfig` and the lifecycle objects, validated on construction.

Everything here is a frozen value: an invalid configuration raises `ValueError` when it is
built, so it can never reach a request. Dubious but legal settings (a cookie sent over
plain HTTP, say) are reported once on the ``coatcheck`` logger, never as a Python warning.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from ._serializer import JSONSerializer, Serializer

__all__ = [
    "BrowserSession",
    "CookieContentSecurity",
    "Lifecycle",
    "PersistentSession",
    "SameSite",
    "SessionConfig",
    "TtlExtensionPolicy",
]

logger = logging.getLogger("coatcheck")

DAY = timedelta(days=1)

SameSite = Literal["lax", "strict", "none"]

# RFC 6265 cookie-name token characters, minus nothing: a name outside this set is
# rejected rather than quoted.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Paths and domains: printable ASCII without ';', ',' or whitespace.
_ATTRIBUTE_VALUE = re.compile(r"[\x21-\x2b\x2d-\x3a\x3c-\x7e]+")


class TtlExtensionPolicy(str, enum.Enum):
    """When a live session's time to live is pushed forward."""

    ON_EVERY_REQUEST = "on_every_request"
    """Every request carrying a genuine session cookie extends it (one store write)."""
    ON_STATE_CHANGES = "on_state_changes"
    """Only requests that change the session extend it; the rest cost nothing."""


class CookieContentSecurity(str, enum.Enum):
    """How the session cookie's value is protected."""

    PRIVATE = "private"
    """AES-256-GCM: the client can neither read nor change the value."""
    SIGNED = "signed"
    """HMAC-SHA256: the client can read but not change the value."""


def _seconds(value: timedelta | int, what: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (timedelta, int)):
        raise TypeError(f"{what} must be a timedelta or a whole number of seconds")
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if delta < timedelta(0):
        raise ValueError(f"{what} may not be negative (0 means the session expires at once)")
    if delta.microseconds:
        raise ValueError(f"{what} must be a whole number of seconds, got {delta}")
    return delta


@dataclass(frozen=True, init=False)
class BrowserSession:
    """The cookie lives until the browser closes; the store keeps the state ``state_ttl``.

    The cookie carries no ``Max-Age``, unless the session was marked
    `Session.permanent` ("remember me"), in which case it gets ``state_ttl`` as its
    ``Max-Age`` and ``Expires``.
    """

    state_ttl: timedelta
    ttl_extension_policy: TtlExtensionPolicy

    def __init__(
        self,
        state_ttl: timedelta | int = DAY,
        ttl_extension_policy: TtlExtensionPolicy = TtlExtensionPolicy.ON_STATE_CHANGES,
    ) -> None:
        object.__setattr__(self, "state_ttl", _seconds(state_ttl, "state_ttl"))
        _check_policy(ttl_extension_policy)
        object.__setattr__(self, "ttl_extension_policy", ttl_extension_policy)

    @property
    def ttl_seconds(self) -> int:
        """``state_ttl`` in whole seconds."""
        return int(self.state_ttl.total_seconds())


@dataclass(frozen=True, init=False)
class PersistentSession:
    """The cookie carries ``Max-Age`` and ``Expires`` of ``session_ttl``; so does the state.

    A session whose `Session.permanent` is set to False gets a browser-session cookie
    (no ``Max-Age``) instead, with the same time to live in the store.
    """

    session_ttl: timedelta
    ttl_extension_policy: TtlExtensionPolicy

    def __init__(
        self,
        session_ttl: timedelta | int = DAY,
        ttl_extension_policy: TtlExtensionPolicy = TtlExtensionPolicy.ON_STATE_CHANGES,
    ) -> None:
        object.__setattr__(self, "session_ttl", _seconds(session_ttl, "session_ttl"))
        _check_policy(ttl_extension_policy)
        object.__setattr__(self, "ttl_extension_policy", ttl_extension_policy)

    @property
    def ttl_seconds(self) -> int:
        """``session_ttl`` in whole seconds."""
        return int(self.session_ttl.total_seconds())


Lifecycle = BrowserSession | PersistentSession


def _check_policy(policy: object) -> None:
    if not isinstance(policy, TtlExtensionPolicy):
        raise ValueError(f"ttl_extension_policy must be a TtlExtensionPolicy, got {policy!r}")


def _check_attribute(value: str, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string")
    if not _ATTRIBUTE_VALUE.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} may not be empty or contain ';', ',', whitespace, control "
            "or non-ASCII characters"
        )


@dataclass(frozen=True)
class SessionConfig:
    """How the session cookie is built and how long sessions live.

    All fields are validated on construction; see the README for each option.
    ``absolute_lifetime`` (a `timedelta` or whole seconds, stored as a `timedelta`) ends a
    session that long after it was created, however active. ``permanent_lifecycle``, when
    set, applies to sessions marked `Session.permanent` ("remember me") instead of
    ``lifecycle``. ``serializer`` turns session values into text (JSON by default).
    """

    cookie_name: str = "session"
    cookie_path: str = "/"
    cookie_domain: str | None = None
    cookie_secure: bool = True
    cookie_http_only: bool = True
    cookie_same_site: SameSite | None = "lax"
    cookie_partitioned: bool = False
    cookie_content_security: CookieContentSecurity = CookieContentSecurity.PRIVATE
    lifecycle: Lifecycle = field(default_factory=BrowserSession)
    absolute_lifetime: timedelta | int | None = None
    permanent_lifecycle: PersistentSession | None = None
    serializer: Serializer = field(default_factory=JSONSerializer)

    def __post_init__(self) -> None:
        name: object = self.cookie_name  # checked at run time for untyped callers
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(
                f"cookie_name {name!r} must be a non-empty token without ';', ',', '=', "
                "whitespace, control or non-ASCII characters"
            )
        _check_attribute(self.cookie_path, "cookie_path")
        if not self.cookie_path.startswith("/"):
            raise ValueError(f"cookie_path {self.cookie_path!r} must start with '/'")
        if self.cookie_domain is not None:
            _check_attribute(self.cookie_domain, "cookie_domain")
        for flag in ("cookie_secure", "cookie_http_only", "cookie_partitioned"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False")
        same_site = self.cookie_same_site
        if isinstance(same_site, str) and same_site.lower() in ("lax", "strict", "none"):
            object.__setattr__(self, "cookie_same_site", same_site.lower())
        elif same_site is not None:
            raise ValueError(
                f"cookie_same_site must be 'lax', 'strict', 'none' or None, got {same_site!r}"
            )
        try:
            security = CookieContentSecurity(self.cookie_content_security)
        except ValueError:
            raise ValueError(
                "cookie_content_security must be CookieContentSecurity.PRIVATE or SIGNED, "
                f"got {self.cookie_content_security!r}"
            ) from None
        object.__setattr__(self, "cookie_content_security", security)
        if not isinstance(self.lifecycle, (BrowserSession, PersistentSession)):
            raise ValueError("lifecycle must be a BrowserSession or a PersistentSession")
        if self.permanent_lifecycle is not None and not isinstance(
            self.permanent_lifecycle, PersistentSession
        ):
            raise ValueError("permanent_lifecycle must be a PersistentSession or None")
        if self.absolute_lifetime is not None:
            object.__setattr__(
                self, "absolute_lifetime", _seconds(self.absolute_lifetime, "absolute_lifetime")
            )
        if not callable(getattr(self.serializer, "dumps", None)) or not callable(
            getattr(self.serializer, "loads", None)
        ):
            raise ValueError("serializer must have dumps(value) -> str and loads(str) methods")
        self._check_prefixes()

    def _check_prefixes(self) -> None:
        name = self.cookie_name
        if name.startswith("__Host-"):
            if not self.cookie_secure or self.cookie_path != "/" or self.cookie_domain:
                raise ValueError(
                    "a '__Host-' cookie needs cookie_secure=True, cookie_path='/' and no "
                    "cookie_domain"
                )
        elif name.startswith("__Secure-") and not self.cookie_secure:
            raise ValueError("a '__Secure-' cookie needs cookie_secure=True")
        if self.cookie_same_site == "none" and not self.cookie_secure:
            raise ValueError("cookie_same_site='none' needs cookie_secure=True")
        if self.cookie_partitioned and not self.cookie_secure:
            raise ValueError("cookie_partitioned=True needs cookie_secure=True")

    @property
    def absolute_lifetime_seconds(self) -> float | None:
        """``absolute_lifetime`` in seconds, or ``None`` when sessions have no such limit."""
        lifetime = self.absolute_lifetime
        if lifetime is None:
            return None
        return lifetime.total_seconds() if isinstance(lifetime, timedelta) else float(lifetime)

    def warn_if_dubious(self) -> None:
        """Log (never raise) about settings that are legal but usually a mistake."""
        if not self.cookie_secure:
            logger.warning(
                "session cookie %r is sent over plain HTTP (cookie_secure=False); "
                "use it only for local development",
                self.cookie_name,
            )
        if not self.cookie_http_only:
            logger.warning(
                "session cookie %r is readable by page scripts (cookie_http_only=False)",
                self.cookie_name,
            )
        if (
            self.cookie_content_security is CookieContentSecurity.SIGNED
            and self.cookie_domain is not None
        ):
            logger.info(
                "session cookie %r is signed, not encrypted: its content is readable by "
                "every host under %s",
                self.cookie_name,
                self.cookie_domain,
            )
