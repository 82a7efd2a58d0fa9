"""Serve the coatcheck demo app on http://127.0.0.1:8000 (what ``nox -s demo`` runs).

nox -s demo                              # Starlette app, CookieStore (no server needed)
nox -s demo -- --store memory            # ... with MemoryStore
nox -s demo -- --store sqlite            # ... with the SQLite store from sqlite_store.py
nox -s demo -- --redis redis://127.0.0.1:6379/0
nox -s demo -- --flask                   # the same app in Flask
nox -s demo -- --embed                   # the core driven by http.server (embed_stdlib.py)
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
    parser.add_argument("--store", choices=("cookie", "memory", "sqlite"), default="cookie")
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

    from examples.asgi_app import create_app

    asgi_app = create_app(_store(args, asynchronous=True))
    print(f"coatcheck demo (Starlette) on {url}", flush=True)
    uvicorn.run(asgi_app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
