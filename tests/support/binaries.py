"""Finding the external programs some tests need (redis-server, chromium).

Outside CI a missing program skips those tests with a loud reason; under ``CI=true`` it
fails them, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

INSTALL_HINTS = {
    "redis-server": "apt-get install redis-server (`.ci/run` and `nox -s tests` do this as root)",
    "redis-cli": "apt-get install redis-server (`.ci/run` and `nox -s tests` do this as root)",
    "chromium": "apt-get install chromium (`.ci/run` and `nox -s tests` do this as root)",
}


def in_ci() -> bool:
    """True when running under CI (``CI`` set to a true value)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_binary(name: str) -> str:
    """The path of ``name``; skips the test (fails it under CI) when it is missing."""
    path = shutil.which(name)
    if path is not None:
        return path
    hint = INSTALL_HINTS.get(name, f"install {name}")
    message = f"{name} is not installed, so this test cannot run: {hint}"
    if in_ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}")
