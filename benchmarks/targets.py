"""The targets of issue 6, checked against one run's `Results`."""

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
RETENTION_LIMIT = 0.1
"""Bytes per request coatcheck may leave allocated (a constant cache, not a leak)."""
END_TO_END_SHARE = 0.90


@dataclass(frozen=True)
class TargetCheck:
    """One target: what it asks, what was measured, and whether it was met."""

    target: str
    measured: str
    met: bool | None
    """``None`` when the run did not measure it (an app skipped or not selected)."""


def _ratio_targets(
    results: Results, app: str, reference: str, limits: dict[Scenario, float], label: str
) -> list[TargetCheck]:
    checks = []
    for scenario, limit in limits.items():
        measured = []
        met: bool | None = True
        for size in StateSize:
            ratio = results.overhead_ratio(app, reference, scenario, size)
            if ratio is None:
                continue
            measured.append(f"{size.value} {ratio.median:.2f}\u00d7")
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


def _throughput_target(results: Results, pairs: Sequence[tuple[str, str]]) -> list[TargetCheck]:
    checks = []
    for app, reference in pairs:
        measured = []
        met: bool | None = True
        for size in StateSize:
            ratio = results.throughput_ratio(app, reference, Scenario.READ, size)
            if ratio is None:
                continue
            measured.append(f"{size.value} {ratio.median:.2f}\u00d7")
            met = met and ratio.median >= 1.8
        checks.append(
            TargetCheck(
                f"Redis read throughput: {app} \u2265 1.8\u00d7 {reference}",
                ", ".join(measured) or "not measured",
                met if measured else None,
            )
        )
    return checks


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


def _end_to_end_targets(results: Results) -> list[TargetCheck]:
    checks = []
    for scenario in (Scenario.UNTOUCHED, Scenario.READ):
        share = results.share_of_floor(ASGI_COOKIE, scenario)
        checks.append(
            TargetCheck(
                f"uvicorn end to end, {scenario.value}: {ASGI_COOKIE} keeps "
                f"\u2265 {END_TO_END_SHARE:.0%} of the bare app's req/s",
                f"{share.median:.0%} (\u00b1{share.spread:.0%})" if share else "not measured",
                share.median >= END_TO_END_SHARE if share else None,
            )
        )
    return checks


def check_targets(results: Results) -> list[TargetCheck]:
    """Every target of the issue, in the order the issue lists them."""
    checks = _ratio_targets(
        results,
        ASGI_COOKIE,
        "starlette",
        {Scenario.UNTOUCHED: 0.10, Scenario.READ: 0.40, Scenario.WRITE: 0.50},
        "ASGI cookie store",
    )
    checks += _ratio_targets(
        results,
        FLASK_COOKIE,
        "flask-session",
        {Scenario.UNTOUCHED: 0.25, Scenario.READ: 0.40, Scenario.WRITE: 0.50},
        "Flask cookie store",
    )
    checks.append(_commands_target(results, (ASGI_REDIS_LAZY, FLASK_REDIS), Scenario.UNTOUCHED, 0))
    redis_apps = (ASGI_REDIS, ASGI_REDIS_LAZY, FLASK_REDIS)
    checks.append(_commands_target(results, redis_apps, Scenario.READ, 1))
    checks.append(_commands_target(results, redis_apps, Scenario.WRITE, 2))
    checks.append(_commands_target(results, redis_apps, Scenario.CREATE, 1))
    checks += _throughput_target(
        results,
        (
            (ASGI_REDIS, "starsessions-redis"),
            (ASGI_REDIS_LAZY, "starsessions-redis-lazy"),
            (FLASK_REDIS, "flask-session-redis"),
        ),
    )
    checks += _memory_targets(results)
    checks += _end_to_end_targets(results)
    return checks
