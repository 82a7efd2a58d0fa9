"""``python -m benchmarks``: run the benchmarks, write RESULTS.md and results.png.

    python -m benchmarks                      # everything, 3 to 4.5 minutes on 2 cores
    python -m benchmarks --quick              # the same, short and rough (about 1 minute)
    python -m benchmarks --groups asgi,memory # only some groups
    python -m benchmarks --apps 'coatcheck-asgi-*,starlette' --scenarios read,write
    python -m benchmarks --profile coatcheck-asgi-cookie:read:small

Groups: ``asgi`` and ``wsgi`` (in-process), ``memory`` (tracemalloc checks), ``e2e``
(uvicorn and gunicorn on 127.0.0.1 under load). An app whose package is not installed is
skipped with a note in RESULTS.md, so the run always completes.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
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
from .app_spec import AppSpec
from .asgi_apps import ASGI_APPS
from .end_to_end import EndToEndSettings, run_end_to_end
from .in_process import InProcessSettings, run_interface
from .load import generator_name
from .memory import memory_store_churn, untouched_retention
from .progress import progress
from .redis_server import BenchRedis, redis_server
from .report import RunInfo, render
from .scenarios import Scenario, StateSize
from .targets import check_targets
from .wsgi_apps import WSGI_APPS

__all__ = ["main"]

GROUPS = ("asgi", "wsgi", "memory", "e2e")
HERE = Path(__file__).resolve().parent
MEMORY_APPS = (
    "asgi-bare", "coatcheck-asgi-cookie", "coatcheck-asgi-memory", "coatcheck-asgi-redis-lazy",
    "flask-bare", "coatcheck-flask-cookie", "coatcheck-flask-redis",
)  # fmt: skip
END_TO_END_APPS = (
    "asgi-bare", "starlette", "coatcheck-asgi-cookie", "starsessions-redis",
    "coatcheck-asgi-redis", "flask-bare", "flask-session", "coatcheck-flask-cookie",
)  # fmt: skip
QUICK_END_TO_END_APPS = (
    "asgi-bare", "starlette", "coatcheck-asgi-cookie", "flask-bare", "flask-session",
    "coatcheck-flask-cookie",
)  # fmt: skip
CHURN_SECONDS_PER_SESSION = 0.025
DEFAULT_BUDGET_SECONDS = 270.0
"""The whole run stays under 5 minutes: end to end gives up rounds to keep to this."""
E2E_STARTUP_SECONDS = 1.5
E2E_RUN_SLACK_SECONDS = 0.3


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short, rough run (~1 minute)")
    parser.add_argument("--groups", default=",".join(GROUPS), help="comma list of: %(default)s")
    parser.add_argument("--apps", help="comma list of app names or globs (with their floor)")
    parser.add_argument("--list-apps", action="store_true", help="list the apps and exit")
    parser.add_argument(
        "--scenarios", help="comma list of: " + ", ".join(s.value for s in Scenario)
    )
    parser.add_argument("--sizes", help="comma list of: " + ", ".join(s.value for s in StateSize))
    parser.add_argument("--rounds", type=int, help="in-process rounds (default 7, quick 3)")
    parser.add_argument("--sample-ms", type=float, help="target duration of one sample")
    parser.add_argument("--requests", type=int, help="fixed requests per sample (no calibration)")
    parser.add_argument("--command-requests", type=int, default=50, help="Redis counting pass")
    parser.add_argument("--memory-requests", type=int, help="untouched requests under tracemalloc")
    parser.add_argument("--churn-sessions", type=int, help="sessions in the MemoryStore churn")
    parser.add_argument("--e2e-seconds", type=int, help="seconds per load run (default 1)")
    parser.add_argument("--e2e-rounds", type=int, help="end-to-end rounds (default 3, quick 1)")
    parser.add_argument("--e2e-warmup", type=int, help="warm-up seconds per server")
    parser.add_argument("--connections", type=int, default=16, help="load connections")
    parser.add_argument(
        "--budget", type=float, default=DEFAULT_BUDGET_SECONDS,
        help="seconds the whole run may take; end to end drops rounds to fit (0: no limit)",
    )  # fmt: skip
    parser.add_argument(
        "--load-generator", choices=("auto", "wrk", "asyncio"), default="auto",
        help="wrk when installed (auto), or the built-in asyncio client",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=HERE, help="where RESULTS.md goes")
    parser.add_argument("--no-chart", action="store_true", help="skip results.png")
    parser.add_argument(
        "--profile", action="append", metavar="APP:SCENARIO[:SIZE]",
        help="profile one case with pyinstrument and print the call tree (repeatable)",
    )  # fmt: skip
    parser.add_argument("--profile-seconds", type=float, default=2.0)
    return parser


def _select(specs: Sequence[AppSpec], patterns: list[str] | None) -> list[AppSpec]:
    """The apps matching ``patterns``, plus the floor of each interface that has one."""
    if patterns is None:
        return list(specs)
    chosen = [
        spec
        for spec in specs
        if not spec.is_floor and any(fnmatch.fnmatchcase(spec.name, p) for p in patterns)
    ]
    interfaces = {spec.interface for spec in chosen}
    return [
        spec for spec in specs if spec in chosen or (spec.is_floor and spec.interface in interfaces)
    ]


def _named(specs: Sequence[AppSpec], names: Sequence[str]) -> list[AppSpec]:
    return [spec for spec in specs if spec.name in names]


@contextlib.contextmanager
def _maybe_redis(needed: bool, results: Results | None) -> Iterator[BenchRedis | None]:
    if not needed:
        yield None
        return
    if shutil.which("redis-server") is None:
        if results is not None:
            results.notes.append("redis-server is not installed: every Redis app is skipped")
        yield None
        return
    with redis_server() as server:
        yield server


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _within_budget(
    settings: EndToEndSettings, apps: int, budget: float, began: float, results: Results
) -> EndToEndSettings:
    """Fewer end-to-end rounds if the full count would overrun the time budget."""
    if budget <= 0:
        return settings
    left = budget - (time.perf_counter() - began)
    fixed = apps * (settings.warmup_seconds + E2E_STARTUP_SECONDS)
    per_round = apps * len(settings.scenarios) * (settings.seconds + E2E_RUN_SLACK_SECONDS)
    affordable = max(1, int((left - fixed) // per_round))
    if affordable >= settings.rounds:
        return settings
    results.notes.append(
        f"end to end ran {affordable} round(s) instead of {settings.rounds} to stay within "
        f"the {budget:g} s budget (--budget)"
    )
    return dataclasses.replace(settings, rounds=affordable)


@contextlib.contextmanager
def _phase(results: Results, name: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        results.phases.append((name, time.perf_counter() - began))


def _profile(args: argparse.Namespace) -> int:
    from .profiling import parse_target, profile_case
    from .serve import app_named

    targets = [parse_target(text) for text in args.profile]
    needs_redis = any(app_named(app).uses_redis for app, _, _ in targets)
    with _maybe_redis(needs_redis, None) as redis:
        for app, scenario, size in targets:
            print(profile_case(app, scenario, size, redis, args.profile_seconds))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected groups and write the report; the process exit status."""
    args = _parser().parse_args(argv)
    # A terminated run (nox, CI, Ctrl-C) still stops its redis-server and app servers.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.list_apps:
        for spec in (*ASGI_APPS, *WSGI_APPS):
            print(f"{spec.name:28} {spec.interface.value} {spec.family.value:7} {spec.description}")
        return 0
    if args.profile:
        return _profile(args)
    groups = _csv(args.groups)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise SystemExit(f"unknown group(s): {', '.join(sorted(unknown))}")
    patterns = _csv(args.apps) if args.apps else None
    scenarios = (
        tuple(Scenario(s) for s in _csv(args.scenarios)) if args.scenarios else tuple(Scenario)
    )
    sizes = tuple(StateSize(s) for s in _csv(args.sizes)) if args.sizes else tuple(StateSize)
    quick = args.quick
    settings = InProcessSettings(
        rounds=args.rounds or (3 if quick else 7),
        sample_seconds=(args.sample_ms or (10 if quick else 40)) / 1000,
        requests=args.requests,
        command_requests=args.command_requests,
        scenarios=scenarios,
        sizes=sizes,
    )
    generator = generator_name() if args.load_generator == "auto" else args.load_generator
    e2e_settings = EndToEndSettings(
        generator=generator,
        seconds=args.e2e_seconds or 1,
        rounds=args.e2e_rounds or (1 if quick else 3),
        connections=args.connections,
        warmup_seconds=args.e2e_warmup if args.e2e_warmup is not None else 1,
        scenarios=tuple(s for s in scenarios if s is not Scenario.CREATE),
    )
    asgi = _select(ASGI_APPS, patterns) if "asgi" in groups else []
    wsgi = _select(WSGI_APPS, patterns) if "wsgi" in groups else []
    memory = _select(_named((*ASGI_APPS, *WSGI_APPS), MEMORY_APPS), patterns)
    memory = memory if "memory" in groups else []
    served_names = QUICK_END_TO_END_APPS if quick else END_TO_END_APPS
    served = _select(_named((*ASGI_APPS, *WSGI_APPS), served_names), patterns)
    served = served if "e2e" in groups and e2e_settings.scenarios else []

    started = datetime.now(timezone.utc)
    began = time.perf_counter()
    results = Results(load_generator=generator)
    needs_redis = any(spec.uses_redis for spec in (*asgi, *wsgi, *memory, *served))
    with _maybe_redis(needs_redis, results) as redis:
        for label, specs in (("ASGI", asgi), ("WSGI", wsgi)):
            if specs:
                with _phase(results, f"{label} in-process"):
                    progress(f"{label}, in-process: {len(specs)} apps")
                    results.runs += run_interface(specs, settings, redis)
        if memory:
            with _phase(results, "memory"):
                requests = args.memory_requests or (2_000 if quick else 5_000)
                progress(f"memory: untouched retention over {requests:,} requests")
                redis_url = redis.url if redis else None
                results.retention = untouched_retention(memory, redis_url, requests)
                sessions = args.churn_sessions or (4_000 if quick else 10_000)
                ttl = max(1, round(sessions * CHURN_SECONDS_PER_SESSION / 5))
                progress(f"memory: {sessions:,}-session MemoryStore churn")
                try:
                    results.churn = memory_store_churn(
                        sessions, ttl=ttl, seconds_per_session=CHURN_SECONDS_PER_SESSION
                    )
                except Exception as exc:
                    logging.getLogger("benchmarks").exception("the MemoryStore churn failed")
                    results.notes.append(f"the MemoryStore churn raised {exc!r}")
        if served:
            with _phase(results, "end to end"):
                e2e = _within_budget(e2e_settings, len(served), args.budget, began, results)
                progress(f"end to end: {len(served)} apps, {e2e.rounds} rounds, by {generator}")
                redis_url = redis.url if redis else None
                results.served = run_end_to_end(served, e2e, redis_url)
    if generator == "asyncio" and served:
        results.notes.append(
            "end to end used the built-in asyncio load generator (wrk is not installed): "
            "it may saturate before the fastest servers do, which flattens the ratios"
        )

    args.output.mkdir(parents=True, exist_ok=True)
    chart_name: str | None = None
    if not args.no_chart:
        if importlib.util.find_spec("matplotlib") is None:
            results.notes.append("matplotlib is not installed: no chart")
        else:
            from .chart import draw_chart

            if draw_chart(results, args.output / "results.png"):
                chart_name = "results.png"
    checks = check_targets(results)
    sampling = (
        f"{settings.requests} requests"
        if settings.requests
        else f"~{settings.sample_seconds * 1000:g} ms"
    )
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
    report = render(results, checks, info, chart_name)
    (args.output / "RESULTS.md").write_text(report, encoding="utf-8")
    progress(f"wrote {args.output / 'RESULTS.md'} in {info.seconds:.0f} s")
    for check in checks:
        if check.met is not None:
            progress(f"  {'met ' if check.met else 'MISS'} {check.target}: {check.measured}")
    return 0
