"""Fetch a peer's sdist from the package index once (cached, hash-checked) and unpack it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .suites import PeerSuite


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_sdist(suite: PeerSuite, cache: Path) -> Path:
    """The suite's sdist in ``cache``, downloaded with pip when it is not there yet.

    A cached file whose SHA-256 differs from the pinned one is fetched again; a download
    that still differs is an error.
    """
    archive = cache / f"{suite.name}-{suite.version}.tar.gz"
    if archive.exists() and _sha256(archive) == suite.sha256:
        return archive
    cache.mkdir(parents=True, exist_ok=True)
    archive.unlink(missing_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-binary",
            suite.name,
            "--dest",
            str(cache),
            suite.requirement,
        ],
        check=True,
    )
    found = _sha256(archive) if archive.exists() else "nothing"
    if found != suite.sha256:
        raise RuntimeError(f"{archive.name}: expected SHA-256 {suite.sha256}, got {found}")
    return archive


def unpack_sdist(archive: Path, into: Path) -> Path:
    """Unpack ``archive`` below ``into`` and return its top folder (``name-version``)."""
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # Pythons before 3.11.4 have no filters; the archive's hash is pinned
            tar.extractall(into)
    top = into / archive.name.removesuffix(".tar.gz")
    if not (top / "pyproject.toml").exists():
        raise RuntimeError(f"{archive.name} does not unpack to {top.name}/pyproject.toml")
    return top
