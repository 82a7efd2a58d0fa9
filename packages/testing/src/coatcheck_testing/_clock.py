"""`Clock`: a clock the test moves by hand, injected as a `SessionManager`'s ``now``."""

from __future__ import annotations

__all__ = ["Clock"]

START = 1_700_000_000.0
"""Where a `Clock` starts by default: a whole second in November 2023."""


class Clock:
    """Seconds since the epoch that only move when `advance` is called.

    Pass it as ``SessionManager(now=clock)`` and as the ``now`` of store commands, so the
    core, the stores and the test agree on the time without sleeping.
    """

    __slots__ = ("now",)

    def __init__(self, now: float = START) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        """The current reading."""
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backward) and return the new reading."""
        if seconds < 0:
            raise ValueError("a Clock never goes backward")
        self.now += seconds
        return self.now

    def __repr__(self) -> str:
        return f"Clock({self.now!r})"
