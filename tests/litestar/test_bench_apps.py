"""The Litestar bench group (benchmarks/litestar_apps.py) builds, behaves and reports."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import main
from benchmarks.analysis import Results
from benchmarks.app_spec import app_named
from benchmarks.in_process import InProcessSettings, run_interface
from benchmarks.litestar_apps import LITESTAR_APPS
from benchmarks.scenarios import Scenario, StateSize

TINY = InProcessSettings(
    rounds=1,
    requests=3,
    scenarios=(Scenario.READ, Scenario.WRITE),
    sizes=(StateSize.SMALL,),
)


def test_every_app_passes_the_correctness_check_and_has_its_own_floor() -> None:
    specs = [app_named(spec.name) for spec in LITESTAR_APPS]  # as the catalogue has them
    runs = run_interface(specs, TINY, None)
    assert [run.note for run in runs] == [None] * len(LITESTAR_APPS)
    results = Results(runs=runs)
    assert results.floor_name("Litestar") == "litestar-bare"
    for spec in LITESTAR_APPS:
        if not spec.is_floor:
            assert results.overhead(spec.name, Scenario.READ, StateSize.SMALL) is not None
    assert {spec.reference for spec in LITESTAR_APPS if spec.coatcheck} == {
        "litestar-client-side",
        "litestar-server-side-memory",
    }


def test_the_harness_reports_the_litestar_table(tmp_path: Path) -> None:
    tiny = ["--requests", "3", "--rounds", "1", "--scenarios", "read", "--sizes", "small"]
    output = ["--output", str(tmp_path), "--no-chart"]
    assert main(["--groups", "asgi", "--apps", "*litestar*", *tiny, *output]) == 0
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "### Litestar" in report
    assert "| **coatcheck-litestar-cookie** | litestar-client-side |" in report
    assert "| **coatcheck-litestar-memory** | litestar-server-side-memory |" in report
