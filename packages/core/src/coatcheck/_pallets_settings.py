"""`PalletsSettings`: the Flask or Quart configuration a session manager is built from.

Flask and Quart (both Pallets projects) define the secret keys, the cookie attributes and
the lifetimes with the same settings (``SECRET_KEY``, ``SECRET_KEY_FALLBACKS``,
``SESSION_COOKIE_*``, ``PERMANENT_SESSION_LIFETIME``, ``SESSION_REFRESH_EACH_REQUEST``);
they are read on every request, as those frameworks do, and turned into a
`coatcheck.SessionConfig` the way their own session would emit its cookie (werkzeug's
domain, path and SameSite handling). coatcheck adds ``SESSION_SUBJECT_KEY`` and
``SESSION_MAX_PER_SUBJECT`` (accounts). Nothing here imports either framework.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple
from urllib.parse import quote

from ._config import BrowserSession, PersistentSession, SessionConfig, TtlExtensionPolicy
from ._key import Key
from ._serializer import Serializer

__all__ = ["PalletsSettings"]

_SAME_SITE = {"Strict": "strict", "Lax": "lax", "None": "none"}


class PalletsSettings(NamedTuple):
    """One application's session settings, as read from its Flask or Quart config.

    The fields follow the settings in order; ``subject_key`` and ``max_per_subject``
    (``SESSION_SUBJECT_KEY``, ``SESSION_MAX_PER_SUBJECT``) are coatcheck's own, ``None``
    when the app does not set them (the base `SessionConfig` then decides).
    """

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
    subject_key: str | None = None
    max_per_subject: int | None = None

    def keys(self) -> list[Key]:
        """The current key first, then the fallbacks (accepted when reading only).

        Raises ``ValueError`` naming the setting when a secret is empty or not text.
        """
        # Typed as object: Flask accepts any value in its config, checked here.
        named: list[tuple[str, object]] = [("SECRET_KEY", self.secret_key)]
        named += [(f"SECRET_KEY_FALLBACKS[{i}]", s) for i, s in enumerate(self.fallbacks)]
        keys: list[Key] = []
        for setting, secret in named:
            if not isinstance(secret, (str, bytes)):
                found = type(secret).__name__
            elif not secret.strip():
                found = "an empty or blank secret"
            else:
                keys.append(Key.derive_from(secret))
                continue
            raise ValueError(
                f"{setting} must be a non-empty str or bytes secret, got {found}; the session "
                "cannot be used until the setting is fixed"
            )
        return keys

    def session_config(self, base: SessionConfig, serializer: Serializer) -> SessionConfig:
        """The `SessionConfig`: these settings, plus what only ``base`` defines.

        ``base`` supplies the cookie's content security, the absolute lifetime, the renewal
        grace, and the subject key and cap when the app's settings leave them unset.
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
            subject_key=base.subject_key if self.subject_key is None else self.subject_key,
            max_sessions_per_subject=(
                base.max_sessions_per_subject
                if self.max_per_subject is None
                else self.max_per_subject
            ),
            renew_grace=base.renew_grace,
        )

    def __repr__(self) -> str:
        # The secrets never appear: a repr reaches logs and tracebacks.
        shown = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields[2:], self[2:], strict=True)
        )
        hidden = f"secret_key=<hidden>, fallbacks=<{len(self.fallbacks)} hidden>"
        return f"{type(self).__name__}({hidden}, {shown})"


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
