"""The coatcheck-wsgi distribution: its version, its pin on the core, its import footprint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import coatcheck
import coatcheck_wsgi

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "wsgi"


def test_version_moves_in_lockstep_with_the_core() -> None:
    assert coatcheck_wsgi.__version__ == coatcheck.__version__
    # Read as text: tomllib is not in every Python this package supports.
    pyproject = (PACKAGE / "pyproject.toml").read_text()
    assert f'dependencies = ["coatcheck=={coatcheck.__version__}"]' in pyproject
    assert 'flask = ["flask>=3.0"]' in pyproject


def test_the_package_is_typed() -> None:
    assert (PACKAGE / "src" / "coatcheck_wsgi" / "py.typed").exists()


def test_importing_coatcheck_wsgi_does_not_import_flask() -> None:
    code = (
        "import sys, coatcheck_wsgi; "
        "print(sorted(m for m in ('flask', 'werkzeug', 'asyncio') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_importing_the_flask_integration_imports_flask() -> None:
    code = "import sys, coatcheck_wsgi.flask; print('flask' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "True"
