from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest

from coatcheck import (
    BrowserSession,
    CookieContentSecurity,
    CookieStore,
    JSONSerializer,
    PersistentSession,
    SessionConfig,
    SessionManager,
    TtlExtensionPolicy,
)

from .helpers import KEY


def test_defaults_follow_the_spec() -> None:
    config = SessionConfig()
    assert config.cookie_name == "session"
    assert config.cookie_path == "/"
    assert config.cookie_domain is None
    assert config.cookie_secure is True
    assert config.cookie_http_only is True
    assert config.cookie_same_site == "lax"
    assert config.cookie_partitioned is False
    assert config.cookie_content_security is CookieContentSecurity.PRIVATE
    assert config.lifecycle == BrowserSession()
    assert config.lifecycle.state_ttl == timedelta(days=1)
    assert config.lifecycle.ttl_extension_policy is TtlExtensionPolicy.ON_STATE_CHANGES
    assert PersistentSession().session_ttl == timedelta(days=1)
    assert config.absolute_lifetime is None
    assert config.serializer == JSONSerializer()


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SessionConfig().cookie_name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cookie_name": "__Host-id", "cookie_secure": False},
        {"cookie_name": "__Host-id", "cookie_path": "/app"},
        {"cookie_name": "__Host-id", "cookie_domain": "example.com"},
        {"cookie_name": "__Secure-id", "cookie_secure": False},
        {"cookie_same_site": "none", "cookie_secure": False},
        {"cookie_partitioned": True, "cookie_secure": False},
    ],
)
def test_prefix_and_secure_rules(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SessionConfig(**kwargs)  # type: ignore[arg-type]


def test_prefixes_accepted_when_the_rules_hold() -> None:
    SessionConfig(cookie_name="__Host-id")
    SessionConfig(cookie_name="__Secure-id", cookie_domain="example.com", cookie_path="/a")
    SessionConfig(cookie_same_site="none", cookie_partitioned=True)


@pytest.mark.parametrize(
    "name", ["", "a;b", "a,b", "a b", "a\tb", "a\x00b", "a\x7fb", "a=b", "caf\u00e9", "a\nb"]
)
def test_bad_cookie_names(name: str) -> None:
    with pytest.raises(ValueError, match="cookie_name"):
        SessionConfig(cookie_name=name)


@pytest.mark.parametrize("path", ["", "/a;b", "/a,b", "/a b", "/a\x01", "relative", "/\u00e9"])
def test_bad_cookie_paths(path: str) -> None:
    with pytest.raises(ValueError, match="cookie_path"):
        SessionConfig(cookie_path=path)


@pytest.mark.parametrize("domain", ["", "a;b.com", "a,b.com", "a b.com", "a\x1fb.com"])
def test_bad_cookie_domains(domain: str) -> None:
    with pytest.raises(ValueError, match="cookie_domain"):
        SessionConfig(cookie_domain=domain)


def test_leading_dot_domain_is_accepted() -> None:
    assert SessionConfig(cookie_domain=".example.com").cookie_domain == ".example.com"


@pytest.mark.parametrize(("given", "stored"), [("Lax", "lax"), ("STRICT", "strict"), (None, None)])
def test_same_site_is_case_insensitive(given: str | None, stored: str | None) -> None:
    assert SessionConfig(cookie_same_site=given).cookie_same_site == stored  # type: ignore[arg-type]


@pytest.mark.parametrize("same_site", ["", "sometimes", "true"])
def test_bad_same_site(same_site: str) -> None:
    with pytest.raises(ValueError, match="cookie_same_site"):
        SessionConfig(cookie_same_site=same_site)  # type: ignore[arg-type]


def test_content_security_accepts_its_string_values() -> None:
    config = SessionConfig(cookie_content_security="signed")
    assert config.cookie_content_security is CookieContentSecurity.SIGNED
    with pytest.raises(ValueError, match="cookie_content_security"):
        SessionConfig(cookie_content_security="plain")  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", ["cookie_secure", "cookie_http_only", "cookie_partitioned"])
def test_flags_must_be_booleans(flag: str) -> None:
    with pytest.raises(TypeError, match=flag):
        SessionConfig(**{flag: "yes"})  # type: ignore[arg-type]


@pytest.mark.parametrize("ttl", [0, 60, timedelta(hours=3)])
def test_ttls_accept_whole_seconds_and_timedeltas(ttl: int | timedelta) -> None:
    expected = ttl if isinstance(ttl, timedelta) else timedelta(seconds=ttl)
    assert BrowserSession(state_ttl=ttl).state_ttl == expected
    assert PersistentSession(session_ttl=ttl).session_ttl == expected
    assert SessionConfig(absolute_lifetime=ttl).absolute_lifetime == expected


@pytest.mark.parametrize("ttl", [-1, timedelta(seconds=-1)])
def test_negative_ttls_are_refused(ttl: int | timedelta) -> None:
    with pytest.raises(ValueError, match="negative"):
        BrowserSession(state_ttl=ttl)
    with pytest.raises(ValueError, match="negative"):
        PersistentSession(session_ttl=ttl)
    with pytest.raises(ValueError, match="negative"):
        SessionConfig(absolute_lifetime=ttl)


def test_fractional_and_non_numeric_ttls_are_refused() -> None:
    with pytest.raises(ValueError, match="whole number"):
        BrowserSession(state_ttl=timedelta(milliseconds=1500))
    with pytest.raises(TypeError):
        BrowserSession(state_ttl=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PersistentSession(session_ttl=True)


@pytest.mark.parametrize("lifecycle", [BrowserSession, PersistentSession])
@pytest.mark.parametrize("policy", list(TtlExtensionPolicy))
def test_policies_accept_their_string_values(
    lifecycle: type[BrowserSession | PersistentSession], policy: TtlExtensionPolicy
) -> None:
    built = lifecycle(ttl_extension_policy=policy.value)
    assert built.ttl_extension_policy is policy
    assert built == lifecycle(ttl_extension_policy=policy)


def test_an_unknown_policy_string_names_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match="on_every_request") as raised:
        PersistentSession(ttl_extension_policy="ON_EVERY_REQUEST")  # type: ignore[arg-type]
    assert "ttl_extension_policy" in str(raised.value)


def test_policy_and_lifecycle_types_are_checked() -> None:
    with pytest.raises(ValueError, match="ttl_extension_policy"):
        BrowserSession(ttl_extension_policy="always")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lifecycle"):
        SessionConfig(lifecycle=3600)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="permanent_lifecycle"):
        SessionConfig(permanent_lifecycle=BrowserSession())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="serializer"):
        SessionConfig(serializer=object())  # type: ignore[arg-type]


def test_dubious_settings_log_but_do_not_raise_or_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="coatcheck"):
        SessionManager(
            key=KEY,
            store=CookieStore(),
            config=SessionConfig(cookie_secure=False, cookie_http_only=False),
        )
    messages = [record.getMessage() for record in caplog.records]
    assert any("plain HTTP" in message for message in messages)
    assert any("page scripts" in message for message in messages)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="coatcheck"):
        SessionManager(key=KEY, store=CookieStore())
    assert caplog.records == []


def test_a_manager_needs_a_store_it_can_tell() -> None:
    with pytest.raises(TypeError, match="CookieStore or a session store"):
        SessionManager(key=KEY, store=object())  # type: ignore[arg-type]
