"""The core stays sans-IO: importing it loads no I/O, async or framework module."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "asyncio",
    "anyio",
    "trio",
    "socket",
    "ssl",
    "select",
    "selectors",
    "redis",
    "starlette",
    "flask",
    "werkzeug",
    "hypothesis",
    "http",
    "email",
    "urllib",
)


def test_importing_coatcheck_loads_nothing_forbidden() -> None:
    code = (
        "import json, sys; import coatcheck; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)))
    assert loaded.isdisjoint(FORBIDDEN), loaded & set(FORBIDDEN)
    assert "coatcheck.testing" not in loaded
