"""Embedding the coatcheck core in a server of your own: the standard library's http.server.

This is the whole integration a custom server or framework needs:

1. one `SessionManager` (keys, config and the store's kind) and one store for the
   application;
2. per request: ``exchange = manager.begin(cookie_header)``, hand ``exchange.session`` to
   the handler, with the store read on first use (``exchange.load_inline(store)``);
3. before the response headers go out: ``exchange.finish(status)``, run the store
   commands the exchange asks for (`coatcheck.sansio.run_commands`), then add the session's
   headers with `coatcheck.sansio.session_headers` (the ``Set-Cookie``, ``Vary: Cookie``).
   A `SessionStoreError` becomes a 500.

Run it with ``nox -s demo -- --embed`` or ``python examples/embed_stdlib.py``.
"""

from __future__ import annotations

import contextlib
import html
import os
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from coatcheck import Key, MemoryStore, Session, SessionConfig, SessionManager, SessionStoreError
from coatcheck.sansio import run_commands, session_headers

# Plain http on 127.0.0.1, so the cookie may not require HTTPS.
CONFIG = SessionConfig(cookie_name="embed_session", cookie_secure=False)


def _key() -> Key:
    encoded = os.environ.get("COATCHECK_DEMO_KEY")
    return Key.from_base64(encoded) if encoded else Key.generate()


def _page(session: Session) -> str:
    user = session.get("user")
    if user is None:
        return (
            "<h1>coatcheck, embedded in http.server</h1>"
            '<form method="post" action="/login">'
            '<label>Name <input name="user" autofocus></label> <button>Log in</button></form>'
        )
    return (
        f"<h1>Hello, {html.escape(str(user))}</h1>"
        f'<p>Counter: <span id="counter">{session.get("counter", 0)}</span></p>'
        '<form method="post" action="/count"><button>Count</button></form>'
        '<form method="post" action="/logout"><button>Log out</button></form>'
    )


def make_handler(manager: SessionManager, store: MemoryStore) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one manager and store."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._exchange(lambda session: (200, _page(session), None))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))

            def act(session: Session) -> tuple[int, str, str | None]:
                if self.path == "/login" and form.get("user", [""])[0].strip():
                    session["user"] = form["user"][0].strip()[:64]
                    session["counter"] = 0
                    session.renew()  # a new session key at login: no session fixation
                elif self.path == "/count" and "user" in session:
                    session["counter"] = session.get("counter", 0) + 1
                elif self.path == "/logout":
                    session.purge()
                return 303, "", "/"

            self._exchange(act)

        def _exchange(self, handle: Callable[[Session], tuple[int, str, str | None]]) -> None:
            cookie_headers = self.headers.get_all("Cookie") or []
            exchange = manager.begin("; ".join(cookie_headers))
            exchange.load_inline(store)
            headers = [("Content-Type", "text/html; charset=utf-8")]
            try:
                status, body, location = handle(exchange.session)
                if location is not None:
                    headers.append(("Location", location))
                if exchange.finish(status):
                    run_commands(exchange, store)
                headers = session_headers(
                    headers, exchange.set_cookie, exchange.vary, exchange.cookie_name
                )
            except SessionStoreError:
                # Already logged by coatcheck; answer 500 and set no cookie.
                status, body = 500, "session store unavailable"
                headers = [("Content-Type", "text/plain; charset=utf-8")]
            payload = body.encode("utf-8")
            self.send_response(status)
            for name, value in [*headers, ("Content-Length", str(len(payload)))]:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    return Handler


def create_server(host: str, port: int) -> ThreadingHTTPServer:
    """An http.server with coatcheck sessions in a MemoryStore."""
    store = MemoryStore()
    manager = SessionManager(key=_key(), store=store, config=CONFIG)
    return ThreadingHTTPServer((host, port), make_handler(manager, store))


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted."""
    with create_server(host, port) as server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    print("coatcheck embedded in http.server on http://127.0.0.1:8000/", flush=True)
    serve()
