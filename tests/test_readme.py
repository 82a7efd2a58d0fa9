"""The README's code runs: both quick starts and the embedding sketch."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from coatcheck import Key

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _block(after_heading: str) -> str:
    section = README.split(after_heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, f"no python block after {after_heading!r}"
    return match.group(1)


def test_starlette_quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    monkeypatch.setenv("SESSION_KEY", Key.generate().to_base64())
    namespace: dict[str, Any] = {}
    exec(_block("## Quick start: Starlette / FastAPI"), namespace)
    with TestClient(namespace["app"], base_url="https://testserver") as client:
        assert client.get("/").text == "visit 1"
        assert client.get("/").text == "visit 2"


def test_flask_quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "a long enough secret for the quick start test")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(_block("## Quick start: Flask"), namespace)
    client = namespace["app"].test_client()
    assert client.get("/", base_url="https://localhost").text == "visit 1"
    assert client.get("/", base_url="https://localhost").text == "visit 2"


def test_embedding_sketch() -> None:
    namespace: dict[str, Any] = {}
    exec(_block("## Embedding the core in your own server"), namespace)
    handle = namespace["handle"]

    def app(session: dict[str, int]) -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    body, headers = handle(None, app)
    assert body == "1"
    cookie = dict(headers)["Set-Cookie"].split(";")[0]
    body, headers = handle(cookie, app)
    assert body == "2"
    assert ("Vary", "Cookie") in headers
