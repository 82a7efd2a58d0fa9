"""`coatcheck.pallets`: what the Flask and Quart shells share, tested without either."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from coatcheck import CookieStore, Key, MemoryStore, SessionConfig, SessionManager
from coatcheck.pallets import (
    PalletsManagers,
    PalletsSession,
    PalletsSettings,
    TaggedJSON,
    adopt,
    reads_config_directly,
    refusing_session,
)
from coatcheck.sansio import exchange_of

SECRET = "a secret key that is long enough for hkdf"

FRAMEWORKS = ("flask", "quart", "werkzeug", "asyncio", "anyio", "socket", "redis", "markupsafe")


def settings(**changes: Any) -> PalletsSettings:
    base = PalletsSettings(
        SECRET, (), "session", None, "/", True, False, "Lax", False, timedelta(days=31), True
    )
    return base._replace(**changes)


class Getters:
    """Flask's and Quart's cookie getters, as plain reads of the config."""

    def get_cookie_name(self, app: Any) -> str:
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: Any) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Any) -> str:
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: Any) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Any) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Any) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Any) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])


class App:
    """What the managers read of a Flask or Quart app."""

    def __init__(self, **config: Any) -> None:
        self.config: dict[str, Any] = {
            "SECRET_KEY": SECRET,
            "SECRET_KEY_FALLBACKS": [],
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_COOKIE_PARTITIONED": False,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "SESSION_REFRESH_EACH_REQUEST": True,
            **config,
        }

    @property
    def secret_key(self) -> Any:
        return self.config["SECRET_KEY"]

    @property
    def permanent_session_lifetime(self) -> timedelta:
        lifetime: timedelta = self.config["PERMANENT_SESSION_LIFETIME"]
        return lifetime


def managers(store: Any = None, config: SessionConfig | None = None) -> PalletsManagers:
    return PalletsManagers(
        MemoryStore() if store is None else store,
        SessionConfig() if config is None else config,
        TaggedJSON(Tagger()),
        PalletsSession,
    )


class Tagger:
    """A tagger that tags nothing (the frameworks' own is tested with them)."""

    def tag(self, value: Any) -> Any:
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        return value

    def register(self, tag_class: Any, force: bool = False, index: int | None = None) -> None:
        raise NotImplementedError


def test_importing_pallets_loads_no_framework() -> None:
    code = (
        "import json, sys; import coatcheck.pallets; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)))
    assert loaded.isdisjoint(FRAMEWORKS), loaded & set(FRAMEWORKS)


def test_the_subject_settings_win_over_the_base_config() -> None:
    base = SessionConfig(subject_key="uid", max_sessions_per_subject=5, renew_grace=3)
    config = settings().session_config(base, TaggedJSON(Tagger()))
    assert (config.subject_key, config.max_sessions_per_subject) == ("uid", 5)
    assert config.renew_grace == timedelta(seconds=3)
    config = settings(subject_key="user", max_per_subject=2).session_config(
        base, TaggedJSON(Tagger())
    )
    assert (config.subject_key, config.max_sessions_per_subject) == ("user", 2)


def test_a_cap_without_a_subject_key_is_refused() -> None:
    with pytest.raises(ValueError, match="needs subject_key"):
        settings(max_per_subject=2).session_config(SessionConfig(), TaggedJSON(Tagger()))


def test_managers_are_cached_per_settings_and_follow_changes() -> None:
    cache, app, getters = managers(), App(), Getters()
    first = cache.manager_for(getters, app)
    assert first is not None and cache.manager_for(getters, app) is first
    app.config["SESSION_SUBJECT_KEY"] = "user"
    second = cache.manager_for(getters, app)
    assert second is not None and second is not first
    assert second.config.subject_key == "user"
    del app.config["SESSION_SUBJECT_KEY"]
    assert cache.manager_for(getters, app) is first
    app.config["SECRET_KEY_FALLBACKS"].append("an older secret")  # changed in place
    assert cache.manager_for(getters, app) is not first


def test_no_secret_key_means_no_manager() -> None:
    assert managers().manager_for(Getters(), App(SECRET_KEY=None)) is None


def test_a_refused_setting_raises_each_time() -> None:
    cache, app = managers(), App(SESSION_COOKIE_SAMESITE="sometimes")
    for _ in range(2):
        with pytest.raises(ValueError, match="SESSION_COOKIE_SAMESITE"):
            cache.manager_for(Getters(), app)


def test_overridden_getters_are_detected() -> None:
    class Renamed(Getters):
        def get_cookie_name(self, app: Any) -> str:
            return "renamed"

    assert reads_config_directly(Getters(), Getters)
    assert not reads_config_directly(Renamed(), Getters)


def test_a_refusing_session_raises_on_use_only() -> None:
    session = refusing_session(ValueError("SECRET_KEY is bad"), PalletsSession)
    assert isinstance(session, PalletsSession)
    with pytest.raises(ValueError, match="SECRET_KEY is bad"):
        session.get("n")


class HandBuilt(dict[str, Any]):
    """A session some other code built: Flask's ``SecureCookieSession`` flags."""

    modified = True
    accessed = True

    @property
    def permanent(self) -> bool:
        return bool(self.get("_permanent", False))


@pytest.mark.parametrize("store", [CookieStore(), MemoryStore()], ids=["cookie", "memory"])
def test_adopt_writes_a_hand_built_session_as_a_new_one(store: Any) -> None:
    manager = SessionManager(key=Key.generate(), store=store, session_class=PalletsSession)
    exchange = adopt(manager, HandBuilt({"user": "ada", "_permanent": True}))
    assert exchange_of(exchange.session) is exchange
    assert dict(exchange.session) == {"user": "ada"}
    assert exchange.session.permanent
    assert exchange.finish(200) or isinstance(store, CookieStore)


def test_adopt_honours_an_unmodified_session() -> None:
    manager = SessionManager(key=Key.generate(), store=CookieStore())
    hand_built = HandBuilt({"user": "ada"})
    hand_built.modified = False
    exchange = adopt(manager, hand_built)
    assert dict(exchange.session) == {}
    assert not exchange.finish(200) and exchange.set_cookie is None and exchange.vary
    hand_built.accessed = False
    exchange = adopt(manager, hand_built)
    exchange.finish(200)
    assert not exchange.vary
