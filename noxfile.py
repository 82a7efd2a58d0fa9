"""Every task of the coatcheck monorepo: ``nox -s tests lint typecheck demo bench``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
# Dependencies first: the adapters and the Redis store depend on the core.
PACKAGES = ("core", "asgi", "wsgi", "redis-store")
PYTHON_FILES = ("packages", "tests", "examples", "benchmarks", "noxfile.py")

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_external_run = True


def _package_paths() -> list[str]:
    paths = [ROOT / "packages" / name for name in PACKAGES]
    return [str(path) for path in paths if (path / "pyproject.toml").exists()]


def _install_packages(session: nox.Session, *, editable: bool = False) -> None:
    """Install every package of the working tree in one resolver run."""
    paths = _package_paths()
    args = [arg for path in paths for arg in ("-e", path)] if editable else paths
    session.install(*args)


def _debian_package(session: nox.Session, binary: str, package: str) -> None:
    """Install a Debian package when its binary is missing and we may (root, apt)."""
    if shutil.which(binary):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        session.warn(f"{binary} is missing and cannot be installed here; its tests will skip")
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-q", external=True, env=env)
    session.run("apt-get", "install", "-y", "-q", package, external=True, env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite against the packages installed from the working tree."""
    _debian_package(session, "redis-server", "redis-server")
    _debian_package(session, "chromium", "chromium")
    _install_packages(session)
    session.install("-r", "requirements/tests.txt")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """``ruff check`` and ``ruff format --check`` over every Python file."""
    session.install("-r", "requirements/lint.txt")
    session.run("ruff", "check", *PYTHON_FILES)
    session.run("ruff", "format", "--check", *PYTHON_FILES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """``mypy --strict`` over the packages, the tests, the examples and this file."""
    _install_packages(session, editable=True)
    session.install(
        "-r",
        "requirements/typecheck.txt",
        "-r",
        "requirements/tests.txt",
        "-r",
        "requirements/bench.txt",
        "nox",
    )
    session.run("mypy", "--strict", *PYTHON_FILES)


@nox.session
def demo(session: nox.Session) -> None:
    """Serve the demo app on http://127.0.0.1:8000 (``-- --help`` lists the options)."""
    _install_packages(session)
    session.install("-r", "requirements/demo.txt")
    session.run("python", "examples/serve_demo.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks; writes benchmarks/RESULTS.md and benchmarks/results.png."""
    _debian_package(session, "redis-server", "redis-server")
    _debian_package(session, "wrk", "wrk")
    _install_packages(session)
    session.install("-r", "requirements/bench.txt")
    session.run("python", "-m", "benchmarks", *session.posargs)
