"""Every complete example in the README and the documentation runs, so the docs cannot rot.

A complete example is a fenced Python block with a title (the site shows it as a file):

    ```python title="app.py"

Blocks without a title are fragments and are not run. Each example is executed in a
fresh namespace, with ``SESSION_KEY`` (a base64 key) and ``SECRET_KEY`` set, then:

- a title starting with ``test_`` is a pytest module: pytest runs it (with few hypothesis
  examples), and it must pass;
- a title in `CHECKS` gets that check;
- an example that defines ``app`` must serve a visit counter at ``/``: two requests from
  one client (Starlette's for any ASGI app, Quart's included, else Flask's or werkzeug's
  test client, over https) read ``visit 1`` and then ``visit 2``;
- anything else must run without an error (a `SessionConfig` checks itself).
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coatcheck import Key

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# A fence may be indented (inside a tab or an admonition); its code is dedented.
TITLED_BLOCK = re.compile(
    r'^(?P<indent>[ ]*)```python[^\n]*\btitle="(?P<title>[^"]+)"[^\n]*\n'
    r"(?P<code>.*?)^(?P=indent)```[ ]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Example:
    page: Path
    line: int
    title: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}:{self.title}"


def collect(page: Path) -> list[Example]:
    text = page.read_text()
    return [
        Example(
            page,
            text.count("\n", 0, match.start()) + 1,
            match["title"],
            textwrap.dedent(match["code"]),
        )
        for match in TITLED_BLOCK.finditer(text)
    ]


EXAMPLES = [example for page in PAGES for example in collect(page)]


def _is_asgi(app: Any) -> bool:
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(type(app).__call__)


def _two_visits(app: Any) -> list[str]:
    if _is_asgi(app):  # Starlette, FastAPI, Quart, plain ASGI
        from starlette.testclient import TestClient

        asgi_client = TestClient(app, base_url="https://testserver")
        return [asgi_client.get("/").text for _ in range(2)]
    if hasattr(app, "test_client"):  # Flask
        flask_client = app.test_client()
        return [flask_client.get("/", base_url="https://localhost").text for _ in range(2)]
    from werkzeug.test import Client

    wsgi_client = Client(app)
    return [wsgi_client.get("/", base_url="https://localhost").text for _ in range(2)]


def _check_embedding(namespace: dict[str, Any]) -> None:
    handle = namespace["handle"]

    def app(session: dict[str, int]) -> tuple[str, int]:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"]), 200

    body, status, headers = handle(None, app)
    assert (body, status) == ("1", 200)
    cookie = dict(headers)["Set-Cookie"].split(";")[0]
    body, status, headers = handle(cookie, app)
    assert body == "2"
    assert ("Vary", "Cookie") in headers


def _check_litestar_auth(namespace: dict[str, Any]) -> None:
    from litestar.testing import TestClient

    with TestClient(namespace["app"], base_url="https://testserver.local") as client:
        assert client.get("/me").status_code == 401
        assert client.post("/login").status_code == 200
        assert client.get("/me").text == "Ada"


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "embed.py": _check_embedding,
    "auth_app.py": _check_litestar_auth,
}


# The suite tests the example stores in depth elsewhere: here a few examples show that
# the documented module collects, runs and passes.
FEW_EXAMPLES = """
from hypothesis import settings

settings.register_profile("docs", max_examples=10, stateful_step_count=10, deadline=None)
settings.load_profile("docs")
"""


def _run_pytest_module(example: Example, folder: Path) -> None:
    module = folder / example.title
    module.write_text(example.code)
    (folder / "conftest.py").write_text(FEW_EXAMPLES)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            module.name,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_example_runs(example: Example, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SESSION_KEY", Key.generate().to_base64())
    monkeypatch.setenv("SECRET_KEY", "a long enough secret for the documentation's examples")
    if example.title.startswith("test_"):
        _run_pytest_module(example, tmp_path)
        return
    # A real module: Litestar resolves handler annotations through sys.modules.
    module = types.ModuleType("doc_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    exec(compile(example.code, example.id, "exec"), namespace)
    if example.title in CHECKS:
        CHECKS[example.title](namespace)
    elif "app" in namespace:
        assert _two_visits(namespace["app"]) == ["visit 1", "visit 2"]


def test_every_quick_start_has_a_runnable_example() -> None:
    pages = {example.page for example in EXAMPLES}
    quick_starts = sorted((ROOT / "docs" / "quickstart").glob("*.md"))
    assert quick_starts
    # The Starlette page includes the README's quick start, which runs from the README.
    missing = [p.name for p in quick_starts if p not in pages and "--8<--" not in p.read_text()]
    assert not missing, f"quick starts without a titled example: {missing}"
    assert ROOT / "README.md" in pages
