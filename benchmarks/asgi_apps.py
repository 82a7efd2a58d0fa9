"""The ASGI apps: one Starlette app, bare or behind one session middleware.

Every app has the same routes (see `scenarios`) and the same Starlette stack; only the
middleware differs. Lazy variants load the session explicitly in the handlers that use
it, the way their documentation asks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .app_spec import ACK_TIMEOUT, AppSpec, BuildContext, Family, Interface, farther_away
from .scenarios import (
    READ_KEY,
    SECRET,
    WRITE_KEY,
    Scenario,
    StateSize,
    next_write_value,
    state_for,
    throttled_config,
)

__all__ = ["ASGI_APPS", "FRAMEWORK"]

FRAMEWORK = "Starlette"

Loader = Callable[[Request], Awaitable[object]]
_OK = "ok"


def _routes(load: Loader | None) -> list[Route]:
    """The scenario routes, touching ``request.session`` (after ``load``, if lazy)."""

    async def untouched(request: Request) -> Response:
        return PlainTextResponse(_OK)

    async def read(request: Request) -> Response:
        if load is not None:
            await load(request)
        return PlainTextResponse(str(request.session[READ_KEY]))

    async def write(request: Request) -> Response:
        if load is not None:
            await load(request)
        request.session[WRITE_KEY] = next_write_value()
        return PlainTextResponse(_OK)

    def create(size: StateSize) -> Callable[[Request], Awaitable[Response]]:
        state = state_for(size)

        async def handler(request: Request) -> Response:
            if load is not None:
                await load(request)
            request.session.update(state)
            return PlainTextResponse(_OK)

        return handler

    async def visits(request: Request) -> Response:
        # Only the harness's correctness check calls this (it is the last route).
        if load is not None:
            await load(request)
        return PlainTextResponse(str(request.session.get(WRITE_KEY)))

    return [
        Route("/untouched", untouched),
        Route("/read", read),
        Route("/write", write),
        Route("/create-small", create(StateSize.SMALL)),
        Route("/create-medium", create(StateSize.MEDIUM)),
        Route("/visits", visits),
    ]


def _bare_routes() -> list[Route]:
    """The same routes doing the same non-session work: the floor."""
    value = str(state_for(StateSize.SMALL)[READ_KEY])

    async def constant(request: Request) -> Response:
        return PlainTextResponse(_OK)

    async def read(request: Request) -> Response:
        return PlainTextResponse(value)

    async def write(request: Request) -> Response:
        next_write_value()
        return PlainTextResponse(_OK)

    return [
        Route("/untouched", constant),
        Route("/read", read),
        Route("/write", write),
        Route("/create-small", constant),
        Route("/create-medium", constant),
        Route("/visits", constant),
    ]


def _starlette(routes: list[Route], middleware: Sequence[Middleware] = ()) -> Starlette:
    return Starlette(routes=routes, middleware=list(middleware))


def _bare(context: BuildContext) -> Any:
    return _starlette(_bare_routes())


def _starlette_session(context: BuildContext) -> Any:
    from starlette.middleware.sessions import SessionMiddleware

    return _starlette(_routes(None), [Middleware(SessionMiddleware, secret_key=SECRET)])


def _starsessions_cookie(context: BuildContext) -> Any:
    from starsessions import CookieStore, SessionAutoloadMiddleware, SessionMiddleware

    return _starlette(
        _routes(None),
        [
            Middleware(SessionMiddleware, store=CookieStore(SECRET), cookie_https_only=False),
            Middleware(SessionAutoloadMiddleware),
        ],
    )


def _starsessions_redis(*, lazy: bool, rtt: float = 0.0) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        from redis.asyncio import Redis
        from starsessions import SessionAutoloadMiddleware, SessionMiddleware, load_session
        from starsessions.stores.redis import RedisStore

        assert context.redis_url is not None
        client = Redis.from_url(context.redis_url_with(rtt=rtt))
        context.on_close(client.aclose)
        store = RedisStore(connection=client)
        middleware = [Middleware(SessionMiddleware, store=store, cookie_https_only=False)]
        if not lazy:
            middleware.append(Middleware(SessionAutoloadMiddleware))
        return _starlette(_routes(load_session if lazy else None), middleware)

    return build


def _coatcheck(
    store_kind: str, *, lazy: bool = False, rtt: float = 0.0, ack: int = 0, throttled: bool = False
) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        from coatcheck import CookieStore, Key, MemoryStore
        from coatcheck_asgi import SessionMiddleware, load_session

        store: Any
        if store_kind == "cookie":
            store = CookieStore()
        elif store_kind == "memory":
            store = MemoryStore()
        else:
            from coatcheck_redis import AsyncRedisStore

            assert context.redis_url is not None
            url = context.redis_url_with(rtt=rtt, replica=ack > 0)
            store = AsyncRedisStore.from_url(url, min_replicas_ack=ack, ack_timeout=ACK_TIMEOUT)
            context.on_close(store.aclose)
        middleware = Middleware(
            SessionMiddleware,
            store=store,
            key=Key.derive_from(SECRET),
            config=throttled_config() if throttled else None,
            lazy=lazy,
        )
        return _starlette(_routes(load_session if lazy else None), [middleware])

    return build


_STARLETTE = "starlette"
_STARSESSIONS_REDIS = "starsessions-redis"
_STARSESSIONS_REDIS_LAZY = "starsessions-redis-lazy"
ASGI_APPS: tuple[AppSpec, ...] = (
    AppSpec(
        "asgi-bare",
        Interface.ASGI,
        Family.FLOOR,
        _bare,
        requires=("starlette",),
        description="Starlette app, no session middleware (the floor)",
    ),
    AppSpec(
        _STARLETTE,
        Interface.ASGI,
        Family.COOKIE,
        _starlette_session,
        requires=("starlette", "itsdangerous"),
        reference=_STARLETTE,
        description="starlette.middleware.sessions.SessionMiddleware (signed cookie)",
    ),
    AppSpec(
        "starsessions-cookie",
        Interface.ASGI,
        Family.COOKIE,
        _starsessions_cookie,
        requires=("starsessions",),
        reference=_STARLETTE,
        description="starsessions CookieStore with SessionAutoloadMiddleware",
    ),
    AppSpec(
        _STARSESSIONS_REDIS,
        Interface.ASGI,
        Family.REDIS,
        _starsessions_redis(lazy=False),
        requires=("starsessions", "redis"),
        reference=_STARSESSIONS_REDIS,
        description="starsessions RedisStore with SessionAutoloadMiddleware (eager)",
    ),
    AppSpec(
        _STARSESSIONS_REDIS_LAZY,
        Interface.ASGI,
        Family.REDIS,
        _starsessions_redis(lazy=True),
        requires=("starsessions", "redis"),
        reference=_STARSESSIONS_REDIS_LAZY,
        description="starsessions RedisStore, load_session() in the handlers that use it",
    ),
    AppSpec(
        "coatcheck-asgi-cookie",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("cookie"),
        requires=("coatcheck", "coatcheck_asgi"),
        reference=_STARLETTE,
        coatcheck=True,
        description="coatcheck_asgi.SessionMiddleware, CookieStore (AES-GCM)",
    ),
    AppSpec(
        "coatcheck-asgi-memory",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("memory"),
        requires=("coatcheck", "coatcheck_asgi"),
        reference=_STARLETTE,
        coatcheck=True,
        description="coatcheck_asgi.SessionMiddleware, MemoryStore",
    ),
    AppSpec(
        "coatcheck-asgi-redis",
        Interface.ASGI,
        Family.REDIS,
        _coatcheck("redis"),
        requires=("coatcheck", "coatcheck_asgi", "coatcheck_redis"),
        reference=_STARSESSIONS_REDIS,
        coatcheck=True,
        description="coatcheck_asgi.SessionMiddleware, AsyncRedisStore (eager load)",
    ),
    AppSpec(
        "coatcheck-asgi-redis-lazy",
        Interface.ASGI,
        Family.REDIS,
        _coatcheck("redis", lazy=True),
        requires=("coatcheck", "coatcheck_asgi", "coatcheck_redis"),
        reference=_STARSESSIONS_REDIS_LAZY,
        coatcheck=True,
        description="coatcheck_asgi.SessionMiddleware(lazy=True), AsyncRedisStore",
    ),
    AppSpec(
        "coatcheck-asgi-redis-ack1",
        Interface.ASGI,
        Family.REDIS,
        _coatcheck("redis", ack=1),
        requires=("coatcheck", "coatcheck_asgi", "coatcheck_redis"),
        reference=_STARSESSIONS_REDIS,
        coatcheck=True,
        description="as coatcheck-asgi-redis, min_replicas_ack=1 (WAIT after each write)",
        scenarios=(Scenario.WRITE, Scenario.CREATE),
    ),
    AppSpec(
        "coatcheck-asgi-memory-throttled",
        Interface.ASGI,
        Family.COOKIE,
        _coatcheck("memory", throttled=True),
        requires=("coatcheck", "coatcheck_asgi"),
        reference="coatcheck-asgi-memory",
        coatcheck=True,
        description="as coatcheck-asgi-memory, ON_EVERY_REQUEST with refresh_after=0.5",
        scenarios=(Scenario.UNTOUCHED, Scenario.READ),
    ),
    AppSpec(
        "coatcheck-asgi-redis-throttled",
        Interface.ASGI,
        Family.REDIS,
        _coatcheck("redis", throttled=True),
        requires=("coatcheck", "coatcheck_asgi", "coatcheck_redis"),
        reference="coatcheck-asgi-redis",
        coatcheck=True,
        description="as coatcheck-asgi-redis, ON_EVERY_REQUEST with refresh_after=0.5",
        scenarios=(Scenario.UNTOUCHED, Scenario.READ),
    ),
    *farther_away(
        Interface.ASGI,
        (
            _STARSESSIONS_REDIS,
            lambda rtt: _starsessions_redis(lazy=False, rtt=rtt),
            ("starsessions", "redis"),
        ),
        (
            "coatcheck-asgi-redis",
            lambda rtt: _coatcheck("redis", rtt=rtt),
            ("coatcheck", "coatcheck_asgi", "coatcheck_redis"),
        ),
    ),
)
