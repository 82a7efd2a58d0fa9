"""Smoke tests of the benchmark harness: it runs, with tiny counts, and writes its report.

The real benchmarks are not tests (they take minutes and their figures depend on the
machine); these only prove that ``python -m benchmarks`` still works end to end, that
every app passes the harness's own correctness check, that the tables are built, and
that the figures are taken the way RESULTS.md says (round by round, against the bare
app of the same framework). No assertion here depends on how fast anything ran.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.analysis import Results
from benchmarks.app_spec import AppSpec, Family, Interface, all_apps, app_named
from benchmarks.drivers import Workload
from benchmarks.in_process import AppRun, Case
from benchmarks.redis_server import Commands
from benchmarks.scenarios import Scenario, StateSize
from tests.support.binaries import require_binary
from tests.support.processes import ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run_harness(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def _row(report: str, start: str) -> str:
    return next(line for line in report.splitlines() if line.startswith(start))


def _commands(report: str, app: str) -> list[str]:
    """The cells of ``app``'s row of the Redis commands table, each checked to end with
    the server's time and the client's idle time per request, and given without them."""
    row = _row(report.split("## Redis commands per request", 1)[1], f"| {app} |")
    cells = []
    for cell in row.split(" | ")[1:-1]:
        if cell in ("none", "\u2013"):
            cells.append(cell)
            continue
        commands, server, idle = cell.rsplit(", ", 2)
        assert server.endswith(" \u00b5s server") and float(server.split()[0]) > 0, cell
        assert idle.endswith(" \u00b5s idle") and float(idle.split()[0]) >= 0, cell
        cells.append(commands)
    return cells


def test_a_tiny_in_process_run_writes_the_tables_and_the_chart(tmp_path: Path) -> None:
    _run_harness(
        "--groups", "asgi,wsgi,memory",
        "--requests", "5", "--rounds", "2", "--command-requests", "5",
        "--memory-requests", "50", "--churn-sessions", "500",
        "--output", str(tmp_path),
    )  # fmt: skip
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")

    assert "## Targets (issue 11)" in report
    assert "failed its correctness check" not in report
    assert "could not be built" not in report
    assert "did not answer 200" not in report
    # The bare apps and the reference peers always run, every scenario and size.
    bare = "(bare app: total)"
    always = (f"| asgi-bare | {bare} |", "| starlette | starlette |",
              f"| flask-bare | {bare} |", "| flask-session | flask-session |")  # fmt: skip
    for row in always:
        cells = _row(report, row).split(" | ")[2:]
        assert len(cells) == len(Scenario) * len(StateSize), row
        assert "\u2013" not in " ".join(cells), row
    ours = _row(report, "| **coatcheck-asgi-cookie** | starlette |")
    assert "\u2013" not in ours
    # The throttled rows measure only what they are about (untouched and read).
    throttled = _row(report, "| **coatcheck-asgi-memory-throttled** | coatcheck-asgi-memory |")
    assert throttled.count("\u2013") == 4
    if shutil.which("redis-server"):
        # starsessions (autoload) reads and writes Redis on every request; a coatcheck
        # read is one command, throttled or not; min_replicas_ack adds a WAIT to writes.
        # Each cell ends with the server's own time per request.
        assert _commands(report, "starsessions-redis")[:2] == ["GET + SET", "GET + SET"]
        assert _commands(report, "**coatcheck-asgi-redis**")[:2] == ["HGETALL", "HGETALL"]
        throttled_commands = _commands(report, "**coatcheck-asgi-redis-throttled**")
        assert throttled_commands[:2] == ["HGETALL", "HGETALL"]
        assert "WAIT" in _row(report, "| **coatcheck-flask-redis-ack1** | \u2013 |")
        assert _row(report, "| **coatcheck-asgi-redis-rtt2ms** | starsessions-redis-rtt2ms |")
    else:
        assert "redis-server is not installed" in report
    assert "MemoryStore" in report
    assert "Untouched requests leave nothing behind" in report
    if _installed("matplotlib"):
        assert (tmp_path / "results.png").read_bytes().startswith(PNG_MAGIC)


def test_a_tiny_end_to_end_run_reports_requests_per_second(tmp_path: Path) -> None:
    require_binary("wrk")
    _run_harness(
        "--groups", "e2e", "--apps", "starlette", "--scenarios", "read",
        "--e2e-seconds", "1", "--e2e-rounds", "1", "--e2e-warmup", "0", "--connections", "4",
        "--output", str(tmp_path), "--no-chart",
    )  # fmt: skip
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")

    assert "## End to end" in report
    rows = {line.split(" | ")[0].lstrip("| "): line for line in report.splitlines()}
    bare, starlette = rows["asgi-bare"], rows["starlette"]
    assert "(floor)" in bare
    rate = starlette.split(" | ")[2].replace(",", "")
    assert float(rate) > 0
    assert not (tmp_path / "results.png").exists()


def _run(spec: AppSpec, micros: list[float]) -> AppRun:
    case = Case(spec.name, Scenario.READ, StateSize.SMALL, Workload("/read", None))
    case.micros = micros
    return AppRun(spec, driver=object(), cases=[case])  # type: ignore[arg-type]


def _ours(name: str, framework: str, reference: str) -> AppSpec:
    return AppSpec(
        name, Interface.ASGI, Family.COOKIE, lambda context: None, reference=reference,
        framework=framework,
    )  # fmt: skip


def test_overheads_and_ratios_are_taken_round_by_round() -> None:
    floor, reference = app_named("asgi-bare"), app_named("starlette")
    # Round 2 ran on a machine twice as slow: per-round pairing cancels that out.
    results = Results(
        runs=[
            _run(floor, [10.0, 20.0, 10.0]),
            _run(reference, [30.0, 60.0, 30.0]),
            _run(_ours("ours", floor.framework, "starlette"), [12.0, 24.0, 12.0]),
        ]
    )

    overhead = results.overhead("ours", Scenario.READ, StateSize.SMALL)
    ratio = results.overhead_ratio("ours", "starlette", Scenario.READ, StateSize.SMALL)
    speed = results.throughput_ratio("ours", "starlette", Scenario.READ, StateSize.SMALL)

    assert overhead is not None and overhead.median == 2.0
    assert ratio is not None and ratio.median == pytest.approx(0.1)
    assert ratio.spread == pytest.approx(0.0)
    assert speed is not None and speed.median == pytest.approx(2.5)


def test_each_framework_is_measured_over_its_own_bare_app() -> None:
    other_floor = AppSpec(
        "quart-bare", Interface.ASGI, Family.FLOOR, lambda context: None, framework="quart"
    )
    results = Results(
        runs=[
            _run(app_named("asgi-bare"), [10.0, 10.0, 10.0]),
            _run(other_floor, [50.0, 50.0, 50.0]),
            _run(_ours("quart-ours", "quart", "quart-ours"), [55.0, 55.0, 55.0]),
        ]
    )

    overhead = results.overhead("quart-ours", Scenario.READ, StateSize.SMALL)

    assert overhead is not None and overhead.median == 5.0


def test_an_apps_module_registers_its_apps_by_its_name_alone() -> None:
    from benchmarks.app_spec import _specs_of

    module = types.ModuleType("benchmarks.quart_apps")
    module.QUART_APPS = (  # type: ignore[attr-defined]
        AppSpec("quart-bare", Interface.ASGI, Family.FLOOR, lambda context: None),
        _ours("quart-ours", "Quart (explicit)", "quart-ours"),
    )

    found = _specs_of(module)

    assert [(spec.name, spec.framework) for spec in found] == [
        ("quart-bare", "quart"),
        ("quart-ours", "Quart (explicit)"),
    ]


def test_every_app_has_a_bare_app_and_a_reference_in_the_catalogue() -> None:
    catalogue = {spec.name: spec for spec in all_apps()}
    floors = {spec.framework for spec in catalogue.values() if spec.is_floor}

    assert {"Starlette", "Flask"} <= floors
    for spec in catalogue.values():
        assert spec.framework in floors, spec.name
        if not spec.is_floor:
            assert spec.reference in catalogue, spec.name
            assert catalogue[spec.reference].framework == spec.framework, spec.name


def test_commands_run_by_scripts_are_told_apart_from_those_sent() -> None:
    sent = Counter({"EVALSHA": 10, "HGETALL": 10})
    executed = Counter({"EVALSHA": 10, "HGETALL": 10, "HSET": 20, "EXPIRE": 10, "HMGET": 5})

    commands = Commands(sent, executed, requests=10)

    assert commands.sent_per_request == 2
    assert commands.executed_per_request == 5.5
    assert commands.detail() == "EVALSHA + HGETALL [EXPIRE + 0.5\u00d7HMGET + 2\u00d7HSET]"
    commands.server_samples += [31.4, 90.0, 28.0]
    commands.idle_samples += [40.6, 2.0, 300.0]
    assert commands.detail().endswith("2\u00d7HSET], 31 \u00b5s server, 41 \u00b5s idle")


def test_the_plain_redis_rows_are_counted_with_their_references_and_no_variant() -> None:
    from benchmarks.__main__ import INSTRUCTION_REDIS_APPS, instruction_apps

    catalogue = all_apps()
    chosen = [spec for spec in catalogue if spec.coatcheck]

    names = {spec.name for spec in instruction_apps(catalogue, chosen)}

    assert set(INSTRUCTION_REDIS_APPS) <= names
    assert {"starsessions-redis", "flask-session-redis", "asgi-bare", "flask-bare"} <= names
    assert {"coatcheck-asgi-cookie", "starlette", "coatcheck-flask-cookie"} <= names
    variants = ("-rtt1ms", "-rtt2ms", "-ack1", "-lazy", "-redis-throttled")
    assert not [name for name in names if name.endswith(variants)]


def test_instruction_counts_are_compared_over_the_bare_app() -> None:
    from benchmarks.instructions import instruction_table

    floor, reference = app_named("asgi-bare"), app_named("starlette")
    ours = _ours("ours", floor.framework, "starlette")
    read = (Scenario.READ, StateSize.SMALL)
    counts = {
        (floor.name, *read): 90_000.0,
        (reference.name, *read): 240_000.0,
        (ours.name, *read): 165_000.0,
    }

    table = instruction_table([floor, reference, ours], counts)

    assert "| asgi-bare | read | small | 90,000 | (floor) |  |" in table
    assert "| starlette | read | small | 240,000 | +150,000 |  |" in table
    assert "| ours | read | small | 165,000 | +75,000 | 0.50\u00d7 |" in table
