"""The distribution itself: version, public names, typing marker, no framework imports,
and scopes that are not ours passing straight through."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import coatcheck
import coatcheck_asgi
from coatcheck import CookieStore
from coatcheck_asgi import Message, Scope, SessionMiddleware

from .helpers import KEY

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "asgi"


def test_version_moves_in_lockstep_with_the_core() -> None:
    assert coatcheck_asgi.__version__ == coatcheck.__version__
    pyproject = (PACKAGE / "pyproject.toml").read_text()
    [dependencies] = re.findall(r"^dependencies = \[(.*)\]$", pyproject, re.MULTILINE)
    assert f'"coatcheck=={coatcheck.__version__}"' in dependencies


def test_public_names_are_exported_and_typed() -> None:
    for name in coatcheck_asgi.__all__:
        assert hasattr(coatcheck_asgi, name), name
    assert (PACKAGE / "src" / "coatcheck_asgi" / "py.typed").is_file()


def test_importing_needs_no_web_framework() -> None:
    code = (
        "import sys, coatcheck_asgi, coatcheck_asgi.testing\n"
        "loaded = [m for m in ('starlette', 'fastapi', 'httpx') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", ["lifespan", "custom.extension"])
async def test_other_scopes_pass_straight_through(anyio_backend: str, kind: str) -> None:
    seen: list[tuple[Scope, Any, Any]] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        return None

    scope: Scope = {"type": kind}
    await SessionMiddleware(app, store=CookieStore(), key=KEY)(scope, receive, send)
    [(got_scope, got_receive, got_send)] = seen
    assert got_scope is scope and "session" not in scope
    assert got_receive is receive and got_send is send


def test_repr_names_the_store_and_mode() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        return None

    middleware = SessionMiddleware(app, store=CookieStore(), key=KEY, lazy=True)
    assert repr(middleware) == (
        "SessionMiddleware(store=CookieStore(), cookie_name='session', mode=cookie, lazy=True)"
    )
    assert "Key" not in repr(middleware)
