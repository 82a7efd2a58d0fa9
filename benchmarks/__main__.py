"""``python -m benchmarks``: run the benchmarks, write RESULTS.md and results.png.

    python -m benchmarks                      # the timed groups (about 8 minutes on 2 cores)
    python -m benchmarks --quick              # the same, short and rough
    python -m benchmarks --groups asgi,memory # only some groups
    python -m benchmarks --apps 'coatcheck-asgi-*,starlette' --scenarios read,write
    python -m benchmarks --profile coatcheck-asgi-cookie:read:small   # cProfile table

Groups: ``asgi`` and ``wsgi`` (in-process), ``memory`` (tracemalloc checks), ``e2e``
(uvicorn and gunicorn on 127.0.0.1 under ``wrk``), and on request ``instructions``
(callgrind counts of the cookie and memory rows, after the timed groups). An app whose
package is not installed is skipped with a note in RESULTS.md, so the run always completes.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import importlib.util
import logging
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

from .analysis import Results
from .app_spec import AppSpec, Interface, all_apps
from .end_to_end import EndToEndSettings, run_end_to_end
from .in_process import InProcessSettings, profile_case, run_interface
from .memory import memory_store_churn, untouched_retention
from .redis_server import redis_server
from .report import RunInfo, draw_chart, render
from .scenarios import Scenario, StateSize
from .targets import check_targets

__all__ = ["INSTRUCTION_REDIS_APPS", "instruction_apps", "main"]

logger = logging.getLogger("benchmarks")
GROUPS = ("asgi", "wsgi", "memory", "e2e", "instructions")
DEFAULT_GROUPS = GROUPS[:4]
HERE = Path(__file__).resolve().parent
MEMORY_APPS = (
    "asgi-bare", "coatcheck-asgi-cookie", "coatcheck-asgi-memory", "coatcheck-asgi-redis-lazy",
    "flask-bare", "coatcheck-flask-cookie", "coatcheck-flask-redis",
)  # fmt: skip
END_TO_END_APPS = (
    "asgi-bare", "starlette", "coatcheck-asgi-cookie", "starsessions-redis",
    "coatcheck-asgi-redis", "flask-bare", "flask-session", "coatcheck-flask-cookie",
)  # fmt: skip
INSTRUCTION_REDIS_APPS = ("coatcheck-asgi-redis", "coatcheck-flask-redis")
"""The Redis rows counted under callgrind (with their references): the plain ones."""
CHURN_SECONDS_PER_SESSION = 0.025


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="short, rough run")
    add("--groups", default=",".join(DEFAULT_GROUPS),
        help=f"comma list of: {', '.join(GROUPS)} (default %(default)s)")  # fmt: skip
    add("--apps", help="comma list of app names or globs (their bare apps are added)")
    add("--list-apps", action="store_true", help="list the apps and exit")
    add("--scenarios", help="comma list of: " + ", ".join(s.value for s in Scenario))
    add("--sizes", help="comma list of: " + ", ".join(s.value for s in StateSize))
    add("--rounds", type=int, help="in-process rounds (default 25, quick 3)")
    add("--sample-ms", type=float, help="target duration of one sample (default 40, quick 10)")
    add("--requests", type=int, help="fixed requests per sample (no calibration)")
    add("--command-requests", type=int, default=200, help="requests of the Redis counting passes")
    add("--memory-requests", type=int, help="untouched requests under tracemalloc")
    add("--churn-sessions", type=int, help="sessions in the MemoryStore churn")
    add("--e2e-seconds", type=int, default=1, help="seconds per load run")
    add("--e2e-rounds", type=int, help="end-to-end rounds (default 3, quick 1)")
    add("--e2e-warmup", type=int, default=1, help="warm-up seconds per server")
    add("--connections", type=int, default=16, help="wrk's connections")
    add("--output", type=Path, default=HERE, help="where RESULTS.md and results.png go")
    add("--no-chart", action="store_true", help="skip results.png")
    add("--profile", action="append", metavar="APP:SCENARIO[:SIZE]",
        help="profile one case with cProfile and print its table (repeatable)")  # fmt: skip
    add("--profile-seconds", type=float, default=2.0)
    add("--instructions", action="store_true",
        help="only count instructions per request under callgrind, print the table")  # fmt: skip
    add("--instruction-requests", type=int, default=500, help="requests counted per case")
    return parser


def _select(specs: Sequence[AppSpec], patterns: list[str] | None) -> list[AppSpec]:
    """The apps matching ``patterns``, plus the bare app of each framework among them."""
    if patterns is None:
        return list(specs)
    chosen = [
        spec
        for spec in specs
        if not spec.is_floor and any(fnmatch.fnmatchcase(spec.name, p) for p in patterns)
    ]
    frameworks = {spec.framework for spec in chosen}
    return [s for s in specs if s in chosen or (s.is_floor and s.framework in frameworks)]


def instruction_apps(catalogue: Sequence[AppSpec], chosen: Sequence[AppSpec]) -> list[AppSpec]:
    """The ``chosen`` apps without Redis and the plain Redis ones, with the apps they are
    compared with."""
    ours = [
        s
        for s in chosen
        if not s.is_floor and (not s.uses_redis or s.name in INSTRUCTION_REDIS_APPS)
    ]
    wanted = {s.name for s in ours} | {s.reference for s in ours}
    floors = {s.framework for s in ours}
    return [s for s in catalogue if s.name in wanted or (s.is_floor and s.framework in floors)]


@contextlib.contextmanager
def _phase(results: Results, name: str) -> Iterator[None]:
    logger.info(name)
    began = time.perf_counter()
    try:
        yield
    finally:
        results.phases.append((name, time.perf_counter() - began))


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected groups and write the report; the process exit status."""
    args = _parser().parse_args(argv)
    # A terminated run (nox, CI, Ctrl-C) still stops its redis-server and app servers.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    logging.basicConfig(format="[%(relativeCreated)7.0f ms] %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    catalogue = all_apps()
    if args.list_apps:
        for spec in catalogue:
            print(f"{spec.name:34} {spec.framework:10} {spec.family.value:7} {spec.description}")
        return 0
    patterns = _csv(args.apps) if args.apps else None
    if args.profile:
        with redis_server() as redis:
            for target in args.profile:
                print(profile_case(target, redis, args.profile_seconds))
        return 0
    scenarios = tuple(map(Scenario, _csv(args.scenarios))) if args.scenarios else tuple(Scenario)
    if args.instructions:
        from .instructions import count_instructions, instruction_table

        counted = instruction_apps(catalogue, _select(catalogue, patterns))
        needs_redis = any(s.uses_redis for s in counted)
        with redis_server() if needs_redis else contextlib.nullcontext() as redis:
            url = redis.url if redis else None
            counts = count_instructions(counted, scenarios, args.instruction_requests, url)
        print(instruction_table(counted, counts))
        return 0
    groups = _csv(args.groups)
    if unknown := set(groups) - set(GROUPS):
        raise SystemExit(f"unknown group(s): {', '.join(sorted(unknown))}")
    sizes = tuple(map(StateSize, _csv(args.sizes))) if args.sizes else tuple(StateSize)
    quick = args.quick
    settings = InProcessSettings(
        rounds=args.rounds or (3 if quick else 25),
        sample_seconds=(args.sample_ms or (10 if quick else 40)) / 1000,
        requests=args.requests,
        command_requests=args.command_requests,
        scenarios=scenarios,
        sizes=sizes,
    )
    e2e_settings = EndToEndSettings(
        seconds=args.e2e_seconds,
        rounds=args.e2e_rounds or (1 if quick else 3),
        connections=args.connections,
        warmup_seconds=args.e2e_warmup,
        scenarios=tuple(s for s in scenarios if s is not Scenario.CREATE),
    )
    selected = _select(catalogue, patterns)
    in_process = {
        interface: [s for s in selected if s.interface is interface]
        if interface.value in groups
        else []
        for interface in Interface
    }
    memory = [s for s in selected if s.name in MEMORY_APPS] if "memory" in groups else []
    served = [s for s in selected if s.name in END_TO_END_APPS]
    if "e2e" not in groups or not e2e_settings.scenarios:
        served = []
    results = Results()
    if served and shutil.which("wrk") is None:
        results.notes.append("wrk is not installed (apt-get install wrk): no end-to-end run")
        served = []

    started = datetime.now(timezone.utc)
    began = time.perf_counter()
    timed = [spec for specs in in_process.values() for spec in specs]
    counted = []
    if "instructions" in groups:
        counted = instruction_apps(catalogue, [s for s in selected if s.coatcheck])
        if counted and shutil.which("valgrind") is None:
            results.notes.append("valgrind is not installed: no instruction counts")
            counted = []
    needs_redis = any(s.uses_redis for s in (*timed, *memory, *served, *counted))
    with redis_server() if needs_redis else contextlib.nullcontext() as redis:
        if needs_redis and redis is None:
            results.notes.append("redis-server is not installed: every Redis app is skipped")
        for interface, specs in in_process.items():
            if specs:
                name = f"{interface.value.upper()} in-process"
                with _phase(results, f"{name}: {len(specs)} apps"):
                    results.runs += run_interface(specs, settings, redis)
        redis_url = redis.url if redis else None
        if memory:
            requests = args.memory_requests or (2_000 if quick else 5_000)
            with _phase(results, f"memory: untouched retention over {requests:,} requests"):
                results.retention = untouched_retention(memory, redis_url, requests)
            sessions = args.churn_sessions or (4_000 if quick else 10_000)
            ttl = max(1, round(sessions * CHURN_SECONDS_PER_SESSION / 5))
            with _phase(results, f"memory: {sessions:,}-session MemoryStore churn"):
                results.churn = memory_store_churn(
                    sessions, ttl=ttl, seconds_per_session=CHURN_SECONDS_PER_SESSION
                )
        if served:
            with _phase(results, f"end to end: {len(served)} apps, {e2e_settings.rounds} rounds"):
                results.served = run_end_to_end(served, e2e_settings, redis_url)
        if counted:
            from .instructions import count_instructions, instruction_table

            requests = args.instruction_requests
            with _phase(results, f"instructions: {len(counted)} apps under callgrind"):
                counts = count_instructions(counted, scenarios, requests, redis_url)
                results.instructions = instruction_table(counted, counts)

    args.output.mkdir(parents=True, exist_ok=True)
    chart_name: str | None = None
    if not args.no_chart:
        if importlib.util.find_spec("matplotlib") is None:
            results.notes.append("matplotlib is not installed: no chart")
        elif draw_chart(results, args.output / "results.png"):
            chart_name = "results.png"
    checks = check_targets(results)
    sampling = f"{settings.requests} requests" if settings.requests else (
        f"~{settings.sample_seconds * 1000:g} ms")  # fmt: skip
    described = f"{settings.rounds} rounds, samples of {sampling}"
    if served:
        described += (
            f"; end to end {e2e_settings.rounds}\u00d7{e2e_settings.seconds} s per case, "
            f"{e2e_settings.connections} connections"
        )
    arguments = list(argv) if argv is not None else sys.argv[1:]
    info = RunInfo(
        command=shlex.join(["python", "-m", "benchmarks", *arguments]),
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        seconds=time.perf_counter() - began,
        settings=described,
    )
    (args.output / "RESULTS.md").write_text(render(results, checks, info, chart_name), "utf-8")
    logger.info(f"wrote {args.output / 'RESULTS.md'} in {info.seconds:.0f} s")
    for check in checks:
        if check.met is not None:
            logger.info(f"  {'met ' if check.met else 'MISS'} {check.target}: {check.measured}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
