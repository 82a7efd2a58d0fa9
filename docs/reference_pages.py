"""The API reference's pages, generated from the ``__all__`` of every public module.

Also one page per distribution, its README (what PyPI shows), under "Packages".

A module is public when no part of its dotted name starts with ``_``; each one must
declare ``__all__`` as a literal list. Every name in it gets a reference entry, once: on
the page of the shallowest public module that exports it (``coatcheck.testing.Clock``,
not ``coatcheck.testing.clock.Clock``). The packages are found under
``packages/*/src``, so a new distribution, module or name needs no edit here. Reading is
static (``ast``): building the docs imports nothing. ``tests/test_reference.py`` checks
the result against the modules as Python imports them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "reference"
PACKAGES = "packages"


@dataclass(frozen=True)
class PublicModule:
    """A public module: its dotted name, its docstring's first line and its ``__all__``."""

    name: str
    summary: str
    exports: tuple[str, ...]

    @property
    def page(self) -> str:
        """The reference page's path, relative to the reference folder."""
        return f"{self.name}.md"


def _exports(tree: ast.Module, path: Path) -> tuple[str, ...]:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            assert isinstance(node, ast.Assign)
            value = ast.literal_eval(node.value)
            if isinstance(value, (list, tuple)) and all(isinstance(n, str) for n in value):
                return tuple(value)
    raise ValueError(f"{path}: a public module must declare __all__ as a literal list of names")


def _module_name(src: Path, path: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def public_modules(root: Path = ROOT) -> list[PublicModule]:
    """Every public module of every package under ``packages/*/src``, sorted by name."""
    modules = []
    for src in sorted((root / "packages").glob("*/src")):
        for path in sorted(src.rglob("*.py")):
            name = _module_name(src, path)
            if any(part.startswith("_") for part in name.split(".")):
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            docstring = ast.get_docstring(tree) or ""
            summary = docstring.strip().splitlines()[0] if docstring.strip() else ""
            # "coatcheck-redis: Redis session stores" says its name twice in the table.
            summary = re.sub(r"^`?[\w.-]+`?: ", "", summary)
            modules.append(PublicModule(name, summary, _exports(tree, path)))
    return sorted(modules, key=lambda module: module.name)


def home(modules: list[PublicModule]) -> dict[tuple[str, str], str]:
    """For each ``(module, name)`` exported, the module whose page documents the name."""
    by_name = {module.name: module for module in modules}
    homes = {}
    for module in modules:
        parts = module.name.split(".")
        ancestors = [".".join(parts[:i]) for i in range(1, len(parts))]
        for name in module.exports:
            owners = [a for a in ancestors if a in by_name and name in by_name[a].exports]
            homes[module.name, name] = owners[0] if owners else module.name
    return homes


def _entry(module: PublicModule, name: str, submodules: set[str]) -> str:
    qualified = f"{module.name}.{name}"
    if qualified in submodules:
        # A module in __all__ (``coatcheck.testing.strategies``) has a page of its own.
        return f"## `{name}`\n\nThe module [`{qualified}`]({qualified}.md).\n"
    return f"::: {qualified}\n"


def pages(modules: list[PublicModule]) -> dict[str, str]:
    """The Markdown of every reference page, by path relative to the reference folder.

    ``SUMMARY.md`` is the section's navigation (for mkdocs-literate-nav) and
    ``index.md`` lists the modules.
    """
    homes = home(modules)
    names = {module.name for module in modules}
    result = {}
    listed = []
    for module in modules:
        own = [name for name in module.exports if homes[module.name, name] == module.name]
        if not own:
            continue
        listed.append(module)
        # The module's docstring under the page's title; its members follow one by one.
        docstring_only = "    options:\n      show_root_heading: false\n      members: false\n"
        lines = [f"# `{module.name}`\n", f"::: {module.name}\n{docstring_only}"]
        elsewhere = [name for name in module.exports if name not in own]
        if elsewhere:
            links = ", ".join(
                f"[`{name}`][{homes[module.name, name]}.{name}]" for name in elsewhere
            )
            lines.append(
                f"Also exported here, documented where they are first exported: {links}.\n"
            )
        lines.extend(_entry(module, name, names) for name in own)
        result[module.page] = "\n".join(lines)
    result["index.md"] = "\n".join(
        [
            "# API reference\n",
            "Every public name of every package, generated from each module's `__all__`.\n",
            "| module | |",
            "|---|---|",
            *(f"| [`{m.name}`]({m.page}) | {m.summary} |" for m in listed),
            "",
        ]
    )
    result["SUMMARY.md"] = "\n".join(
        ["* [Overview](index.md)", *(f"* [{m.name}]({m.page})" for m in listed), ""]
    )
    return result


def package_pages(root: Path = ROOT) -> dict[str, str]:
    """A page per distribution that includes its README, and their navigation."""
    result = {}
    names = []
    for pyproject in sorted((root / "packages").glob("*/pyproject.toml")):
        found = re.search(r'^name = "([^"]+)"$', pyproject.read_text(), re.MULTILINE)
        if found is None:
            raise ValueError(f"{pyproject}: no project name")
        name = found.group(1)
        readme = pyproject.parent.relative_to(root) / "README.md"
        result[f"{name}.md"] = f'--8<-- "{readme.as_posix()}"\n'
        names.append(name)
    result["SUMMARY.md"] = "\n".join(f"* [{name}]({name}.md)" for name in sorted(names)) + "\n"
    return result
