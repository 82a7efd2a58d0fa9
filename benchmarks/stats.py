"""Small robust statistics: medians and median absolute deviations of paired samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["Estimate", "estimate", "paired"]


class Estimate(NamedTuple):
    """A median with its spread (median absolute deviation), in the samples' unit."""

    median: float
    spread: float
    samples: int


def estimate(values: Sequence[float]) -> Estimate:
    """The median and the median absolute deviation of ``values``."""
    if not values:
        return Estimate(float("nan"), float("nan"), 0)
    middle = statistics.median(values)
    spread = statistics.median(abs(value - middle) for value in values)
    return Estimate(middle, spread, len(values))


def paired(first: Sequence[float], second: Sequence[float], *, ratio: bool) -> list[float]:
    """Round-by-round differences (or ratios) of two series sampled in the same rounds.

    Pairing by round means a drift of the machine between rounds hits both sides of
    each difference alike. Ratios with a zero or negative denominator are dropped.
    """
    if ratio:
        return [a / b for a, b in zip(first, second, strict=True) if b > 0]
    return [a - b for a, b in zip(first, second, strict=True)]
