"""`Workload`: the request a timed loop repeats, and `Driver`, what repeats it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

from .response import Response

__all__ = ["Driver", "Timing", "Workload"]


@dataclass
class Workload:
    """One path requested again and again, with the session cookie to send (if any).

    With ``feed_back`` the cookie a response sets replaces ``cookie`` for the next
    request, as a browser would do; the last one stays here after the loop.
    """

    path: str
    cookie: str | None
    feed_back: bool = False


class Timing(NamedTuple):
    """What one timed loop measured."""

    seconds: float
    requests: int
    failures: int
    """Responses whose status was not 200 (a correct run has none)."""


class Driver(Protocol):
    """Calls one app in-process, bypassing any server and network stack."""

    def request(self, path: str, cookie: str | None) -> Response:
        """One request, returning everything the app answered."""
        ...

    def time(self, workload: Workload, count: int) -> Timing:
        """``count`` requests of ``workload`` back to back, timed as a whole."""
        ...
