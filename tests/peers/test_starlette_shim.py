"""The Starlette shim maps each of Starlette's middleware arguments onto coatcheck's config."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from coatcheck import BrowserSession, PersistentSession, SessionConfig

from .shims.coatcheck_starlette_shim import StarletteSessionMiddleware


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("never called")


def _config(**arguments: Any) -> SessionConfig:
    return StarletteSessionMiddleware(_app, "secret", **arguments).manager.config


def test_starlettes_defaults() -> None:
    config = _config()
    assert (config.cookie_name, config.cookie_path, config.cookie_domain) == ("session", "/", None)
    assert (config.cookie_secure, config.cookie_http_only) == (False, True)
    assert (config.cookie_same_site, config.cookie_partitioned) == ("lax", False)
    assert config.lifecycle == PersistentSession(session_ttl=timedelta(days=14))


def test_every_argument_is_mapped() -> None:
    config = _config(
        session_cookie="sid",
        max_age=60,
        path="/app",
        same_site="none",
        https_only=True,
        domain=".example.com",
        partitioned=True,
    )
    assert (config.cookie_name, config.cookie_path, config.cookie_domain) == (
        "sid",
        "/app",
        ".example.com",
    )
    assert (config.cookie_secure, config.cookie_same_site, config.cookie_partitioned) == (
        True,
        "none",
        True,
    )
    assert config.lifecycle == PersistentSession(session_ttl=60)


@pytest.mark.parametrize(
    ("max_age", "lifecycle"),
    [
        (None, BrowserSession()),
        (0, PersistentSession(session_ttl=0)),
        (-1, PersistentSession(session_ttl=0)),
    ],
)
def test_max_age(max_age: int | None, lifecycle: object) -> None:
    assert _config(max_age=max_age).lifecycle == lifecycle
