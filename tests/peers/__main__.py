"""``python -m tests.peers [starlette|flask ...]``: run the peer suites, exit 1 unless green.

Without arguments every suite runs. The sdists are cached in ``.nox/peers/``; each run
unpacks them afresh into a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .suites import SUITES, run_suite

CACHE = Path(__file__).resolve().parents[2] / ".nox" / "peers"


def main(argv: list[str]) -> int:
    """Run the named suites (all by default); print one verdict each; 0 when all pass."""
    unknown = [name for name in argv if name not in SUITES]
    if unknown:
        print(f"unknown peer suite(s) {unknown}; known: {sorted(SUITES)}", file=sys.stderr)
        return 2
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="coatcheck-peers-") as workdir:
        for name in argv or SUITES:
            verdicts.append(run_suite(SUITES[name], CACHE, Path(workdir)))
    print("\n".join(verdict.summary() for verdict in verdicts))
    return 0 if all(verdict.passed for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
