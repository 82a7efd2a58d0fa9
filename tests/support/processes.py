"""Running a server in a child process for the length of a test."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .network import wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def serving(
    args: Sequence[str], port: int, *, env: dict[str, str] | None = None, timeout: float = 20.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``python *args`` from the repository root, wait for ``port``, stop it after.

    The child's output is shown if it dies before listening.
    """
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        try:
            wait_for_port(port, timeout=timeout)
        except TimeoutError:
            process.kill()
            output = process.communicate(timeout=5)[0].decode(errors="replace")
            raise RuntimeError(f"server {args} did not start:\n{output}") from None
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
