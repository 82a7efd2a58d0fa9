"""What a peer suite run did, read from its JUnit report, and whether it passes."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_NOT_PASSED = ("failure", "error", "skipped")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one peer suite run.

    ``outcomes`` holds ``(test, outcome)`` for each test case of the run, in run order:
    ``passed``, ``failure``, ``error`` or ``skipped`` (xfail included). The run passes
    only when pytest exited 0 and exactly ``expected`` tests ran, all of them passing: a
    run that collected fewer tests, or none, fails instead of passing vacuously.
    """

    suite: str
    expected: int
    exit_code: int
    outcomes: tuple[tuple[str, str], ...]

    @property
    def passed(self) -> bool:
        """True when the run is green: every expected test ran and passed."""
        return self.exit_code == 0 and len(self.outcomes) == self.expected and not self.not_passed()

    def not_passed(self) -> list[str]:
        """``outcome test`` for every test that ran and did not pass, in run order."""
        return [f"{outcome} {test}" for test, outcome in self.outcomes if outcome != "passed"]

    def summary(self) -> str:
        """One line of counts, then one line per test that did not pass."""
        counts = Counter(outcome for _, outcome in self.outcomes)
        text = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        lines = [
            f"{'PASS' if self.passed else 'FAIL'} {self.suite}: {len(self.outcomes)} ran "
            f"({text or 'none'}), {self.expected} expected to pass; "
            f"pytest exited {self.exit_code}"
        ]
        lines.extend(f"  {line}" for line in self.not_passed())
        return "\n".join(lines)


def read_junit(path: Path) -> tuple[tuple[str, str], ...]:
    """``(test, outcome)`` for each test case of a pytest JUnit report; none without one."""
    if not path.exists():
        return ()
    outcomes = []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        test = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = next((tag for tag in _NOT_PASSED if case.find(tag) is not None), "passed")
        outcomes.append((test, outcome))
    return tuple(outcomes)
