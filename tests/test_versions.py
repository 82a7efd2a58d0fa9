"""The four distributions move in lockstep: one version, and each adapter pins the core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "core": "coatcheck",
    "asgi": "coatcheck_asgi",
    "wsgi": "coatcheck_wsgi",
    "redis-store": "coatcheck_redis",
}


def _version(folder: str, module: str) -> str:
    text = (ROOT / "packages" / folder / "src" / module / "_version.py").read_text()
    found = re.findall(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    assert len(found) == 1, f"{folder}: _version.py must hold exactly one __version__ line"
    return str(found[0])


def test_versions_agree_and_adapters_pin_the_core() -> None:
    core = _version("core", "coatcheck")
    for folder, module in PACKAGES.items():
        if not (ROOT / "packages" / folder / "pyproject.toml").exists():
            pytest.fail(f"packages/{folder} has no pyproject.toml")
        assert _version(folder, module) == core, folder
        pyproject = (ROOT / "packages" / folder / "pyproject.toml").read_text()
        if folder != "core":
            assert f'"coatcheck=={core}"' in pyproject, folder
        assert (ROOT / "packages" / folder / "src" / module / "py.typed").exists(), folder
        assert (ROOT / "packages" / folder / "README.md").exists(), folder


def test_installed_versions_match_the_tree() -> None:
    import coatcheck

    assert coatcheck.__version__ == _version("core", "coatcheck")
