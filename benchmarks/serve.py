"""Serve one benchmarked app on 127.0.0.1 for the end-to-end run.

ASGI apps run under uvicorn (one process; uvloop and httptools when installed, as in
production)::

    python -m benchmarks.serve --app coatcheck-asgi-cookie --port 8001

WSGI apps run under gunicorn (one process, the ``gthread`` worker for keep-alive),
which imports `wsgi_app` and builds the app named by the environment::

    BENCH_APP=flask-session python -m gunicorn 'benchmarks.serve:wsgi_app()' ...
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .app_spec import AppSpec, BuildContext, Interface

__all__ = ["app_named", "gunicorn_command", "main", "wsgi_app"]

APP_VARIABLE = "BENCH_APP"
REDIS_VARIABLE = "BENCH_REDIS_URL"


def app_named(name: str) -> AppSpec:
    """The spec of the app called ``name``."""
    from .asgi_apps import ASGI_APPS
    from .wsgi_apps import WSGI_APPS

    for spec in (*ASGI_APPS, *WSGI_APPS):
        if spec.name == name:
            return spec
    raise SystemExit(f"no benchmarked app is called {name!r}")


def wsgi_app() -> Any:
    """Gunicorn's app factory: the WSGI app named by ``BENCH_APP``."""
    spec = app_named(os.environ[APP_VARIABLE])
    return spec.build(BuildContext(redis_url=os.environ.get(REDIS_VARIABLE)))


def gunicorn_command(port: int) -> list[str]:
    """The command line that serves `wsgi_app` on ``port``."""
    return [
        sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread",
        "--threads", "2", "--keep-alive", "30", "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning", "benchmarks.serve:wsgi_app()",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Serve an ASGI app with uvicorn until terminated."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url")
    args = parser.parse_args(argv)
    spec = app_named(args.app)
    if spec.interface is not Interface.ASGI:
        raise SystemExit(f"{spec.name} is a WSGI app: serve it with gunicorn_command()")
    app = spec.build(BuildContext(redis_url=args.redis_url))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
