"""The Quart integration is optional: ``coatcheck_asgi`` imports no Quart, the extra
names it, and the module's public names are exported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import coatcheck_asgi.quart

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "asgi"


def test_coatcheck_asgi_imports_no_quart() -> None:
    code = (
        "import json, sys, coatcheck_asgi; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)))
    assert loaded.isdisjoint({"quart", "flask", "werkzeug", "hypercorn"})


def test_the_quart_extra_is_declared() -> None:
    pyproject = (PACKAGE / "pyproject.toml").read_text()
    assert 'quart = ["quart>=0.20"]' in pyproject


def test_public_names_are_exported() -> None:
    for name in coatcheck_asgi.quart.__all__:
        assert getattr(coatcheck_asgi.quart, name).__doc__, name
