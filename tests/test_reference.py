"""The API reference documents every public name, as Python imports the packages.

``docs/reference_pages.py`` reads the sources statically; these tests compare its pages
with the installed packages: every public module (found by walking the packages at run
time) has its names documented, each on the page of the shallowest public module that
exports the very same object. The strict docs build then fails on any entry that does
not resolve.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

from docs.reference_pages import PublicModule, home, package_pages, pages, public_modules

MODULES = public_modules()
PAGES = pages(MODULES)
ENTRY = re.compile(r"^::: (?P<path>[\w.]+)$", re.MULTILINE)


def _runtime_public_modules() -> set[str]:
    found = set()
    for module in MODULES:
        top = module.name.split(".")[0]
        package = importlib.import_module(top)
        found.add(top)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{top}."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                found.add(info.name)
    return found


def _documented() -> set[str]:
    """Every dotted path with a reference entry, or a link to a module's own page."""
    paths: set[str] = set()
    for page, text in PAGES.items():
        paths.update(match["path"] for match in ENTRY.finditer(text))
        module = page.removesuffix(".md")
        paths.update(f"{module}.{name}" for name in re.findall(r"^## `(\w+)`$", text, re.M))
    return paths


def test_every_public_module_is_read() -> None:
    assert {module.name for module in MODULES} == _runtime_public_modules()
    for expected in (
        "coatcheck",
        "coatcheck.sansio",
        "coatcheck_testing",
        "coatcheck_testing.hypothesis",
        "coatcheck_testing.pytest",
        "coatcheck_asgi",
        "coatcheck_wsgi.flask",
    ):
        assert expected in PAGES["SUMMARY.md"]


@pytest.mark.parametrize("module", MODULES, ids=[module.name for module in MODULES])
def test_every_name_in_all_has_an_entry(module: PublicModule) -> None:
    imported: ModuleType = importlib.import_module(module.name)
    assert tuple(imported.__all__) == module.exports
    homes = home(MODULES)
    documented = _documented()
    for name in imported.__all__:
        owner = homes[module.name, name]
        assert f"{owner}.{name}" in documented, f"{module.name}.{name} has no reference entry"
        # Documented elsewhere only if it is the very same object there.
        assert getattr(importlib.import_module(owner), name) is getattr(imported, name)


def test_a_new_public_name_gets_an_entry() -> None:
    extended = [
        PublicModule(m.name, m.summary, (*m.exports, "brand_new")) if m.name == "coatcheck" else m
        for m in MODULES
    ]
    assert "::: coatcheck.brand_new" in pages(extended)["coatcheck.md"]
    assert "::: coatcheck.brand_new" not in PAGES["coatcheck.md"]


def test_every_distribution_has_a_page() -> None:
    packages = package_pages()
    for name in ("coatcheck", "coatcheck-asgi", "coatcheck-wsgi", "coatcheck-redis"):
        assert f"[{name}]({name}.md)" in packages["SUMMARY.md"]
        assert packages[f"{name}.md"].startswith('--8<-- "packages/')
