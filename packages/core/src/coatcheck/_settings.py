"""`Settings`: everything an exchange needs, derived once per application.

A `SessionManager` validates its arguments and builds one `Settings`; every request's
`Exchange` reads it and nothing else of the manager, so the exchange module never imports
the manager (the layering runs one way).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ._config import PersistentSession, SessionConfig
from ._cookie_codec import CookieCodec
from ._decision import TtlPlan, extends_untouched, plans
from ._identity import FAMILY_DIGITS
from ._key import Key
from ._serializer import Serializer
from ._session import Session, SessionOwner
from ._set_cookie import CookieSpelling, SetCookieFormatter

__all__ = ["FAMILY_BYTES", "SESSION_KEY_BYTES", "Settings"]

SESSION_KEY_BYTES = 32
"""Random bytes in a server-side session key (256 bits, 43 URL-safe characters)."""
FAMILY_BYTES = FAMILY_DIGITS // 2
"""Random bytes in a new family (anonymous sessions)."""


def _bulk_loads(serializer: Serializer) -> Callable[[Mapping[str, str]], dict[str, Any]]:
    bulk = getattr(serializer, "loads_many", None)
    if callable(bulk):
        return cast(Callable[[Mapping[str, str]], dict[str, Any]], bulk)
    loads = serializer.loads

    def loads_many(texts: Mapping[str, str]) -> dict[str, Any]:
        return {key: loads(text) for key, text in texts.items()}

    return loads_many


@dataclass(frozen=True, slots=True)
class Settings:
    """The frozen record an `Exchange` works from (one per `SessionManager`)."""

    config: SessionConfig
    cookie_name: str
    codec: CookieCodec
    formatter: SetCookieFormatter
    plans: tuple[TtlPlan, TtlPlan]
    """The plans of a non-permanent and a permanent session (index with ``permanent``)."""
    default_permanent: bool
    """`Session.permanent` of a session that never set it."""
    absolute_lifetime: float | None
    extends_untouched: bool
    dumps: Callable[[Any], str]
    loads: Callable[[str], Any]
    loads_many: Callable[[Mapping[str, str]], dict[str, Any]]
    session_class: type[Session]
    new_session: Callable[[SessionOwner], Session]
    """``session_class.owned_by``, looked up once."""
    token: Callable[[int], bytes]
    state_in_cookie: bool
    """True: the whole state travels sealed in the cookie (`CookieStore`), no commands."""
    subject_key: str | None
    """The session key holding the subject, or ``None``: no accounts, and no cost."""
    max_sessions: int | None
    indexes: bool
    """The store keeps the session index: saves carry `SessionMeta`, logins may `Cap`."""
    grace: int
    """Seconds an old key forwards after a renewal that keeps the subject (0: none, and
    always 0 with a store that keeps no forwarding records)."""

    @classmethod
    def build(
        cls,
        config: SessionConfig,
        keys: tuple[Key, ...],
        *,
        token: Callable[[int], bytes],
        session_class: type[Session],
        spelling: CookieSpelling,
        state_in_cookie: bool,
        indexes: bool = False,
        forwards: bool = False,
    ) -> Settings:
        """Derive the settings of one application (the expensive part runs once).

        ``indexes`` and ``forwards`` are the store's capabilities (see
        `coatcheck.sansio.indexes_subjects` and `forwards`).
        """
        session_plans = plans(config)
        serializer = config.serializer
        return cls(
            config=config,
            cookie_name=config.cookie_name,
            codec=CookieCodec(config.cookie_name, keys, config.cookie_content_security, token),
            formatter=SetCookieFormatter(config, spelling),
            plans=session_plans,
            default_permanent=isinstance(config.lifecycle, PersistentSession),
            absolute_lifetime=config.absolute_lifetime_seconds,
            extends_untouched=extends_untouched(session_plans),
            dumps=serializer.dumps,
            loads=serializer.loads,
            loads_many=_bulk_loads(serializer),
            session_class=session_class,
            new_session=session_class.owned_by,
            token=token,
            state_in_cookie=state_in_cookie,
            subject_key=config.subject_key,
            max_sessions=config.max_sessions_per_subject,
            indexes=indexes and config.subject_key is not None,
            grace=config.renew_grace_seconds if forwards and not state_in_cookie else 0,
        )

    def new_session_key(self, family: str | None = None) -> str:
        """A fresh server-side session key: 256 random bits in URL-safe base64, then
        ``.`` and its family (`coatcheck.sansio.subject_family`; a new random one when
        ``family`` is ``None``)."""
        raw = self.token(SESSION_KEY_BYTES + (0 if family is not None else FAMILY_BYTES))
        if family is None:
            family = raw[SESSION_KEY_BYTES:].hex()
            raw = raw[:SESSION_KEY_BYTES]
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") + "." + family
