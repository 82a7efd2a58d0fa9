"""The distributions move in lockstep: one version, exact pins between them, one licence.

Each package keeps its version in its own ``_version.py`` (an sdist must build on its own,
so it cannot read a file outside its folder); ``nox -s version -- X.Y.Z`` writes them all.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(path.parent.name for path in (ROOT / "packages").glob("*/pyproject.toml"))


def _module(folder: str) -> str:
    (init,) = (ROOT / "packages" / folder / "src").glob("*/__init__.py")
    return init.parent.name


def _version(folder: str) -> str:
    text = (ROOT / "packages" / folder / "src" / _module(folder) / "_version.py").read_text()
    found = re.findall(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    assert len(found) == 1, f"{folder}: _version.py must hold exactly one __version__ line"
    return str(found[0])


def _nox_packages() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PACKAGES" for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return value
    raise AssertionError("noxfile.py has no PACKAGES")


def test_the_noxfile_lists_every_package() -> None:
    assert FOLDERS, "no packages/*/pyproject.toml found"
    assert sorted(_nox_packages()) == FOLDERS


def test_versions_agree_and_siblings_are_pinned_exactly() -> None:
    core = _version("core")
    distributions = {}
    for folder in FOLDERS:
        pyproject = (ROOT / "packages" / folder / "pyproject.toml").read_text()
        (name,) = re.findall(r'^name = "([^"]+)"$', pyproject, re.MULTILINE)
        distributions[folder] = (name, pyproject)
    for folder, (own_name, pyproject) in distributions.items():
        assert _version(folder) == core, folder
        requirements = pyproject.replace(f'name = "{own_name}"', "")
        for name, _ in distributions.values():
            # A requirement string: the name, extras, a version specifier, markers.
            pattern = rf'"{re.escape(name)}(?:\[[^\]]*\])?\s*([<>=!~][^";]*)?\s*(?:;[^"]*)?"'
            for pin in re.findall(pattern, requirements):
                assert pin == f"=={core}", f"packages/{folder} requires {name}{pin}, not =={core}"
        if folder != "core":
            assert f'"coatcheck=={core}"' in pyproject, folder


def test_every_package_is_typed_documented_and_licensed() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License")
    for folder in FOLDERS:
        package = ROOT / "packages" / folder
        assert (package / "src" / _module(folder) / "py.typed").exists(), folder
        assert (package / "README.md").exists(), folder
        # The sdist cannot reach the root LICENSE: each package carries a copy.
        assert (package / "LICENSE").read_text() == licence, f"packages/{folder}/LICENSE differs"
        assert 'license-files = ["LICENSE"]' in (package / "pyproject.toml").read_text(), folder


def test_the_changelog_has_a_section_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[?(\d+\.\d+\.\d+\S*?)\]? ", changelog, re.MULTILINE)
    assert _version("core") in released or re.search(
        rf"^## Unreleased \({re.escape(_version('core'))}\)", changelog, re.MULTILINE
    )


def test_installed_versions_match_the_tree() -> None:
    import coatcheck

    assert coatcheck.__version__ == _version("core")
