"""`FlaskSettings`: the Flask configuration a session manager is built from.

Flask defines the secret keys, the cookie attributes and the lifetimes
(``SECRET_KEY``, ``SECRET_KEY_FALLBACKS``, ``SESSION_COOKIE_*``,
``PERMANENT_SESSION_LIFETIME``, ``SESSION_REFRESH_EACH_REQUEST``); they are read on every
request, as Flask does, and turned into a `coatcheck.SessionConfig` the way Flask's own
session would emit its cookie (werkzeug's domain, path and SameSite handling).
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple
from urllib.parse import quote

from coatcheck import (
    BrowserSession,
    Key,
    PersistentSession,
    Serializer,
    SessionConfig,
    TtlExtensionPolicy,
)

__all__ = ["FlaskSettings"]

_SAME_SITE = {"Strict": "strict", "Lax": "lax", "None": "none"}


class FlaskSettings(NamedTuple):
    """One application's session settings, as read from its Flask config."""

    secret_key: str | bytes
    fallbacks: tuple[str | bytes, ...]
    cookie_name: str
    cookie_domain: str | None
    cookie_path: str
    http_only: bool
    secure: bool
    same_site: str | None
    partitioned: bool
    lifetime: timedelta
    refresh_each_request: bool

    def keys(self) -> list[Key]:
        """The current key first, then the fallbacks (accepted when reading only)."""
        return [Key.derive_from(secret) for secret in (self.secret_key, *self.fallbacks)]

    def session_config(self, base: SessionConfig, serializer: Serializer) -> SessionConfig:
        """The `SessionConfig`: these settings, plus what only ``base`` defines.

        ``base`` supplies the cookie's content security and the absolute lifetime.
        Raises ``ValueError`` for settings Flask would also refuse (an unknown SameSite)
        and for those coatcheck refuses (see `coatcheck.SessionConfig`).
        """
        lifetime = int(self.lifetime.total_seconds())
        permanent_policy = (
            TtlExtensionPolicy.ON_EVERY_REQUEST
            if self.refresh_each_request
            else TtlExtensionPolicy.ON_STATE_CHANGES
        )
        return SessionConfig(
            cookie_name=self.cookie_name,
            cookie_path=_cookie_path(self.cookie_path),
            cookie_domain=_cookie_domain(self.cookie_domain),
            # werkzeug makes a partitioned cookie secure.
            cookie_secure=bool(self.secure or self.partitioned),
            cookie_http_only=bool(self.http_only),
            cookie_same_site=_same_site(self.same_site),  # type: ignore[arg-type]
            cookie_partitioned=bool(self.partitioned),
            cookie_content_security=base.cookie_content_security,
            lifecycle=BrowserSession(
                state_ttl=lifetime, ttl_extension_policy=TtlExtensionPolicy.ON_STATE_CHANGES
            ),
            permanent_lifecycle=PersistentSession(
                session_ttl=lifetime, ttl_extension_policy=permanent_policy
            ),
            absolute_lifetime=base.absolute_lifetime,
            serializer=serializer,
        )


def _same_site(value: str | None) -> str | None:
    """SameSite as werkzeug reads it: any case of Strict, Lax or None, else ValueError."""
    if value is None:
        return None
    same_site = _SAME_SITE.get(str(value).title())
    if same_site is None:
        raise ValueError(
            f"SESSION_COOKIE_SAMESITE must be 'Strict', 'Lax', 'None' or None, got {value!r}"
        )
    return same_site


def _cookie_domain(value: str | None) -> str | None:
    """The Domain attribute as werkzeug emits it: no port, no leading dot, IDNA."""
    if not value:
        return None
    return value.partition(":")[0].lstrip(".").encode("idna").decode("ascii") or None


def _cookie_path(value: str) -> str:
    """The Path attribute as werkzeug emits it: percent-quoted."""
    return quote(value or "/", safe="%!$&'()*+,/:=@")
