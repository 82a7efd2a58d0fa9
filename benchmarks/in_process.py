"""The in-process benchmark: every app and scenario, sampled in interleaved rounds.

For one interface (ASGI or WSGI) at a time:

1. build each selected app (a missing package or a failing factory skips it, with a
   note), seed a session of each size through its own create route, and check that
   every scenario behaves (read sees the seeded value, write is visible afterwards,
   create sets a cookie); an app that misbehaves is skipped with a note;
2. calibrate each case (app x scenario x state size) so one sample takes about
   ``sample_seconds``;
3. run ``rounds`` rounds; each round samples every case once, the apps of one scenario
   and size back to back in an order rotated from round to round, so machine drift hits
   every app alike;
4. count the Redis commands per request of each Redis case over a separate, fixed
   number of requests (``MONITOR`` and ``INFO commandstats`` of the bench's own server).

`profile_case` runs one case under a profiler instead (``--profile``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import perf_counter

from .app_spec import AppSpec, BuildContext, app_named, missing_modules
from .drivers import Driver, Workload, driver_for
from .redis_server import BenchRedis
from .scenarios import READ_KEY, Scenario, StateSize, state_for

__all__ = [
    "AppRun",
    "Case",
    "InProcessSettings",
    "Misbehaved",
    "build_run",
    "parse_target",
    "profile_case",
    "run_interface",
    "seed_sessions",
]

logger = logging.getLogger("benchmarks")
TIMED_BLOCKS = 10
"""The blocks of the pass after the counting one: the server's time and the client's
idle time per request are medians over them."""


@dataclass(frozen=True)
class InProcessSettings:
    """How long and how often to sample."""

    rounds: int = 7
    sample_seconds: float = 0.04
    requests: int | None = None
    """A fixed request count per sample (skips calibration), e.g. for a smoke run."""
    min_requests: int = 20
    max_requests: int = 20_000
    command_requests: int = 200
    """Requests over which Redis commands are counted (and, in a pass of their own, the
    server's time and the client's idle time are measured)."""
    scenarios: tuple[Scenario, ...] = tuple(Scenario)
    sizes: tuple[StateSize, ...] = tuple(StateSize)


@dataclass
class Case:
    """One app playing one scenario with one state size, and what was measured."""

    app: str
    scenario: Scenario
    size: StateSize
    workload: Workload
    count: int = 0
    micros: list[float] = field(default_factory=list)
    """Microseconds per request, one value per round."""
    failures: int = 0
    commands: float | None = None
    """Redis commands the app sent per request (Redis apps only)."""
    executed: float | None = None
    """Commands the server ran per request (``INFO commandstats``: with those in scripts)."""
    command_detail: str = ""
    """The commands sent per request, by name, and what scripts ran in brackets."""


@dataclass
class AppRun:
    """One app of the run: its spec, and either a driver or the reason it was skipped."""

    spec: AppSpec
    driver: Driver | None = None
    note: str | None = None
    cases: list[Case] = field(default_factory=list)


def build_run(spec: AppSpec, context: BuildContext, loop: asyncio.AbstractEventLoop) -> AppRun:
    """Build ``spec``'s app and its driver, or say why it is skipped."""
    missing = missing_modules(spec)
    if missing:
        return AppRun(spec, note=f"not installed: {', '.join(missing)}")
    if spec.uses_redis and context.redis_url is None:
        return AppRun(spec, note="no redis-server binary: Redis apps skipped")
    try:
        app = spec.build(context)
    except Exception as exc:
        logger.exception("building %s failed", spec.name)
        return AppRun(spec, note=f"could not be built: {exc!r}")
    return AppRun(spec, driver_for(spec.interface, app, loop))


class Misbehaved(Exception):
    """An app answered a scenario wrongly, so its figures would mean nothing."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise Misbehaved(message)


def seed_sessions(run: AppRun, settings: InProcessSettings) -> dict[StateSize, str | None]:
    """Seed one session per size through the app and check each scenario behaves."""
    driver = run.driver
    assert driver is not None
    seeds: dict[StateSize, str | None] = {}
    expected = str(state_for(StateSize.SMALL)[READ_KEY]).encode()
    for size in settings.sizes:
        created = driver.request(Scenario.CREATE.path(size), None)
        _check(created.status == 200, f"create-{size.value} answered {created.status}")
        cookie = created.cookie
        if run.spec.is_floor:
            seeds[size] = None
            continue
        _check(bool(cookie), f"create-{size.value} set no session cookie")
        seeds[size] = cookie
        untouched = driver.request(Scenario.UNTOUCHED.path(size), cookie)
        _check(untouched.status == 200, f"untouched answered {untouched.status}")
        read = driver.request(Scenario.READ.path(size), cookie)
        _check(read.status == 200 and read.body == expected, f"read answered {read.body!r}")
        before = driver.request("/visits", cookie).body
        written = driver.request(Scenario.WRITE.path(size), cookie)
        _check(written.status == 200, f"write answered {written.status}")
        cookie = written.cookie or cookie
        after = driver.request("/visits", cookie).body
        _check(after.isdigit() and after != before, f"write not visible ({before!r} -> {after!r})")
        seeds[size] = cookie
    return seeds


def _calibrate(case: Case, driver: Driver, settings: InProcessSettings) -> None:
    """Pick the request count that makes one sample last about ``sample_seconds``."""
    if settings.requests is not None:
        case.count = settings.requests
        driver.time(case.workload, min(settings.requests, 5))
        return
    driver.time(case.workload, 5)
    # Probe until the probe itself lasts a tenth of a sample: a tiny probe misjudges.
    count = settings.min_requests
    while True:
        probe = driver.time(case.workload, count)
        if probe.seconds >= settings.sample_seconds / 10 or count >= settings.max_requests:
            break
        count *= 4
    wanted = round(settings.sample_seconds * probe.requests / max(probe.seconds, 1e-9))
    case.count = max(settings.min_requests, min(settings.max_requests, wanted))


def _sample(run: AppRun, case: Case, settings: InProcessSettings, *, calibrate: bool) -> None:
    """Calibrate ``case`` or take one sample; an app that raises leaves the run."""
    if run.driver is None:
        return
    try:
        if calibrate:
            _calibrate(case, run.driver, settings)
            return
        timing = run.driver.time(case.workload, case.count)
    except Exception as exc:
        logger.exception("%s raised while timed", run.spec.name)
        run.note = f"raised while timed ({case.scenario.value}): {exc!r}"
        run.driver = None
        return
    case.micros.append(timing.seconds / timing.requests * 1e6)
    case.failures += timing.failures


def _count_commands(case: Case, driver: Driver, redis: BenchRedis, requests: int) -> None:
    with redis.counting(requests) as counted:
        timing = driver.time(case.workload, requests)
    case.failures += timing.failures
    commands = counted[0]
    block = max(1, requests // TIMED_BLOCKS)
    for _ in range(TIMED_BLOCKS):
        with redis.timing(commands, block):
            timing = driver.time(case.workload, block)
        case.failures += timing.failures
    case.commands = commands.sent_per_request
    case.executed = commands.executed_per_request
    case.command_detail = commands.detail()


def run_interface(
    specs: Sequence[AppSpec], settings: InProcessSettings, redis: BenchRedis | None
) -> list[AppRun]:
    """Benchmark ``specs`` (all of one interface, the floors first) in-process."""
    loop = asyncio.new_event_loop()
    context = BuildContext(
        redis_url=redis.url if redis is not None else None,
        redis_variants=redis.url_with if redis is not None else None,
    )
    try:
        runs = [build_run(spec, context, loop) for spec in specs]
        for run in runs:
            if run.driver is None:
                continue
            try:
                seeds = seed_sessions(run, settings)
            except Exception as exc:
                if not isinstance(exc, Misbehaved):
                    logger.exception("checking %s failed", run.spec.name)
                run.note = f"failed its correctness check: {exc}"
                run.driver = None
                continue
            for scenario in settings.scenarios:
                if scenario not in run.spec.scenarios:
                    continue
                for size in settings.sizes:
                    cookie = seeds[size] if scenario.sends_cookie else None
                    workload = Workload(
                        scenario.path(size), cookie, feed_back=scenario is Scenario.WRITE
                    )
                    run.cases.append(Case(run.spec.name, scenario, size, workload))
        live = [run for run in runs if run.driver is not None]
        # Scenario-major: the apps of one (scenario, size) run back to back, so each
        # app's sample sits right next to the floor's and the reference's it is paired with.
        groups: dict[tuple[Scenario, StateSize], list[tuple[Case, AppRun]]] = {}
        for run in live:
            for case in run.cases:
                groups.setdefault((case.scenario, case.size), []).append((case, run))
        logger.info(f"  calibrating {sum(len(group) for group in groups.values())} cases")
        for group in groups.values():
            for case, run in group:
                _sample(run, case, settings, calibrate=True)
        for round_index in range(settings.rounds):
            logger.info(f"  round {round_index + 1}/{settings.rounds}")
            for group in groups.values():
                shift = round_index % len(group)
                for case, run in group[shift:] + group[:shift]:
                    _sample(run, case, settings, calibrate=False)
        if redis is not None:
            for run in live:
                if run.spec.uses_redis and run.driver is not None:
                    for case in run.cases:
                        try:
                            _count_commands(case, run.driver, redis, settings.command_requests)
                        except Exception as exc:
                            logger.exception("counting the commands of %s failed", run.spec.name)
                            case.command_detail = f"not counted: {exc!r}"
        return runs
    finally:
        context.close(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def parse_target(text: str) -> tuple[str, Scenario, StateSize]:
    """``"coatcheck-asgi-cookie:read:small"`` into its parts (the size defaults to small)."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"expected APP:SCENARIO[:SIZE], got {text!r}")
    size = StateSize(parts[2]) if len(parts) == 3 else StateSize.SMALL
    return parts[0], Scenario(parts[1]), size


def profile_case(target: str, redis: BenchRedis | None, seconds: float) -> str:
    """About ``seconds`` of requests of ``APP:SCENARIO[:SIZE]`` under cProfile: the top of
    its table by internal time, then by cumulative time."""
    import cProfile
    import io
    import pstats

    name, scenario, size = parse_target(target)
    loop = asyncio.new_event_loop()
    context = BuildContext(
        redis_url=redis.url if redis is not None else None,
        redis_variants=redis.url_with if redis is not None else None,
    )
    try:
        run = build_run(app_named(name), context, loop)
        if run.driver is None:
            return f"{name}: {run.note}"
        seeds = seed_sessions(run, InProcessSettings(sizes=(size,)))
        cookie = seeds[size] if scenario.sends_cookie else None
        workload = Workload(scenario.path(size), cookie, feed_back=scenario is Scenario.WRITE)
        probe = run.driver.time(workload, 200)
        count = max(200, int(seconds / (probe.seconds / probe.requests)))
        unprofiled = run.driver.time(workload, count)
        profiler = cProfile.Profile()
        began = perf_counter()
        profiler.enable()
        run.driver.time(workload, count)
        profiler.disable()
        elapsed = perf_counter() - began
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        return (
            f"{target}: {count} requests, {unprofiled.seconds / count * 1e6:.1f} \u00b5s/request "
            f"(under cProfile {elapsed / count * 1e6:.1f})\n" + text.getvalue()
        )
    finally:
        context.close(loop)
        loop.close()
