"""The targets of issue 11 ("Core 2.0": speed against the peers), the throttled-refresh
row of the accounts work, and the Redis command counts and memory checks of issue 6,
checked against one run's `Results`. Every figure is a ratio or a count from one run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .analysis import Results
from .scenarios import Scenario, StateSize

__all__ = ["TargetCheck", "check_targets"]

ASGI_COOKIE = "coatcheck-asgi-cookie"
FLASK_COOKIE = "coatcheck-flask-cookie"
ASGI_REDIS = "coatcheck-asgi-redis"
ASGI_REDIS_LAZY = "coatcheck-asgi-redis-lazy"
FLASK_REDIS = "coatcheck-flask-redis"
STARLETTE = "starlette"
STARSESSIONS_REDIS = "starsessions-redis"
FLASK = "flask-session"
"""Flask's built-in (signed cookie) session."""
FLASK_SESSION_REDIS = "flask-session-redis"
THROTTLED = (
    ("coatcheck-asgi-memory-throttled", "coatcheck-asgi-memory"),
    ("coatcheck-asgi-redis-throttled", ASGI_REDIS),
    ("coatcheck-flask-redis-throttled", FLASK_REDIS),
)
THROTTLED_READ = 1.05
"""A throttled read costs at most 5% more than a read under ``ON_STATE_CHANGES``."""
READ_THROUGHPUT = 1.8
RETENTION_LIMIT = 0.1
"""Bytes per request coatcheck may leave allocated (a constant cache, not a leak)."""


@dataclass(frozen=True)
class TargetCheck:
    """One target: what it asks, what was measured, and whether it was met."""

    target: str
    measured: str
    met: bool | None
    """``None`` when the run did not measure it (an app skipped or not selected)."""


def _ratio_targets(
    results: Results,
    app: str,
    reference: str,
    limits: dict[Scenario, float],
    label: str,
    sizes: Sequence[StateSize] = tuple(StateSize),
) -> list[TargetCheck]:
    checks = []
    for scenario, limit in limits.items():
        measured = []
        met: bool | None = True
        for size in sizes:
            ratio = results.overhead_ratio(app, reference, scenario, size)
            if ratio is None:
                continue
            measured.append(f"{size.value} {ratio.median:.2f}\u00d7 (\u00b1{ratio.spread:.2f})")
            met = met and ratio.median <= limit
        checks.append(
            TargetCheck(
                f"{label}, {scenario.value}: overhead \u2264 {limit:.2f}\u00d7 {reference}'s",
                ", ".join(measured) or "not measured",
                met if measured else None,
            )
        )
    return checks


def _commands_target(
    results: Results, apps: Sequence[str], scenario: Scenario, expected: float
) -> TargetCheck:
    measured = []
    met: bool | None = True
    for app in apps:
        for size in StateSize:
            case = results.case(app, scenario, size)
            if case is None or case.commands is None:
                continue
            measured.append(f"{app} {size.value}: {case.commands:g}")
            met = met and case.commands <= expected
    return TargetCheck(
        f"Redis, {scenario.value}: {expected:g} command(s) sent per request ({', '.join(apps)})",
        "; ".join(measured) or "not measured",
        met if measured else None,
    )


def _throughput_target(results: Results, app: str, reference: str) -> TargetCheck:
    measured = []
    met: bool | None = True
    for size in StateSize:
        ratio = results.throughput_ratio(app, reference, Scenario.READ, size)
        if ratio is None:
            continue
        measured.append(f"{size.value} {ratio.median:.2f}\u00d7 (\u00b1{ratio.spread:.2f})")
        met = met and ratio.median >= READ_THROUGHPUT
    return TargetCheck(
        f"Redis read throughput: {app} \u2265 {READ_THROUGHPUT:g}\u00d7 {reference}'s req/s",
        ", ".join(measured) or "not measured",
        met if measured else None,
    )


def _memory_targets(results: Results) -> list[TargetCheck]:
    checks = []
    ours = [
        r for r in results.retention if r.coatcheck_per_request is not None and "coatcheck" in r.app
    ]
    if ours:
        worst = max(ours, key=lambda r: r.coatcheck_per_request or 0.0)
        per_request = worst.coatcheck_per_request or 0.0
        checks.append(
            TargetCheck(
                "Memory: an untouched request leaves nothing allocated by coatcheck behind",
                f"worst {worst.app}: {worst.coatcheck_bytes} B after {worst.requests:,} requests "
                f"({per_request:.3f} B/request)",
                per_request <= RETENTION_LIMIT,
            )
        )
    else:
        checks.append(
            TargetCheck("Memory: untouched requests retain nothing", "not measured", None)
        )
    churn = results.churn
    if churn is not None and churn.checkpoints:
        warm = churn.warm
        last = churn.checkpoints[-1]
        checks.append(
            TargetCheck(
                f"Memory: {churn.sessions:,}-session MemoryStore churn keeps memory flat",
                f"{warm[1] / 1024:.0f} KiB after {warm[0]:,} sessions, {last[1] / 1024:.0f} KiB "
                f"after {last[0]:,} (max growth {churn.growth:+.1%}); {last[2]:,} held",
                churn.flat,
            )
        )
    else:
        checks.append(
            TargetCheck("Memory: MemoryStore churn keeps memory flat", "not measured", None)
        )
    return checks


def check_targets(results: Results) -> list[TargetCheck]:
    """Every target of issue 11 (and those of issue 6 it keeps), in the issue's order."""
    checks = _ratio_targets(
        results,
        ASGI_COOKIE,
        STARLETTE,
        {Scenario.READ: 0.8, Scenario.WRITE: 0.9, Scenario.CREATE: 0.9, Scenario.UNTOUCHED: 0.2},
        "ASGI cookie store",
    )
    checks += _ratio_targets(
        results,
        ASGI_REDIS,
        STARSESSIONS_REDIS,
        {Scenario.WRITE: 1.0, Scenario.CREATE: 1.0},
        "ASGI Redis",
    )
    checks.append(_throughput_target(results, ASGI_REDIS, STARSESSIONS_REDIS))
    checks += _ratio_targets(
        results, FLASK_COOKIE, FLASK, {Scenario.READ: 0.40}, "Flask cookie store"
    )
    checks += _ratio_targets(
        results, FLASK_REDIS, FLASK_SESSION_REDIS, {Scenario.WRITE: 1.0}, "Flask Redis"
    )
    for throttled, plain in THROTTLED:
        checks += _ratio_targets(
            results,
            throttled,
            plain,
            {Scenario.READ: THROTTLED_READ},
            "Throttled refresh (ON_EVERY_REQUEST, refresh_after=0.5)",
        )
    checks.append(_commands_target(results, (ASGI_REDIS_LAZY, FLASK_REDIS), Scenario.UNTOUCHED, 0))
    redis_apps = (ASGI_REDIS, ASGI_REDIS_LAZY, FLASK_REDIS)
    checks.append(_commands_target(results, redis_apps, Scenario.READ, 1))
    checks.append(_commands_target(results, redis_apps, Scenario.WRITE, 2))
    checks.append(_commands_target(results, redis_apps, Scenario.CREATE, 1))
    checks += _memory_targets(results)
    return checks
