"""The peer suites: which sdist, which of its tests, which shim, how many must pass."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .sdists import fetch_sdist, unpack_sdist
from .verdict import Verdict, read_junit

SHIMS = Path(__file__).resolve().parent / "shims"
RUN_TIMEOUT = 600.0
"""Seconds one peer suite may run (it takes a few); past that the run fails."""


@dataclass(frozen=True)
class PeerSuite:
    """One peer's own tests, run from its sdist with a shim that points them at coatcheck.

    ``pytest_args`` select the tests (paths relative to the unpacked sdist) exactly as the
    issue that introduced the run states them; ``expected`` is how many tests that
    selection runs. ``sha256`` pins the sdist's bytes.
    """

    name: str
    version: str
    sha256: str
    pytest_args: tuple[str, ...]
    expected: int
    shim: str

    @property
    def requirement(self) -> str:
        """``name==version``, as pip takes it."""
        return f"{self.name}=={self.version}"


SUITES = {
    suite.name: suite
    for suite in (
        PeerSuite(
            name="starlette",
            version="1.10.0",
            sha256="b8399098d4c1e3522734f7235dc79b1fc967f96cf139c81e0fa30479e0685f9b",
            pytest_args=("tests/middleware/test_session.py",),
            expected=29,  # 14 tests on asyncio and on trio, and one without a client
            shim="coatcheck_starlette_shim",
        ),
        PeerSuite(
            name="flask",
            version="3.1.3",
            sha256="0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb",
            pytest_args=("tests", "-k", "session or flash"),
            expected=26,
            shim="coatcheck_flask_shim",
        ),
    )
}


def installed_version(name: str) -> str | None:
    """The version of distribution ``name`` in this environment, or ``None``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def run_suite(suite: PeerSuite, cache: Path, workdir: Path) -> Verdict:
    """Unpack the suite's sdist into ``workdir`` and run its tests in a pytest process.

    The run uses the sdist's own configuration and conftest; pytest's output goes to
    this process's output. The peer installed here must be the sdist's version.
    """
    installed = installed_version(suite.name)
    if installed != suite.version:
        raise RuntimeError(
            f"{suite.name} {suite.version} must be installed to run its tests, found "
            f"{installed}: run them with `nox -s peers`"
        )
    source = unpack_sdist(fetch_sdist(suite, cache), workdir)
    report = workdir / f"{suite.name}-junit.xml"
    env = dict(os.environ, PYTHONPATH=str(SHIMS))
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(source / "pyproject.toml"),
        "--rootdir",
        str(source),
        "-p",
        suite.shim,
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        *suite.pytest_args,
    ]
    print(f"peers: {suite.requirement}: {' '.join(command[3:])}", flush=True)
    try:
        exit_code = subprocess.run(command, cwd=source, env=env, timeout=RUN_TIMEOUT).returncode
    except subprocess.TimeoutExpired:
        exit_code = -1
    return Verdict(suite.requirement, suite.expected, exit_code, read_junit(report))
