"""The core comes in two builds: pure Python, and the per-request modules compiled by mypyc.

The list of compiled modules lives in ``packages/core/pyproject.toml`` (the build hook's
``include``). ``nox -s tests`` says which build it installed through ``COATCHECK_BUILD``
(``pure`` or ``compiled``); a plain ``pytest`` run expects the default, pure one, and a
developer who installed the compiled core says so with ``COATCHECK_BUILD=compiled``.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "packages" / "core"
BUILDS = ("pure", "compiled")


def _listed() -> list[str]:
    """The modules the build hook compiles, as dotted names."""
    config = tomllib.loads((CORE / "pyproject.toml").read_text())
    hook = config["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["mypyc"]
    names = []
    for path in hook["include"]:
        assert path.startswith("src/") and path.endswith(".py"), path
        names.append(path.removeprefix("src/").removesuffix(".py").replace("/", "."))
    return names


def _all_modules() -> list[str]:
    package = CORE / "src" / "coatcheck"
    return sorted(f"coatcheck.{path.stem}" for path in package.glob("*.py"))


def _is_compiled(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return spec.origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _expected_build() -> str:
    build = os.environ.get("COATCHECK_BUILD", "pure")
    assert build in BUILDS, f"COATCHECK_BUILD={build!r}: expected one of {BUILDS}"
    return build


def test_the_hook_lists_existing_modules_of_the_core() -> None:
    listed = _listed()
    assert listed, "the build hook compiles nothing"
    assert sorted(set(listed)) == sorted(listed), "a module is listed twice"
    assert set(listed) <= set(_all_modules())


@pytest.mark.parametrize("module", _listed())
def test_each_listed_module_is_of_the_installed_build(module: str) -> None:
    assert _is_compiled(module) == (_expected_build() == "compiled"), (
        f"{module} is {'compiled' if _is_compiled(module) else 'pure'}, but the session "
        f"installed the {_expected_build()} build (COATCHECK_BUILD)"
    )


def test_the_modules_left_out_stay_interpreted_in_either_build() -> None:
    # Session is subclassed by the Flask adapter and by users, the stores by the testing
    # kit's fault injectors: an interpreted class cannot subclass a compiled one.
    left_out = [module for module in _all_modules() if module not in _listed()]
    assert "coatcheck._session" in left_out
    assert [module for module in left_out if _is_compiled(module)] == []
