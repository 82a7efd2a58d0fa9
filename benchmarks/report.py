"""The report of one run: RESULTS.md (`render`) and results.png (`draw_chart`)."""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .analysis import Results, apps_of
from .app_spec import AppSpec, Family, Interface
from .scenarios import Scenario, StateSize
from .targets import TargetCheck

__all__ = ["RunInfo", "draw_chart", "render"]

_FAMILIES = ((Family.COOKIE, "cookie and memory stores"), (Family.REDIS, "Redis"))

_DISTRIBUTIONS = (
    "coatcheck", "coatcheck-asgi", "coatcheck-wsgi", "coatcheck-redis", "starlette",
    "starsessions", "flask", "flask-session", "werkzeug", "redis", "hiredis", "cryptography",
    "uvicorn", "uvloop", "httptools", "gunicorn",
)  # fmt: skip


@dataclass(frozen=True)
class RunInfo:
    """How the run was made: the command, the settings, how long it took."""

    command: str
    started: str
    seconds: float
    settings: str


def _versions() -> str:
    found = []
    for name in _DISTRIBUTIONS:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def _core_build() -> str:
    """Which build of the core the run imported: pure Python, or compiled by mypyc."""
    spec = importlib.util.find_spec("coatcheck._exchange")
    origin = spec.origin if spec is not None else None
    if origin and origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        return (
            "compiled by mypyc (the optional build; `COATCHECK_BUILD=pure nox -s bench` "
            "measures the pure one)"
        )
    return "pure Python"


def _fmt(value: float | None, pattern: str) -> str:
    return "\u2013" if value is None else pattern.format(value)


def _name(spec: AppSpec) -> str:
    return f"**{spec.name}**" if spec.coatcheck else spec.name


def frameworks(results: Results) -> list[str]:
    """The frameworks measured in-process, in catalogue order."""
    return list(dict.fromkeys(run.spec.framework for run in results.runs if run.driver))


def _summary(results: Results, framework: str, scenarios: Sequence[Scenario]) -> list[str]:
    """One row per app, one column per scenario and size: overhead (x reference's)."""
    columns = [(scenario, size) for scenario in scenarios for size in StateSize]
    head = "| app | reference | " + " | ".join(f"{c.value} {z.value}" for c, z in columns) + " |"
    lines = [head, "|---|---|" + "---:|" * len(columns)]
    for spec in apps_of(results, framework):
        cells = []
        for scenario, size in columns:
            if spec.is_floor:
                total = results.per_request(spec.name, scenario, size)
                cells.append(_fmt(total.median if total else None, "{:.1f} \u00b5s"))
                continue
            overhead = results.overhead(spec.name, scenario, size)
            cell = _fmt(overhead.median if overhead else None, "{:+.1f}")
            if overhead and spec.reference != spec.name:
                ratio = results.overhead_ratio(spec.name, spec.reference or "", scenario, size)
                cell += f" ({ratio.median:.2f}\u00d7)" if ratio else ""
            cells.append(cell)
        reference = "(bare app: total)" if spec.is_floor else spec.reference or ""
        lines.append(f"| {_name(spec)} | {reference} | " + " | ".join(cells) + " |")
    return lines


def _redis(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """Commands per request of every Redis app (small state), and read throughput."""
    head = "| app | " + " | ".join(s.value for s in scenarios) + " | read req/s \u00d7 ref |"
    lines = [head, "|---|" + "---|" * len(scenarios) + "---:|"]
    for framework in frameworks(results):
        for spec in apps_of(results, framework):
            if not spec.uses_redis:
                continue
            cells = []
            for scenario in scenarios:
                case = results.case(spec.name, scenario, StateSize.SMALL)
                cells.append(case.command_detail if case and case.command_detail else "\u2013")
            speeds = []
            for size in StateSize:
                speed = results.throughput_ratio(
                    spec.name, spec.reference or "", Scenario.READ, size
                )
                if speed is not None and spec.reference != spec.name:
                    speeds.append(f"{speed.median:.2f}\u00d7")
            lines.append(f"| {_name(spec)} | " + " | ".join(cells) + f" | {' / '.join(speeds)} |")
    return lines


def _targets(checks: Sequence[TargetCheck]) -> list[str]:
    lines = ["| target | measured | met |", "|---|---|---|"]
    for check in checks:
        verdict = {True: "yes", False: "**NO**", None: "not measured"}[check.met]
        lines.append(f"| {check.target} | {check.measured} | {verdict} |")
    return lines


def _memory(results: Results) -> list[str]:
    lines: list[str] = []
    measured = [r for r in results.retention if r.retained_bytes is not None]
    if measured:
        lines += [
            "",
            "### Untouched requests leave nothing behind",
            "",
            "Bytes still allocated (tracemalloc, after `gc.collect()`) after the requests, "
            "against a snapshot taken after a warm-up; the bare apps are the control.",
            "",
            "| app | requests | retained, all code | per request | retained by coatcheck code |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in measured:
            lines.append(
                f"| {r.app} | {r.requests:,} | {r.retained_bytes:,} B | "
                f"{_fmt(r.retained_per_request, '{:.3f}')} B | {r.coatcheck_bytes:,} B |"
            )
    churn = results.churn
    if churn is not None and churn.checkpoints:
        live = round(churn.ttl / churn.seconds_per_session)
        lines += [
            "",
            f"### {churn.sessions:,}-session churn through `MemoryStore`",
            "",
            f"Each session is created through the core (`SessionManager`, a fake clock moving "
            f"{churn.seconds_per_session:g} s per session, `state_ttl={churn.ttl}`, so about "
            f"{live:,} sessions are live at once) and revisited once, read and changed, 100 "
            "sessions later. Traced memory after `gc.collect()`:",
            "",
            "| sessions created | traced memory | sessions held by the store |",
            "|---:|---:|---:|",
        ]
        for created, traced, held in churn.checkpoints:
            lines.append(f"| {created:,} | {traced / 1024:,.0f} KiB | {held:,} |")
        lines += [
            "",
            f"After the warm-up ({churn.warm[0]:,} sessions) memory grows at most "
            f"{churn.growth:+.1%}: {'flat' if churn.flat else 'NOT flat'}.",
        ]
    return lines


def _end_to_end(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    served = [app for app in results.served if app.note is None and app.rates]
    if not served:
        return []
    head = "| app | server |" + "".join(f" {s.value} req/s | % of bare |" for s in scenarios)
    rule = "|---|---|" + "---:|---:|" * len(scenarios)
    lines = [head, rule]
    for app in served:
        server = "uvicorn" if app.spec.interface is Interface.ASGI else "gunicorn (gthread)"
        cells = [_name(app.spec), server]
        for scenario in scenarios:
            rates = sorted(app.rates.get(scenario, []))
            median = rates[len(rates) // 2] if rates else None
            cells.append(_fmt(median, "{:,.0f}"))
            share = results.share_of_floor(app.spec.name, scenario)
            cells.append(
                "(floor)" if app.spec.is_floor else _fmt(share.median if share else None, "{:.0%}")
            )
        lines.append("| " + " | ".join(cells) + " |")
    bad = sum(app.bad for app in served)
    lines += ["", f"Non-2xx responses and socket errors over all runs: {bad}."]
    return lines


def render(
    results: Results, checks: Sequence[TargetCheck], info: RunInfo, chart: str | None
) -> str:
    """The whole RESULTS.md."""
    scenarios = [s for s in Scenario if any(c.scenario is s for r in results.runs for c in r.cases)]
    lines = [
        "# coatcheck benchmarks",
        "",
        f"Generated by `{info.command}` on {info.started} in {info.seconds:.0f} s; "
        f"{info.settings}.",
        "",
        "Phases: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in results.phases) + ".",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}. Versions: {_versions()}. "
        f"The coatcheck core: {_core_build()}.",
        "",
        "How to read this: every app of a framework is the same app (Starlette, Flask, ...), "
        "bare or with one session layer, called in-process (a prepared scope/environ, no "
        "server, no network), so the figures measure the session layer. A sample is many "
        "requests in a row; every case is sampled once per round, rounds interleave all the "
        "apps, and each figure is the median over rounds of a per-round difference or "
        "ratio (\u00b1 the median absolute deviation, in the targets). *Overhead* is the "
        "time per request over the bare app of the same framework and scenario; the ratio "
        "in brackets divides it by the reference's overhead, round by round. Redis commands "
        "are counted over a separate, untimed pass on the bench's own redis-server (`MONITOR` "
        "for those the client sent, `INFO commandstats` for those Lua scripts ran).",
    ]
    skipped = results.skipped()
    if skipped or results.notes:
        lines += ["", "## Skipped and notes", ""]
        lines += [f"- `{name}`: {why}" for name, why in skipped]
        lines += [f"- {note}" for note in results.notes]
    failures = results.failures()
    if failures:
        lines += ["", "**Requests that did not answer 200 while timed:**", ""]
        lines += [f"- {app} {s.value} {z.value}: {n}" for app, s, z, n in failures]
    lines += ["", "## Targets (issue 11)", "", *_targets(checks)]
    if chart is not None:
        lines += ["", f"![overhead per request over the bare app]({chart})"]
    if any(run.cases for run in results.runs):
        lines += [
            "",
            "## In-process: \u00b5s per request over the bare app (\u00d7 the reference's)",
            "",
            "Medians over rounds; the bare app's row gives its own total time per request.",
        ]
        for framework in frameworks(results):
            lines += ["", f"### {framework}", "", *_summary(results, framework, scenarios)]
        redis = _redis(results, scenarios)
        if len(redis) > 2:
            lines += [
                "",
                "## Redis commands per request",
                "",
                "Small state; the commands the client sent, [those Lua scripts ran], the "
                "server's own time per request (`INFO commandstats`, a pass without "
                "`MONITOR`) and how long the client process sat idle per request in that "
                "pass (wall time less CPU time: waiting for a reply that was not there yet "
                "puts it to sleep), each the median over ten blocks of the pass. The last "
                "column is how many times as many requests per second as the reference "
                "serves in the read scenario (small / medium state).",
                "",
                *redis,
            ]
    if results.instructions:
        lines += [
            "",
            "## Instructions per request (callgrind)",
            "",
            "The cookie and memory rows again, and the plain Redis rows, counted under "
            "`valgrind --tool=callgrind` in one process after the timed groups (many "
            "requests per case, after a warm-up): a figure other work on the machine cannot "
            "move, so it tells a real miss of a CPU-bound target from noise. A Redis row "
            "counts the client alone (not the server's work, not the waiting). "
            "Instructions are not time (C extensions, cache misses and the allocator weigh "
            "differently), and a case's count includes the garbage collections it triggers.",
            "",
            results.instructions,
        ]
    memory = _memory(results)
    if memory:
        lines += ["", "## Memory", *memory]
    end_to_end = _end_to_end(
        results, [s for s in Scenario if any(s in a.rates for a in results.served)]
    )
    if end_to_end:
        lines += [
            "",
            "## End to end",
            "",
            "Each app served on 127.0.0.1 in one process (uvicorn with uvloop/httptools when "
            "installed; gunicorn with one gthread worker), loaded with keep-alive connections "
            "by `wrk`; the median over rounds, small state. The write "
            "scenario resends the same cookie.",
            "",
            *end_to_end,
        ]
    return "\n".join(lines) + "\n"


def draw_chart(results: Results, path: Path, size: StateSize = StateSize.SMALL) -> bool:
    """results.png: the overhead per request over the bare app, as grouped bars, one
    panel per framework and family; False when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for framework in frameworks(results):
        for family, label in _FAMILIES:
            specs = [s for s in apps_of(results, framework) if s.family is family]
            specs = [s for s in specs if not s.name.endswith(("-rtt1ms", "-rtt2ms"))]
            if specs:
                panels.append((specs, f"{framework}: {label}"))
    if not panels:
        return False
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(7 * columns, 4.2 * rows), squeeze=False)
    scenarios = list(Scenario)
    for index, (specs, title) in enumerate(panels):
        axis = axes[index // columns][index % columns]
        width = 0.8 / len(specs)
        for position, spec in enumerate(specs):
            heights, errors, xs = [], [], []
            for column, scenario in enumerate(scenarios):
                overhead = results.overhead(spec.name, scenario, size)
                if overhead is None:
                    continue
                xs.append(column + (position - (len(specs) - 1) / 2) * width)
                heights.append(overhead.median)
                errors.append(overhead.spread)
            bars = axis.bar(
                xs,
                heights,
                width,
                yerr=errors,
                capsize=2,
                label=spec.name,
                hatch="//" if spec.coatcheck else None,
                edgecolor="black" if spec.coatcheck else None,
                linewidth=0.5,
            )
            axis.bar_label(bars, fmt="%.0f", fontsize=6, padding=1)
        axis.set_xticks(range(len(scenarios)), [s.value for s in scenarios])
        axis.set_ylabel(f"\u00b5s over the bare app ({size.value} state)")
        axis.set_title(title, fontsize=10)
        axis.legend(fontsize=6)
        axis.grid(axis="y", alpha=0.3)
    for index in range(len(panels), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.suptitle("Session layer overhead per request, in-process (median over rounds)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
