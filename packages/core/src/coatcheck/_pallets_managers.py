"""`PalletsManagers`: one `SessionManager` per distinct settings of a Flask or Quart app.

Flask and Quart let an application change its session settings at any time, and their
session interfaces read them on every request. Building a manager derives keys, which is
not free, so managers are built once per distinct settings and cached. The common case,
settings that did not change, costs one read of the config and one comparison.

Also here: the session handed out when coatcheck refuses a setting (`refusing_session`),
and `adopt`, for a framework that asks to save a session its interface never opened
(Quart's tests build one by hand). Nothing here imports either framework: an app is
anything with ``config``, ``secret_key`` and ``permanent_session_lifetime``, and the
cookie getters are the interface's own (``get_cookie_name(app)``, ...), so a subclass
that overrides one keeps its meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from operator import itemgetter
from typing import Any, Protocol, TypeVar, cast

from ._config import SessionConfig
from ._cookie_store import CookieStore
from ._exchange import Exchange
from ._key import Key
from ._manager import SessionManager
from ._pallets_settings import PalletsSettings
from ._serializer import Serializer
from ._session import Session
from ._store import AnyStore

__all__ = [
    "COOKIE_GETTERS",
    "CookieGetters",
    "PalletsManagers",
    "adopt",
    "reads_config_directly",
    "refusing_session",
]

SessionT = TypeVar("SessionT", bound=Session)

MAX_MANAGERS = 16
"""Distinct settings kept at once; more means settings churn, and the cache starts over."""

COOKIE_GETTERS = (
    "get_cookie_name",
    "get_cookie_domain",
    "get_cookie_path",
    "get_cookie_httponly",
    "get_cookie_secure",
    "get_cookie_samesite",
    "get_cookie_partitioned",
)
"""The session interface methods the cookie settings are read through."""

# Every config value the settings come from, read in one call. Index 1 is the only
# mutable one (a list), so the snapshot kept for comparison holds a copy of it.
_RAW_SETTINGS = itemgetter(
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "APPLICATION_ROOT",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_PARTITIONED",
    "PERMANENT_SESSION_LIFETIME",
    "SESSION_REFRESH_EACH_REQUEST",
)


class CookieGetters(Protocol):
    """The cookie getters of a Flask or Quart session interface (each takes the app)."""

    def get_cookie_name(self, app: Any) -> str:
        """``SESSION_COOKIE_NAME``."""

    def get_cookie_domain(self, app: Any) -> str | None:
        """``SESSION_COOKIE_DOMAIN``."""

    def get_cookie_path(self, app: Any) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""

    def get_cookie_httponly(self, app: Any) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""

    def get_cookie_secure(self, app: Any) -> bool:
        """``SESSION_COOKIE_SECURE``."""

    def get_cookie_samesite(self, app: Any) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""

    def get_cookie_partitioned(self, app: Any) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""


def reads_config_directly(interface: object, base: type) -> bool:
    """Whether ``interface`` keeps every cookie getter of ``base``: then the settings are
    read from the config in one call, else through the (overridden) getters."""
    kind = type(interface)
    return all(getattr(kind, name) is getattr(base, name) for name in COOKIE_GETTERS)


def _snapshot(raw: tuple[Any, ...]) -> tuple[Any, ...]:
    fallbacks = raw[1]
    return (raw[0], list(fallbacks) if isinstance(fallbacks, list) else fallbacks, *raw[2:])


def _accounts(config: Mapping[str, Any]) -> tuple[Any, Any]:
    """coatcheck's own settings, absent from a framework's default config."""
    return config.get("SESSION_SUBJECT_KEY"), config.get("SESSION_MAX_PER_SUBJECT")


class PalletsManagers:
    """The `SessionManager` for a Flask or Quart app's current session settings.

    ``store`` and ``session_class`` go to every manager; ``config`` supplies what the
    frameworks have no setting for (see `PalletsSettings.session_config`) and
    ``serializer`` encodes the values. With ``reads_config`` (the interface overrides no
    cookie getter, see `reads_config_directly`) the settings are compared straight from
    the app's config; else they are read through the getters on every request.
    """

    __slots__ = (
        "_managers",
        "_reads_config",
        "_recent",
        "config",
        "serializer",
        "session_class",
        "store",
    )

    def __init__(
        self,
        store: AnyStore,
        config: SessionConfig,
        serializer: Serializer,
        session_class: type[Session],
        *,
        reads_config: bool = True,
    ) -> None:
        self.store = store
        """The store every manager is built for."""
        self.config = config
        """The base configuration (content security, absolute lifetime, accounts)."""
        self.serializer = serializer
        """How session values are serialized."""
        self.session_class = session_class
        """The `Session` subclass the managers hand out."""
        # Settings coatcheck refuses are kept with their error, raised on every use.
        self._managers: dict[tuple[object, ...], SessionManager | ValueError] = {}
        self._recent: tuple[tuple[Any, ...], SessionManager | None] | None = None
        self._reads_config = reads_config

    def manager_for(self, interface: CookieGetters, app: Any) -> SessionManager | None:
        """The manager for ``app``'s current settings, read through ``interface``.

        ``None`` when the app has no ``SECRET_KEY``; ``ValueError`` naming the setting when
        coatcheck refuses one (an empty fallback secret, say). Changing a setting at run
        time takes effect on the next request.
        """
        if self._reads_config:
            config = app.config
            try:
                raw = (*_RAW_SETTINGS(config), *_accounts(config))
            except KeyError:
                # A framework version without SECRET_KEY_FALLBACKS or PARTITIONED.
                self._reads_config = False
            else:
                recent = self._recent
                if recent is not None and recent[0] == raw:
                    return recent[1]
                manager = self._from_getters(interface, app)
                self._recent = (_snapshot(raw), manager)
                return manager
        return self._from_getters(interface, app)

    def _from_getters(self, interface: CookieGetters, app: Any) -> SessionManager | None:
        secret_key = app.secret_key
        if not secret_key:
            return None
        config = app.config
        fallbacks = config.get("SECRET_KEY_FALLBACKS")
        settings = (
            secret_key,
            tuple(fallbacks) if fallbacks else (),
            interface.get_cookie_name(app),
            interface.get_cookie_domain(app),
            interface.get_cookie_path(app),
            interface.get_cookie_httponly(app),
            interface.get_cookie_secure(app),
            interface.get_cookie_samesite(app),
            interface.get_cookie_partitioned(app),
            cast(timedelta, app.permanent_session_lifetime),
            config["SESSION_REFRESH_EACH_REQUEST"],
            *_accounts(config),
        )
        manager = self._managers.get(settings)
        if manager is None:
            try:
                manager = self.build(PalletsSettings._make(settings))
            except ValueError as error:
                manager = error
            if len(self._managers) >= MAX_MANAGERS:
                self._managers.clear()
            self._managers[settings] = manager
        if isinstance(manager, ValueError):
            raise manager
        return manager

    def build(self, settings: PalletsSettings) -> SessionManager:
        """A new manager for ``settings`` (``ValueError`` for a setting coatcheck refuses)."""
        return SessionManager(
            key=settings.keys(),
            store=self.store,
            config=settings.session_config(self.config, self.serializer),
            session_class=self.session_class,
        )

    def __repr__(self) -> str:
        return f"PalletsManagers(store={self.store!r}, cached={len(self._managers)})"


# Own the sessions handed out for refused settings; they never reach a store or a cookie.
_REFUSING: dict[type[Session], SessionManager] = {}


def refusing_session(error: ValueError, session_class: type[SessionT]) -> SessionT:
    """A session that raises ``error`` as soon as it is used.

    Handed out instead of failing the request when coatcheck refuses a setting, so a page
    that never touches the session is still served.
    """
    manager = _REFUSING.get(session_class)
    if manager is None:
        manager = SessionManager(
            key=Key.generate(), store=CookieStore(), session_class=session_class
        )
        _REFUSING[session_class] = manager

    def refuse() -> None:
        raise ValueError(str(error))

    exchange = manager.begin(None)
    exchange.set_loader(refuse, on_mark=True)
    return cast(SessionT, exchange.session)


def adopt(manager: SessionManager, session: Mapping[str, Any]) -> Exchange:
    """An exchange holding ``session``, a session no exchange of ``manager`` handed out.

    For frameworks that save a session built by hand (Quart's own tests hand
    ``save_session`` a fresh ``SecureCookieSession``): it is treated as a new session
    whose content is ``session``'s. Its ``modified``, ``accessed`` and ``permanent``
    flags are honoured when it has them (Flask's ``SessionMixin``, whose ``permanent``
    is the ``"_permanent"`` key): an unmodified session writes nothing.
    """
    exchange = manager.begin(None)
    exchange.next_command()  # no cookie: nothing to load, the session is ready and empty
    ours = exchange.session
    if getattr(session, "modified", True):
        ours.update((key, value) for key, value in session.items() if key != "_permanent")
        ours.permanent = bool(getattr(session, "permanent", False))
    elif getattr(session, "accessed", True):
        ours.accessed = True
    return exchange
