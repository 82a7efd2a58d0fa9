"""Serve the coatcheck demo app on http://127.0.0.1:8000 (what ``nox -s demo`` runs).

nox -s demo                              # Starlette app, MemoryStore (no server needed)
nox -s demo -- --store cookie            # ... with CookieStore (no "Your sessions" page)
nox -s demo -- --store sqlite            # ... with the SQLite store from sqlite_store.py
nox -s demo -- --redis redis://127.0.0.1:6379/0
nox -s demo -- --flask                   # the same app in Flask
nox -s demo -- --litestar                # a smaller demo in Litestar (log in, count, log out)
nox -s demo -- --quart                   # the same app in Quart (served by uvicorn)
nox -s demo -- --embed                   # the core driven by http.server (embed_stdlib.py)
nox -s demo -- --shared-login [--redis URL]  # Flask pages + FastAPI API, one login
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _store(args: argparse.Namespace, *, asynchronous: bool) -> Any:
    if args.redis:
        if asynchronous:
            from coatcheck_redis import AsyncRedisStore

            return AsyncRedisStore.from_url(args.redis)
        from coatcheck_redis import RedisStore

        return RedisStore.from_url(args.redis)
    if args.store == "memory":
        from coatcheck import MemoryStore

        return MemoryStore()
    if args.store == "sqlite":
        from examples.sqlite_store import SQLiteStore

        return SQLiteStore(args.sqlite_path)
    from coatcheck import CookieStore

    return CookieStore()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--flask", action="store_true", help="serve the Flask demo instead")
    parser.add_argument("--embed", action="store_true", help="serve the http.server embedding")
    parser.add_argument(
        "--shared-login",
        action="store_true",
        help="serve examples/shared_login (Flask + FastAPI, one login; Redis with --redis,\n"
        "else one in-process MemoryStore)",
    )
    parser.add_argument("--litestar", action="store_true", help="serve the Litestar demo instead")
    parser.add_argument("--quart", action="store_true", help="serve the Quart demo instead")
    parser.add_argument("--store", choices=("cookie", "memory", "sqlite"), default="memory")
    parser.add_argument("--sqlite-path", default="coatcheck-demo.sqlite3")
    parser.add_argument("--redis", metavar="URL", help="use the Redis store at URL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    url = f"http://{args.host}:{args.port}/"

    if args.embed:
        from examples.embed_stdlib import serve

        print(f"coatcheck demo (http.server, MemoryStore) on {url}", flush=True)
        serve(args.host, args.port)
        return 0

    if args.flask:
        from werkzeug.serving import run_simple

        from examples.flask_app import create_app as create_flask_app

        flask_app = create_flask_app(_store(args, asynchronous=False))
        print(f"coatcheck demo (Flask) on {url}", flush=True)
        run_simple(args.host, args.port, flask_app, threaded=True)
        return 0

    import uvicorn

    if args.shared_login:
        from examples.shared_login import demo_app

        where = "Redis" if args.redis else "one in-process MemoryStore"
        print(f"coatcheck shared login (Flask + FastAPI, {where}) on {url}", flush=True)
        uvicorn.run(demo_app(args.redis), host=args.host, port=args.port, log_level="info")
        return 0
    if args.litestar:
        from examples.litestar_app import create_app as create_litestar_app

        litestar_app = create_litestar_app(_store(args, asynchronous=True))
        print(f"coatcheck demo (Litestar) on {url}", flush=True)
        uvicorn.run(litestar_app, host=args.host, port=args.port, log_level="info")
        return 0
    if args.quart:
        from examples.quart_app import create_app as create_quart_app

        quart_app = create_quart_app(_store(args, asynchronous=True))
        print(f"coatcheck demo (Quart) on {url}", flush=True)
        uvicorn.run(quart_app, host=args.host, port=args.port, log_level="info")
        return 0

    from examples.asgi_app import create_app

    asgi_app = create_app(_store(args, asynchronous=True))
    print(f"coatcheck demo (Starlette) on {url}", flush=True)
    uvicorn.run(asgi_app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
