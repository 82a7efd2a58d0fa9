"""`SessionConfig` and the lifecycle objects, validated on construction.

Everything here is a frozen value: an invalid configuration raises `ValueError` when it is
built, so it can never reach a request. Dubious but legal settings (a cookie sent over
plain HTTP, say) are reported once on the ``coatcheck`` logger, never as a Python warning.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from ._serializer import JSONSerializer, Serializer

__all__ = [
    "BrowserSession",
    "CookieContentSecurity",
    "CookieContentSecurityName",
    "Lifecycle",
    "PersistentSession",
    "SameSite",
    "SessionConfig",
    "TtlExtensionPolicy",
    "TtlExtensionPolicyName",
]

logger = logging.getLogger("coatcheck")

DAY = timedelta(days=1)

SameSite = Literal["lax", "strict", "none"]
"""The ``SameSite`` values a cookie may carry (``None`` for no attribute)."""

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


TtlExtensionPolicyName = Literal["on_every_request", "on_state_changes"]
"""The string values of `TtlExtensionPolicy`, accepted wherever the enum is."""
CookieContentSecurityName = Literal["private", "signed"]
"""The string values of `CookieContentSecurity`, accepted wherever the enum is."""


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
    ``Max-Age`` and ``Expires``. ``refresh_after`` throttles ``ON_EVERY_REQUEST``: see
    `PersistentSession`.
    """

    state_ttl: timedelta
    ttl_extension_policy: TtlExtensionPolicy
    refresh_after: float | None

    def __init__(
        self,
        state_ttl: timedelta | int = DAY,
        ttl_extension_policy: TtlExtensionPolicy
        | TtlExtensionPolicyName = TtlExtensionPolicy.ON_STATE_CHANGES,
        refresh_after: float | None = None,
    ) -> None:
        object.__setattr__(self, "state_ttl", _seconds(state_ttl, "state_ttl"))
        policy = _policy(ttl_extension_policy)
        object.__setattr__(self, "ttl_extension_policy", policy)
        object.__setattr__(self, "refresh_after", _refresh_after(refresh_after, policy))

    @property
    def ttl_seconds(self) -> int:
        """``state_ttl`` in whole seconds."""
        return int(self.state_ttl.total_seconds())


@dataclass(frozen=True, init=False)
class PersistentSession:
    """The cookie carries ``Max-Age`` and ``Expires`` of ``session_ttl``; so does the state.

    A session whose `Session.permanent` is set to False gets a browser-session cookie
    (no ``Max-Age``) instead, with the same time to live in the store.

    ``refresh_after`` (a fraction ``f`` of the TTL, ``0 < f < 1``, with
    ``ON_EVERY_REQUEST`` only) throttles the extension: a request extends the session
    only once ``f * ttl`` has passed since the last extension, and requests in between
    write nothing and set no cookie. A client active more often than every
    ``(1 - f) * ttl`` never expires; the absolute lifetime still ends the session.
    """

    session_ttl: timedelta
    ttl_extension_policy: TtlExtensionPolicy
    refresh_after: float | None

    def __init__(
        self,
        session_ttl: timedelta | int = DAY,
        ttl_extension_policy: TtlExtensionPolicy
        | TtlExtensionPolicyName = TtlExtensionPolicy.ON_STATE_CHANGES,
        refresh_after: float | None = None,
    ) -> None:
        object.__setattr__(self, "session_ttl", _seconds(session_ttl, "session_ttl"))
        policy = _policy(ttl_extension_policy)
        object.__setattr__(self, "ttl_extension_policy", policy)
        object.__setattr__(self, "refresh_after", _refresh_after(refresh_after, policy))

    @property
    def ttl_seconds(self) -> int:
        """``session_ttl`` in whole seconds."""
        return int(self.session_ttl.total_seconds())


Lifecycle = BrowserSession | PersistentSession
"""How long sessions live: a `BrowserSession` or a `PersistentSession`."""


def _policy(value: object) -> TtlExtensionPolicy:
    """``value`` as a `TtlExtensionPolicy` (the enum or one of its string values)."""
    try:
        return TtlExtensionPolicy(value)
    except ValueError:
        raise ValueError(
            "ttl_extension_policy must be a TtlExtensionPolicy or one of "
            f"{[policy.value for policy in TtlExtensionPolicy]}, got {value!r}"
        ) from None


def _refresh_after(value: object, policy: TtlExtensionPolicy) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("refresh_after must be a fraction of the TTL (a float) or None")
    if not 0 < value < 1:
        raise ValueError(f"refresh_after must be between 0 and 1 (exclusive), got {value!r}")
    if policy is not TtlExtensionPolicy.ON_EVERY_REQUEST:
        raise ValueError(
            "refresh_after throttles ttl_extension_policy='on_every_request'; "
            "with 'on_state_changes' only writes extend the session anyway"
        )
    return float(value)


def _check_attribute(value: str, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string")
    if not _ATTRIBUTE_VALUE.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} may not be empty or contain ';', ',', whitespace, control "
            "or non-ASCII characters"
        )


@dataclass(frozen=True, init=False)
class SessionConfig:
    """How the session cookie is built and how long sessions live.

    All fields are keyword arguments, validated on construction; see the README for each
    option. Enum fields also take their string values (``"signed"``,
    ``"on_every_request"``) and are stored as the enum. ``absolute_lifetime`` (a
    `timedelta` or whole seconds, stored as a `timedelta`) ends a session that long after
    it was created, however active. ``permanent_lifecycle``, when set, applies to
    sessions marked `Session.permanent` ("remember me") instead of ``lifecycle``.
    ``serializer`` turns session values into text (JSON by default).

    Accounts: ``subject_key`` names the session key whose value (a ``str`` or an
    ``int``) says who the session belongs to, its *subject*; a change of subject renews
    the session key, and server-side stores index sessions by subject (list, revoke,
    log out everywhere). ``max_sessions_per_subject`` caps a subject's live sessions: a
    login past the cap ends the least recently active others. ``renew_grace`` (a
    `timedelta` or whole seconds, default 10, 0 for none) keeps an old session key
    usable that long after a renewal that keeps the subject, for requests already in
    flight with the old cookie. `nist_aal` builds a configuration for a NIST SP 800-63B
    assurance level.
    """

    cookie_name: str
    cookie_path: str
    cookie_domain: str | None
    cookie_secure: bool
    cookie_http_only: bool
    cookie_same_site: SameSite | None
    cookie_partitioned: bool
    cookie_content_security: CookieContentSecurity
    lifecycle: Lifecycle
    absolute_lifetime: timedelta | None
    permanent_lifecycle: PersistentSession | None
    serializer: Serializer
    subject_key: str | None
    max_sessions_per_subject: int | None
    renew_grace: timedelta

    def __init__(
        self,
        *,
        cookie_name: str = "session",
        cookie_path: str = "/",
        cookie_domain: str | None = None,
        cookie_secure: bool = True,
        cookie_http_only: bool = True,
        cookie_same_site: SameSite | None = "lax",
        cookie_partitioned: bool = False,
        cookie_content_security: CookieContentSecurity
        | CookieContentSecurityName = CookieContentSecurity.PRIVATE,
        lifecycle: Lifecycle | None = None,
        absolute_lifetime: timedelta | int | None = None,
        permanent_lifecycle: PersistentSession | None = None,
        serializer: Serializer | None = None,
        subject_key: str | None = None,
        max_sessions_per_subject: int | None = None,
        renew_grace: timedelta | int = 10,
    ) -> None:
        set_ = object.__setattr__
        name: object = cookie_name  # checked at run time for untyped callers
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(
                f"cookie_name {name!r} must be a non-empty token without ';', ',', '=', "
                "whitespace, control or non-ASCII characters"
            )
        set_(self, "cookie_name", cookie_name)
        _check_attribute(cookie_path, "cookie_path")
        if not cookie_path.startswith("/"):
            raise ValueError(f"cookie_path {cookie_path!r} must start with '/'")
        set_(self, "cookie_path", cookie_path)
        if cookie_domain is not None:
            _check_attribute(cookie_domain, "cookie_domain")
        set_(self, "cookie_domain", cookie_domain)
        for flag, value in (
            ("cookie_secure", cookie_secure),
            ("cookie_http_only", cookie_http_only),
            ("cookie_partitioned", cookie_partitioned),
        ):
            if not isinstance(value, bool):
                raise TypeError(f"{flag} must be True or False")
            set_(self, flag, value)
        same_site: object = cookie_same_site
        if isinstance(same_site, str) and same_site.lower() in ("lax", "strict", "none"):
            set_(self, "cookie_same_site", same_site.lower())
        elif same_site is None:
            set_(self, "cookie_same_site", None)
        else:
            raise ValueError(
                f"cookie_same_site must be 'lax', 'strict', 'none' or None, got {same_site!r}"
            )
        try:
            security = CookieContentSecurity(cookie_content_security)
        except ValueError:
            raise ValueError(
                "cookie_content_security must be a CookieContentSecurity or one of "
                f"{[member.value for member in CookieContentSecurity]}, "
                f"got {cookie_content_security!r}"
            ) from None
        set_(self, "cookie_content_security", security)
        if lifecycle is None:
            lifecycle = BrowserSession()
        elif not isinstance(lifecycle, (BrowserSession, PersistentSession)):
            raise ValueError("lifecycle must be a BrowserSession or a PersistentSession")
        set_(self, "lifecycle", lifecycle)
        if permanent_lifecycle is not None and not isinstance(
            permanent_lifecycle, PersistentSession
        ):
            raise ValueError("permanent_lifecycle must be a PersistentSession or None")
        set_(self, "permanent_lifecycle", permanent_lifecycle)
        set_(
            self,
            "absolute_lifetime",
            None if absolute_lifetime is None else _seconds(absolute_lifetime, "absolute_lifetime"),
        )
        if serializer is None:
            serializer = JSONSerializer()
        elif not callable(getattr(serializer, "dumps", None)) or not callable(
            getattr(serializer, "loads", None)
        ):
            raise ValueError("serializer must have dumps(value) -> str and loads(str) methods")
        set_(self, "serializer", serializer)
        key: object = subject_key  # checked at run time for untyped callers
        if key is not None and (not isinstance(key, str) or not key):
            raise ValueError(f"subject_key must be a non-empty string or None, got {key!r}")
        set_(self, "subject_key", subject_key)
        cap: object = max_sessions_per_subject
        if cap is not None:
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise ValueError(
                    f"max_sessions_per_subject must be a positive whole number, got {cap!r}"
                )
            if subject_key is None:
                raise ValueError("max_sessions_per_subject needs subject_key")
        set_(self, "max_sessions_per_subject", cap)
        set_(self, "renew_grace", _seconds(renew_grace, "renew_grace"))
        self._check_prefixes()

    @classmethod
    def nist_aal(cls, level: int, **overrides: Any) -> SessionConfig:
        """A configuration for NIST SP 800-63B (revision 4) authenticator assurance
        ``level``: reauthentication after the absolute lifetime, and after the idle
        limit at levels 2 and 3.

        ====== ================== ===========================================
        level  absolute lifetime  idle limit (``state_ttl``, every request)
        ====== ================== ===========================================
        1      30 days            none (the session lives out its lifetime)
        2      24 hours           1 hour
        3      12 hours           15 minutes
        ====== ================== ===========================================

        Any `SessionConfig` argument may be given in ``overrides`` (``subject_key``,
        ``cookie_name``...); one that weakens the level (a longer ``absolute_lifetime``,
        say) is the caller's choice.
        """
        presets: dict[int, tuple[timedelta, Lifecycle]] = {
            1: (30 * DAY, BrowserSession(state_ttl=30 * DAY)),
            2: (
                DAY,
                BrowserSession(
                    state_ttl=timedelta(hours=1),
                    ttl_extension_policy=TtlExtensionPolicy.ON_EVERY_REQUEST,
                ),
            ),
            3: (
                timedelta(hours=12),
                BrowserSession(
                    state_ttl=timedelta(minutes=15),
                    ttl_extension_policy=TtlExtensionPolicy.ON_EVERY_REQUEST,
                ),
            ),
        }
        if isinstance(level, bool) or level not in presets:
            raise ValueError(f"level must be 1, 2 or 3, got {level!r}")
        absolute, lifecycle = presets[level]
        arguments: dict[str, Any] = {"absolute_lifetime": absolute, "lifecycle": lifecycle}
        arguments.update(overrides)
        return cls(**arguments)

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
    def renew_grace_seconds(self) -> int:
        """``renew_grace`` in whole seconds."""
        return int(self.renew_grace.total_seconds())

    @property
    def absolute_lifetime_seconds(self) -> float | None:
        """``absolute_lifetime`` in seconds, or ``None`` when sessions have no such limit."""
        lifetime = self.absolute_lifetime
        return None if lifetime is None else lifetime.total_seconds()

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
