"""The peer run's verdict: green only when exactly the expected tests ran and all passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from .verdict import Verdict, read_junit

_CASES = {
    "passed": "",
    "failure": '<failure message="assert False">trace</failure>',
    "error": '<error message="fixture failed">trace</error>',
    "skipped": '<skipped type="pytest.skip" message="no">skip</skipped>',
}


def _junit(tmp_path: Path, outcomes: list[str]) -> Path:
    cases = "".join(
        f'<testcase classname="tests.test_session" name="test_{index}" time="0.01">'
        f"{_CASES[outcome]}</testcase>"
        for index, outcome in enumerate(outcomes)
    )
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" tests="{len(outcomes)}">{cases}</testsuite></testsuites>'
    )
    return path


def test_every_expected_test_passing_is_green(tmp_path: Path) -> None:
    outcomes = read_junit(_junit(tmp_path, ["passed"] * 3))
    assert outcomes == tuple((f"tests.test_session::test_{i}", "passed") for i in range(3))
    verdict = Verdict("peer==1.0", 3, 0, outcomes)
    assert verdict.passed
    assert verdict.summary() == (
        "PASS peer==1.0: 3 ran (3 passed), 3 expected to pass; pytest exited 0"
    )


@pytest.mark.parametrize("outcome", ["failure", "error", "skipped"])
def test_one_test_not_passing_fails_the_run_and_is_named(tmp_path: Path, outcome: str) -> None:
    verdict = Verdict(
        "peer==1.0", 3, 0, read_junit(_junit(tmp_path, ["passed", outcome, "passed"]))
    )
    assert not verdict.passed
    assert verdict.not_passed() == [f"{outcome} tests.test_session::test_1"]
    assert verdict.summary().splitlines()[1] == f"  {outcome} tests.test_session::test_1"


@pytest.mark.parametrize("ran", [0, 2, 4])
def test_another_number_of_tests_fails_the_run(tmp_path: Path, ran: int) -> None:
    verdict = Verdict("peer==1.0", 3, 0, read_junit(_junit(tmp_path, ["passed"] * ran)))
    assert not verdict.passed
    assert f"{ran} ran" in verdict.summary()


def test_a_failed_pytest_run_fails_even_with_a_green_report(tmp_path: Path) -> None:
    assert not Verdict("peer==1.0", 3, 1, read_junit(_junit(tmp_path, ["passed"] * 3))).passed


def test_a_run_without_a_report_ran_nothing(tmp_path: Path) -> None:
    assert read_junit(tmp_path / "missing.xml") == ()
    assert not Verdict("peer==1.0", 3, 4, ()).passed
