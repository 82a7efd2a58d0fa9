"""mkdocs-gen-files script: write the API reference and package pages (reference_pages.py).

It also warns, which fails the ``--strict`` build, about every public name without a
docstring: a reference entry without one tells the reader nothing.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import griffe
import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docs.reference_pages import (
    PACKAGES,
    REFERENCE,
    ROOT,
    home,
    package_pages,
    pages,
    public_modules,
)

log = logging.getLogger("mkdocs.plugins.gen_reference")


def _undocumented(modules: list[str], homes: dict[tuple[str, str], str]) -> list[str]:
    search_paths = [str(path) for path in sorted((ROOT / "packages").glob("*/src"))]
    loader = griffe.GriffeLoader(search_paths=search_paths)
    for top in sorted({name.split(".")[0] for name in modules}):
        loader.load(top)
    loader.resolve_aliases(implicit=True)
    missing = []
    for (module, name), owner in sorted(homes.items()):
        if owner != module or name.startswith("__"):
            continue
        obj = loader.modules_collection[f"{module}.{name}"]
        if not obj.is_module and not (obj.docstring and obj.docstring.value.strip()):
            missing.append(f"{module}.{name}")
    return missing


modules = public_modules()
for folder, generated in ((REFERENCE, pages(modules)), (PACKAGES, package_pages())):
    for path, text in generated.items():
        with mkdocs_gen_files.open(f"{folder}/{path}", "w") as page:
            page.write(text)
for name in _undocumented([module.name for module in modules], home(modules)):
    log.warning("%s is public (in __all__) but has no docstring", name)
