"""``--instructions``: CPU instructions per request under callgrind, a figure that the
other work on a busy machine cannot move (unlike time).

The selected apps run in one Python process under ``valgrind --tool=callgrind
--dump-before=os_getppid``: each case is warmed up, then ``os.getppid()`` closes one
dump, the case makes ``requests`` requests, and ``os.getppid()`` closes the next, which
holds those requests alone. Instructions are not time (a C extension or a cache miss
weigh differently), so this cross-checks the timed ratios of the CPU-bound rows (cookie
and memory stores). For a Redis row it counts the client's side alone, which the timed
rows cannot separate from the server's work and the waiting for it.

    python -m benchmarks --instructions --apps coatcheck-asgi-cookie,starlette --scenarios read
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .app_spec import AppSpec, BuildContext, app_named
from .drivers import Workload
from .in_process import InProcessSettings, build_run, seed_sessions
from .scenarios import Scenario, StateSize

__all__ = ["count_instructions", "instruction_table"]

_TOTAL = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


def _child(argv: Sequence[str]) -> None:
    """Runs under callgrind (``REQUESTS SCENARIO,... REDIS_URL APP...``, the URL ``-``
    when there is no Redis): two dumps per case."""
    requests, scenarios = int(argv[0]), [Scenario(s) for s in argv[1].split(",")]
    redis_url, names = (None if argv[2] == "-" else argv[2]), argv[3:]
    loop = asyncio.new_event_loop()
    settings = InProcessSettings()
    cases = []
    for name in names:
        run = build_run(app_named(name), BuildContext(redis_url=redis_url), loop)
        if run.driver is None:
            raise SystemExit(f"{name}: {run.note}")
        seeds = seed_sessions(run, settings)
        for scenario in scenarios:
            if scenario not in run.spec.scenarios:
                continue
            for size in StateSize:
                cookie = seeds[size] if scenario.sends_cookie else None
                workload = Workload(scenario.path(size), cookie, scenario is Scenario.WRITE)
                run.driver.time(workload, 100)
                os.getppid()  # ends the dump of the warm-up
                run.driver.time(workload, requests)
                os.getppid()  # ends the dump of the counted requests
                cases.append((name, scenario.value, size.value))
    print(json.dumps(cases))


def count_instructions(
    specs: Sequence[AppSpec],
    scenarios: Sequence[Scenario],
    requests: int = 300,
    redis_url: str | None = None,
) -> dict[tuple[str, Scenario, StateSize], float]:
    """Instructions per request of each case; Redis apps talk to ``redis_url`` (and are
    left out without one). A Redis app's count is its client side alone."""
    names = [spec.name for spec in specs if redis_url is not None or not spec.uses_redis]
    with tempfile.TemporaryDirectory(prefix="coatcheck-bench-callgrind-") as directory:
        completed = subprocess.run(
            ["valgrind", "--tool=callgrind", "--dump-before=os_getppid",
             f"--callgrind-out-file={directory}/callgrind.out", "--log-file=/dev/null",
             sys.executable, "-m", "benchmarks.instructions", str(requests),
             ",".join(s.value for s in scenarios), redis_url or "-", *names],
            capture_output=True, check=True, text=True,
        )  # fmt: skip
        cases = json.loads(completed.stdout.strip().splitlines()[-1])
        dumps = sorted(
            Path(directory).glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:])
        )
        totals = [
            int(match.group(1)) for path in dumps if (match := _TOTAL.search(path.read_bytes()))
        ]
    counted = totals[1::2]
    return {
        (name, Scenario(scenario), StateSize(size)): total / requests
        for (name, scenario, size), total in zip(cases, counted, strict=True)
    }


def instruction_table(
    specs: Sequence[AppSpec], counts: dict[tuple[str, Scenario, StateSize], float]
) -> str:
    """Instructions per request over the framework's bare app, and the ratio to the
    reference's, as a markdown table."""
    by_name = {spec.name: spec for spec in specs}
    floors = {spec.framework: spec.name for spec in specs if spec.is_floor}
    lines = [
        "| app | scenario | state | instructions/request | over the bare app | \u00d7 ref |",
        "|---|---|---|---:|---:|---:|",
    ]
    for (name, scenario, size), total in counts.items():
        spec = by_name[name]
        floor = counts.get((floors.get(spec.framework, ""), scenario, size))
        reference = counts.get((spec.reference or "", scenario, size))
        over = ratio = ""
        if spec.is_floor:
            over = "(floor)"
        elif floor is not None:
            over = f"{total - floor:+,.0f}"
            if reference is not None and spec.reference != name:
                ratio = f"{(total - floor) / (reference - floor):.2f}\u00d7"
        cells = [name, scenario.value, size.value, f"{total:,.0f}", over, ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    _child(sys.argv[1:])
