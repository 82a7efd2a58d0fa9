"""The Quart apps: one Quart app, bare or with Quart's own session or with coatcheck's.

Every app has the scenario routes (see `scenarios`) on the same Quart app; only the
session interface differs: Quart's default ``SecureCookieSessionInterface`` (a signed
cookie, the reference) or `coatcheck_asgi.quart` with a `CookieStore` (encrypted) or a
`MemoryStore`. Their overhead is taken over the bare Quart app (`FRAMEWORK`: no
``SECRET_KEY``, so Quart opens its null session, the cheapest it can do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from .app_spec import AppSpec, BuildContext, Family, Interface
from .scenarios import READ_KEY, SECRET, WRITE_KEY, StateSize, next_write_value, state_for

__all__ = ["FRAMEWORK", "QUART_APPS"]

FRAMEWORK = "Quart"

Message = dict[str, Any]
_OK = "ok"


class _AnsweredFirst:
    """Hold back the client's disconnect until the response was sent.

    Quart cancels a request's handler as soon as ``receive`` reports a disconnect, and the
    bench's driver reports one right after the (empty) body, as a client that hung up
    would. A real client waits for its answer: so does this wrapper (the same small cost
    in every Quart row).
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = asyncio.Event()

        async def held_receive() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                await answered.wait()
            return message

        async def noting_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        await self.app(scope, held_receive, noting_send)


def _quart(install: Callable[[Any], object]) -> Any:
    """The Quart app with the scenario routes; ``install`` sets up its session."""
    import quart

    app = quart.Quart("coatcheck-bench")
    app.config.update(SECRET_KEY=SECRET, SESSION_COOKIE_SECURE=False)
    install(app)
    session = quart.session

    @app.get("/untouched")
    async def untouched() -> str:
        return _OK

    @app.get("/read")
    async def read() -> str:
        return str(session[READ_KEY])

    @app.get("/write")
    async def write() -> str:
        session[WRITE_KEY] = next_write_value()
        return _OK

    def create(size: StateSize) -> Callable[[], Awaitable[str]]:
        state = state_for(size)

        async def handler() -> str:
            session.update(state)
            return _OK

        handler.__name__ = f"create_{size.value}"
        return handler

    app.get("/create-small")(create(StateSize.SMALL))
    app.get("/create-medium")(create(StateSize.MEDIUM))

    @app.get("/visits")
    async def visits() -> str:
        # Only the harness's correctness check calls this.
        return str(session.get(WRITE_KEY))

    return _AnsweredFirst(app)


def _bare(context: BuildContext) -> Any:
    """The same routes doing the same non-session work: the floor."""
    import quart

    app = quart.Quart("coatcheck-bench")
    value = str(state_for(StateSize.SMALL)[READ_KEY])

    async def constant() -> str:
        return _OK

    async def read() -> str:
        return value

    async def write() -> str:
        next_write_value()
        return _OK

    for path, handler in (("/untouched", constant), ("/read", read), ("/write", write),
                          ("/create-small", constant), ("/create-medium", constant),
                          ("/visits", constant)):  # fmt: skip
        app.add_url_rule(path, path, handler)
    return _AnsweredFirst(app)


def _quart_session(context: BuildContext) -> Any:
    return _quart(lambda app: None)  # Quart's default SecureCookieSessionInterface


def _coatcheck(store_kind: str) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        from coatcheck import CookieStore, MemoryStore
        from coatcheck_asgi.quart import init_app

        store = MemoryStore() if store_kind == "memory" else CookieStore()
        return _quart(lambda app: init_app(app, store))

    return build


_QUART_SESSION = "quart-session"
QUART_APPS: tuple[AppSpec, ...] = (
    AppSpec(
        "quart-bare",
        Interface.ASGI,
        Family.FLOOR,
        _bare,
        requires=("quart",),
        description="Quart app without SECRET_KEY (null session: the Quart floor)",
    ),
    AppSpec(
        _QUART_SESSION,
        Interface.ASGI,
        Family.COOKIE,
        _quart_session,
        requires=("quart",),
        reference=_QUART_SESSION,
        description="Quart app, Quart's SecureCookieSessionInterface (signed cookie)",
    ),
    AppSpec(
        "coatcheck-quart-cookie",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("cookie"),
        requires=("quart", "coatcheck", "coatcheck_asgi"),
        reference=_QUART_SESSION,
        coatcheck=True,
        description="Quart app, coatcheck_asgi.quart, CookieStore (AES-GCM)",
    ),
    AppSpec(
        "coatcheck-quart-memory",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("memory"),
        requires=("quart", "coatcheck", "coatcheck_asgi"),
        reference=_QUART_SESSION,
        coatcheck=True,
        description="Quart app, coatcheck_asgi.quart, MemoryStore",
    ),
)
