"""`Results`: everything one run measured, and the derived figures the report quotes.

Every derived figure is computed round by round (the app's sample of a round against
the floor's and the reference's samples of the same round) and then summarised by its
median, so a drift of the machine between rounds cancels out.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .app_spec import AppSpec
from .end_to_end import ServedApp
from .in_process import AppRun, Case
from .memory import ChurnResult, RetentionResult
from .scenarios import Scenario, StateSize

__all__ = ["MEANINGFUL_OVERHEAD", "Estimate", "Results", "apps_of", "estimate", "paired"]

MEANINGFUL_OVERHEAD = 1.0
"""Microseconds under which a reference's overhead is noise, not a base for a ratio."""


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


@dataclass
class Results:
    """The raw measurements of one run, indexed for the report."""

    runs: list[AppRun] = field(default_factory=list)
    retention: list[RetentionResult] = field(default_factory=list)
    churn: ChurnResult | None = None
    served: list[ServedApp] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)
    """(phase, seconds it took), in the order they ran."""
    instructions: str = ""
    """The table of instructions per request (``instructions`` group), if counted."""

    def spec(self, name: str) -> AppSpec | None:
        """The spec of app ``name`` if it was part of the run."""
        for run in self.runs:
            if run.spec.name == name:
                return run.spec
        for served in self.served:
            if served.spec.name == name:
                return served.spec
        return None

    def case(self, app: str, scenario: Scenario, size: StateSize) -> Case | None:
        """The measured case, or ``None`` if the app was skipped or not selected."""
        for run in self.runs:
            if run.spec.name == app and run.driver is not None:
                for case in run.cases:
                    if case.scenario is scenario and case.size is size and case.micros:
                        return case
        return None

    def floor_name(self, framework: str) -> str | None:
        """The name of the bare app of ``framework`` in this run."""
        for run in self.runs:
            if run.spec.framework == framework and run.spec.is_floor:
                return run.spec.name
        return None

    def _floor_case(self, app: str, scenario: Scenario, size: StateSize) -> Case | None:
        spec = self.spec(app)
        floor = self.floor_name(spec.framework) if spec is not None else None
        return self.case(floor, scenario, size) if floor is not None else None

    def per_request(self, app: str, scenario: Scenario, size: StateSize) -> Estimate | None:
        """Microseconds per request."""
        case = self.case(app, scenario, size)
        return estimate(case.micros) if case is not None else None

    def _overheads(self, app: str, scenario: Scenario, size: StateSize) -> list[float] | None:
        case = self.case(app, scenario, size)
        floor = self._floor_case(app, scenario, size)
        if case is None or floor is None:
            return None
        return paired(case.micros, floor.micros, ratio=False)

    def overhead(self, app: str, scenario: Scenario, size: StateSize) -> Estimate | None:
        """Microseconds per request over the floor of the same interface."""
        values = self._overheads(app, scenario, size)
        return estimate(values) if values is not None else None

    def overhead_ratio(
        self, app: str, reference: str, scenario: Scenario, size: StateSize
    ) -> Estimate | None:
        """``app``'s overhead divided by ``reference``'s, round by round."""
        mine = self._overheads(app, scenario, size)
        theirs = self._overheads(reference, scenario, size)
        if mine is None or theirs is None:
            return None
        if estimate(theirs).median < MEANINGFUL_OVERHEAD:
            # The reference costs next to nothing here: a ratio would only show noise.
            return None
        ratios = paired(mine, theirs, ratio=True)
        return estimate(ratios) if ratios else None

    def throughput_ratio(
        self, app: str, reference: str, scenario: Scenario, size: StateSize
    ) -> Estimate | None:
        """How many times more requests per second ``app`` serves than ``reference``."""
        mine = self.case(app, scenario, size)
        theirs = self.case(reference, scenario, size)
        if mine is None or theirs is None:
            return None
        return estimate(paired(theirs.micros, mine.micros, ratio=True))

    def served_app(self, name: str) -> ServedApp | None:
        """The end-to-end result of app ``name``, if it was served."""
        for served in self.served:
            if served.spec.name == name and served.note is None and served.rates:
                return served
        return None

    def share_of_floor(self, app: str, scenario: Scenario) -> Estimate | None:
        """End to end: ``app``'s requests per second over the floor's, round by round."""
        mine = self.served_app(app)
        floor_name = self.floor_name_served(mine.spec.framework) if mine is not None else None
        floor = self.served_app(floor_name) if floor_name is not None else None
        if mine is None or floor is None:
            return None
        ours, theirs = mine.rates.get(scenario), floor.rates.get(scenario)
        if not ours or not theirs:
            return None
        return estimate(paired(ours, theirs, ratio=True))

    def floor_name_served(self, framework: str) -> str | None:
        """The bare app of ``framework`` in the end-to-end run."""
        for served in self.served:
            if served.spec.framework == framework and served.spec.is_floor:
                return served.spec.name
        return None

    def skipped(self) -> list[tuple[str, str]]:
        """Every app left out of a part of the run, and why."""
        found: list[tuple[str, str]] = []
        for run in self.runs:
            if run.note is not None:
                found.append((run.spec.name, run.note))
        for served in self.served:
            if served.note is not None:
                found.append((f"{served.spec.name} (end to end)", served.note))
        for retained in self.retention:
            if retained.note is not None:
                found.append((f"{retained.app} (memory)", retained.note))
        return found

    def failures(self) -> list[tuple[str, Scenario, StateSize, int]]:
        """Cases whose timed requests did not all answer 200."""
        return [
            (case.app, case.scenario, case.size, case.failures)
            for run in self.runs
            for case in run.cases
            if case.failures
        ]


def apps_of(results: Results, framework: str) -> Sequence[AppSpec]:
    """The measured apps of ``framework``, in catalogue order."""
    return [run.spec for run in results.runs if run.spec.framework == framework and run.driver]
