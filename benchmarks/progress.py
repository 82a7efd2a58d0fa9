"""Progress lines on stderr, stamped with the seconds since the run started."""

from __future__ import annotations

import sys
import time

__all__ = ["progress"]

_STARTED = time.monotonic()


def progress(message: str) -> None:
    """Print ``message`` to stderr with the elapsed time."""
    print(f"[{time.monotonic() - _STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)
