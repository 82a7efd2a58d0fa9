"""RESULTS.md: the markdown report of one run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass

from .analysis import Results, apps_in
from .app_spec import AppSpec, Family, Interface
from .scenarios import Scenario, StateSize
from .targets import TargetCheck

__all__ = ["RunInfo", "render"]

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


def _fmt(value: float | None, pattern: str) -> str:
    return "\u2013" if value is None else pattern.format(value)


def _name(spec: AppSpec) -> str:
    return f"**{spec.name}**" if spec.coatcheck else spec.name


def _in_process_table(
    results: Results, interface: Interface, family: Family, scenarios: Sequence[Scenario]
) -> list[str]:
    specs = [spec for spec in apps_in(results, interface) if spec.family in (Family.FLOOR, family)]
    if not any(spec.family is family for spec in specs):
        return []
    redis = family is Family.REDIS
    head = (
        "| scenario | state | app | \u00b5s/request | overhead \u00b5s (\u00b1MAD) "
        "| \u00d7 ref overhead |"
    )
    rule = "|---|---|---|---:|---:|---:|"
    if redis:
        head += " \u00d7 ref req/s | cmds sent/req | run/req | commands sent [run by scripts] |"
        rule += "---:|---:|---:|---|"
    lines = [head, rule]
    for scenario in scenarios:
        for size in StateSize:
            for spec in specs:
                total = results.per_request(spec.name, scenario, size)
                if total is None:
                    continue
                cells = [scenario.value, size.value, _name(spec), f"{total.median:.1f}"]
                if spec.is_floor:
                    cells += ["(floor)", ""]
                    if redis:
                        cells += ["", "", "", ""]
                    lines.append("| " + " | ".join(cells) + " |")
                    continue
                overhead = results.overhead(spec.name, scenario, size)
                assert overhead is not None
                cells.append(f"{overhead.median:+.1f} \u00b1{overhead.spread:.1f}")
                reference = spec.reference or ""
                if reference == spec.name:
                    cells.append("1 (ref)")
                else:
                    ratio = results.overhead_ratio(spec.name, reference, scenario, size)
                    cells.append(_fmt(ratio.median if ratio else None, "{:.2f}\u00d7"))
                if redis:
                    speed = results.throughput_ratio(spec.name, reference, scenario, size)
                    case = results.case(spec.name, scenario, size)
                    assert case is not None
                    cells += [
                        "1 (ref)"
                        if reference == spec.name
                        else _fmt(speed.median if speed else None, "{:.2f}\u00d7"),
                        _fmt(case.commands, "{:g}"),
                        _fmt(case.executed, "{:g}"),
                        case.command_detail,
                    ]
                lines.append("| " + " | ".join(cells) + " |")
    return lines


def _summary(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """One row per app, one column per scenario and size: overhead (x reference)."""
    columns = [(scenario, size) for scenario in scenarios for size in StateSize]
    head = "| app | " + " | ".join(f"{sc.value} {sz.value}" for sc, sz in columns) + " |"
    lines = [head, "|---|" + "---:|" * len(columns)]
    for interface in Interface:
        for spec in apps_in(results, interface):
            if spec.is_floor:
                cells = []
                for scenario, size in columns:
                    total = results.per_request(spec.name, scenario, size)
                    cells.append(_fmt(total.median if total else None, "{:.1f} \u00b5s"))
                lines.append(f"| {spec.name} (floor, total) | " + " | ".join(cells) + " |")
                continue
            cells = []
            for scenario, size in columns:
                overhead = results.overhead(spec.name, scenario, size)
                if overhead is None:
                    cells.append("\u2013")
                    continue
                cell = f"{overhead.median:+.1f}"
                if spec.reference and spec.reference != spec.name:
                    ratio = results.overhead_ratio(spec.name, spec.reference, scenario, size)
                    if ratio is not None:
                        cell += f" ({ratio.median:.2f}\u00d7)"
                cells.append(cell)
            lines.append(f"| {_name(spec)} | " + " | ".join(cells) + " |")
    return lines


def _section(
    results: Results, interface: Interface, title: str, scenarios: Sequence[Scenario]
) -> list[str]:
    lines: list[str] = []
    for family, label in ((Family.COOKIE, "cookie and memory stores"), (Family.REDIS, "Redis")):
        table = _in_process_table(results, interface, family, scenarios)
        if not table:
            continue
        references = sorted(
            {
                spec.reference
                for spec in apps_in(results, interface)
                if spec.family is family and spec.reference
            }
        )
        lines += [
            "",
            f"### {title}: {label}",
            "",
            f"Reference peer{'s' if len(references) > 1 else ''}: "
            + ", ".join(f"`{name}`" for name in references)
            + ".",
            "",
            *table,
        ]
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
        f"Python {platform.python_version()}. Versions: {_versions()}.",
        "",
        "How to read this: every app is the same Starlette (ASGI) or Flask (WSGI) app, "
        "bare or with one session layer, called in-process (a prepared scope/environ, no "
        "server, no network), so the figures measure the session layer. A sample is many "
        "requests in a row; every case is sampled once per round, rounds interleave all the "
        "apps, and each figure is the median over rounds of a per-round difference or "
        "ratio (\u00b1 the median absolute deviation). *Overhead* is the time per request "
        "over the bare app of the same scenario; *\u00d7 ref overhead* divides it by the "
        "reference peer's; *\u00d7 ref req/s* is how many more requests per second than the "
        "reference. Redis commands are counted over a separate, untimed pass on the bench's "
        "own redis-server: *sent* are the commands the client sent (`MONITOR`), *run* "
        "what `INFO commandstats` counts, which includes the commands Lua scripts run.",
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
    lines += ["", "## Targets (issue 6)", "", *_targets(checks)]
    if chart is not None:
        lines += ["", f"![overhead per request over the bare app]({chart})"]
    if any(run.cases for run in results.runs):
        lines += [
            "",
            "## Summary: \u00b5s per request over the bare app (\u00d7 the reference's)",
            "",
            "In-process medians; the reference of each app is named in the tables below.",
            "",
            *_summary(results, scenarios),
            "",
            "## In-process, per request",
        ]
        lines += _section(results, Interface.ASGI, "ASGI (Starlette)", scenarios)
        lines += _section(results, Interface.WSGI, "WSGI (Flask)", scenarios)
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
            f"by `{results.load_generator}`; the median over rounds, small state. The write "
            "scenario resends the same cookie.",
            "",
            *end_to_end,
        ]
    return "\n".join(lines) + "\n"
