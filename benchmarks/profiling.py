"""``--profile APP:SCENARIO[:SIZE]``: one case under pyinstrument, as a text call tree."""

from __future__ import annotations

import asyncio
from time import perf_counter

from .app_spec import BuildContext
from .in_process import InProcessSettings, build_run, seed_sessions
from .redis_server import BenchRedis
from .scenarios import Scenario, StateSize
from .serve import app_named
from .workload import Workload

__all__ = ["parse_target", "profile_case"]


def parse_target(text: str) -> tuple[str, Scenario, StateSize]:
    """``"coatcheck-asgi-cookie:read:small"`` into its parts (the size defaults to small)."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"expected APP:SCENARIO[:SIZE], got {text!r}")
    size = StateSize(parts[2]) if len(parts) == 3 else StateSize.SMALL
    return parts[0], Scenario(parts[1]), size


def profile_case(
    app: str, scenario: Scenario, size: StateSize, redis: BenchRedis | None, seconds: float
) -> str:
    """Profile about ``seconds`` of requests; the text report of pyinstrument."""
    from pyinstrument import Profiler

    spec = app_named(app)
    loop = asyncio.new_event_loop()
    context = BuildContext(redis_url=redis.url if redis is not None else None)
    try:
        run = build_run(spec, context, loop)
        if run.driver is None:
            return f"{app}: {run.note}"
        seeds = seed_sessions(run, InProcessSettings(sizes=(size,)))
        cookie = seeds[size] if scenario.sends_cookie else None
        workload = Workload(scenario.path(size), cookie, feed_back=scenario is Scenario.WRITE)
        probe = run.driver.time(workload, 200)
        count = max(200, int(seconds / (probe.seconds / probe.requests)))
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        began = perf_counter()
        profiler.start()
        timing = run.driver.time(workload, count)
        profiler.stop()
        elapsed = perf_counter() - began
        header = (
            f"{app} {scenario.value} {size.value}: {count} requests, "
            f"{timing.seconds / count * 1e6:.1f} \u00b5s/request under the profiler "
            f"({elapsed:.1f} s)\n"
        )
        return header + profiler.output_text(unicode=True, color=False)
    finally:
        context.close(loop)
        loop.close()
