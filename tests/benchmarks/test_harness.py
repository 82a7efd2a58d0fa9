"""Smoke tests of the benchmark harness: it runs, with tiny counts, and writes its report.

The real benchmarks are not tests (they take minutes and their figures depend on the
machine); these only prove that ``python -m benchmarks`` still works end to end, that
every app passes the harness's own correctness check, and that the tables are built.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.analysis import Results
from benchmarks.app_spec import AppSpec, Family, Interface
from benchmarks.asgi_apps import ASGI_APPS
from benchmarks.in_process import AppRun, Case
from benchmarks.scenarios import Scenario, StateSize
from benchmarks.workload import Workload
from tests.support.processes import ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run_harness(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
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


def test_a_tiny_in_process_run_writes_the_tables_and_the_chart(tmp_path: Path) -> None:
    _run_harness(
        "--groups", "asgi,wsgi,memory",
        "--requests", "5", "--rounds", "2", "--command-requests", "5",
        "--memory-requests", "50", "--churn-sessions", "500",
        "--output", str(tmp_path),
    )  # fmt: skip
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")

    assert "## Targets (issue 6)" in report
    assert "failed its correctness check" not in report
    assert "could not be built" not in report
    assert "did not answer 200" not in report
    # The floors and the reference peers always run, every scenario and size.
    for scenario in Scenario:
        for size in StateSize:
            assert f"| {scenario.value} | {size.value} | asgi-bare |" in report
            assert f"| {scenario.value} | {size.value} | starlette |" in report
            assert f"| {scenario.value} | {size.value} | flask-session |" in report
    if _installed("coatcheck_asgi"):
        assert "| read | small | **coatcheck-asgi-cookie** |" in report
    if shutil.which("redis-server") and _installed("starsessions"):
        # starsessions (autoload) reads and writes Redis on every request.
        row = next(
            line for line in report.splitlines()
            if line.startswith("| untouched | small | starsessions-redis |")
        )  # fmt: skip
        assert "| GET + SET |" in row
    elif not shutil.which("redis-server"):
        assert "redis-server is not installed" in report
    assert "MemoryStore" in report
    assert "Untouched requests leave nothing behind" in report
    if _installed("matplotlib"):
        assert (tmp_path / "results.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.skipif(not _installed("uvicorn"), reason="uvicorn is not installed")
def test_a_tiny_end_to_end_run_reports_requests_per_second(tmp_path: Path) -> None:
    _run_harness(
        "--groups", "e2e", "--apps", "starlette", "--scenarios", "read",
        "--e2e-seconds", "1", "--e2e-rounds", "1", "--e2e-warmup", "0",
        "--load-generator", "asyncio", "--connections", "4",
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


def _case(app: str, micros: list[float]) -> Case:
    case = Case(app, Scenario.READ, StateSize.SMALL, Workload("/read", None))
    case.micros = micros
    return case


def _run(spec: AppSpec, micros: list[float]) -> AppRun:
    return AppRun(spec, driver=object(), cases=[_case(spec.name, micros)])  # type: ignore[arg-type]


def test_overheads_and_ratios_are_taken_round_by_round() -> None:
    floor, reference = ASGI_APPS[0], ASGI_APPS[1]
    assert floor.is_floor and reference.name == "starlette"
    ours = AppSpec(
        "ours", Interface.ASGI, Family.COOKIE, lambda context: None, reference="starlette"
    )
    # Round 2 ran on a machine twice as slow: per-round pairing cancels that out.
    results = Results(
        runs=[
            _run(floor, [10.0, 20.0, 10.0]),
            _run(reference, [30.0, 60.0, 30.0]),
            _run(ours, [12.0, 24.0, 12.0]),
        ]
    )

    overhead = results.overhead("ours", Scenario.READ, StateSize.SMALL)
    ratio = results.overhead_ratio("ours", "starlette", Scenario.READ, StateSize.SMALL)
    speed = results.throughput_ratio("ours", "starlette", Scenario.READ, StateSize.SMALL)

    assert overhead is not None and overhead.median == 2.0
    assert ratio is not None and ratio.median == pytest.approx(0.1)
    assert ratio.spread == pytest.approx(0.0)
    assert speed is not None and speed.median == pytest.approx(2.5)
