"""The WSGI apps: one Flask app, bare or with one session interface.

Every app has the same routes (see `scenarios`); only the session interface differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, session

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

__all__ = ["FRAMEWORK", "WSGI_APPS"]

FRAMEWORK = "Flask"

_OK = "ok"


def _flask(*, secret: bool) -> Flask:
    app = Flask("benchmarks")
    if secret:
        app.config["SECRET_KEY"] = SECRET
    return app


def _add_routes(app: Flask) -> Flask:
    """The scenario routes, touching ``flask.session``."""

    def untouched() -> str:
        return _OK

    def read() -> str:
        return str(session[READ_KEY])

    def write() -> str:
        session[WRITE_KEY] = next_write_value()
        return _OK

    def create(size: StateSize) -> Callable[[], str]:
        state = state_for(size)

        def handler() -> str:
            session.update(state)
            return _OK

        return handler

    def visits() -> str:
        # Only the harness's correctness check calls this.
        return str(session.get(WRITE_KEY))

    app.add_url_rule("/untouched", "untouched", untouched)
    app.add_url_rule("/read", "read", read)
    app.add_url_rule("/write", "write", write)
    app.add_url_rule("/create-small", "create-small", create(StateSize.SMALL))
    app.add_url_rule("/create-medium", "create-medium", create(StateSize.MEDIUM))
    app.add_url_rule("/visits", "visits", visits)
    return app


def _add_bare_routes(app: Flask) -> Flask:
    """The same routes doing the same non-session work: the floor."""
    value = str(state_for(StateSize.SMALL)[READ_KEY])

    def constant() -> str:
        return _OK

    def read() -> str:
        return value

    def write() -> str:
        next_write_value()
        return _OK

    app.add_url_rule("/untouched", "untouched", constant)
    app.add_url_rule("/read", "read", read)
    app.add_url_rule("/write", "write", write)
    app.add_url_rule("/create-small", "create-small", constant)
    app.add_url_rule("/create-medium", "create-medium", constant)
    app.add_url_rule("/visits", "visits", constant)
    return app


def _bare(context: BuildContext) -> Any:
    # No SECRET_KEY: Flask opens its null session, the cheapest it can do.
    return _add_bare_routes(_flask(secret=False))


def _flask_session(context: BuildContext) -> Any:
    return _add_routes(_flask(secret=True))


def _flask_session_redis(*, rtt: float = 0.0) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        import redis
        from flask_session import Session

        assert context.redis_url is not None
        client = redis.Redis.from_url(context.redis_url_with(rtt=rtt))
        context.on_close(client.close)
        app = _flask(secret=True)
        app.config["SESSION_TYPE"] = "redis"
        app.config["SESSION_REDIS"] = client
        Session(app)
        return _add_routes(app)

    return build


def _coatcheck(
    store_kind: str, *, rtt: float = 0.0, ack: int = 0, throttled: bool = False
) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        from coatcheck_wsgi.flask import init_app

        app = _flask(secret=True)
        config = throttled_config() if throttled else None
        if store_kind == "cookie":
            init_app(app, config=config)
        else:
            from coatcheck_redis import RedisStore

            assert context.redis_url is not None
            url = context.redis_url_with(rtt=rtt, replica=ack > 0)
            store = RedisStore.from_url(url, min_replicas_ack=ack, ack_timeout=ACK_TIMEOUT)
            context.on_close(store.close)
            init_app(app, store=store, config=config)
        return _add_routes(app)

    return build


_FLASK = "flask-session"
_FLASK_SESSION_REDIS = "flask-session-redis"

WSGI_APPS: tuple[AppSpec, ...] = (
    AppSpec(
        "flask-bare",
        Interface.WSGI,
        Family.FLOOR,
        _bare,
        requires=("flask",),
        description="Flask app without SECRET_KEY (null session: the floor)",
    ),
    AppSpec(
        _FLASK,
        Interface.WSGI,
        Family.COOKIE,
        _flask_session,
        requires=("flask",),
        reference=_FLASK,
        description="Flask's built-in SecureCookieSessionInterface (signed cookie)",
    ),
    AppSpec(
        _FLASK_SESSION_REDIS,
        Interface.WSGI,
        Family.REDIS,
        _flask_session_redis(),
        requires=("flask_session", "redis"),
        reference=_FLASK_SESSION_REDIS,
        description="Flask-Session with SESSION_TYPE=redis (its defaults)",
    ),
    AppSpec(
        "coatcheck-flask-cookie",
        Interface.WSGI,
        Family.COOKIE,
        _coatcheck("cookie"),
        requires=("coatcheck", "coatcheck_wsgi.flask"),
        reference=_FLASK,
        coatcheck=True,
        description="coatcheck_wsgi.flask.init_app, CookieStore (AES-GCM)",
    ),
    AppSpec(
        "coatcheck-flask-redis",
        Interface.WSGI,
        Family.REDIS,
        _coatcheck("redis"),
        requires=("coatcheck", "coatcheck_wsgi.flask", "coatcheck_redis"),
        reference=_FLASK_SESSION_REDIS,
        coatcheck=True,
        description="coatcheck_wsgi.flask.init_app, RedisStore",
    ),
    AppSpec(
        "coatcheck-flask-redis-ack1",
        Interface.WSGI,
        Family.REDIS,
        _coatcheck("redis", ack=1),
        requires=("coatcheck", "coatcheck_wsgi.flask", "coatcheck_redis"),
        reference=_FLASK_SESSION_REDIS,
        coatcheck=True,
        description="as coatcheck-flask-redis, min_replicas_ack=1 (WAIT after each write)",
        scenarios=(Scenario.WRITE, Scenario.CREATE),
    ),
    AppSpec(
        "coatcheck-flask-redis-throttled",
        Interface.WSGI,
        Family.REDIS,
        _coatcheck("redis", throttled=True),
        requires=("coatcheck", "coatcheck_wsgi.flask", "coatcheck_redis"),
        reference="coatcheck-flask-redis",
        coatcheck=True,
        description="as coatcheck-flask-redis, ON_EVERY_REQUEST with refresh_after=0.5",
        scenarios=(Scenario.UNTOUCHED, Scenario.READ),
    ),
    *farther_away(
        Interface.WSGI,
        (
            _FLASK_SESSION_REDIS,
            lambda rtt: _flask_session_redis(rtt=rtt),
            ("flask_session", "redis"),
        ),
        (
            "coatcheck-flask-redis",
            lambda rtt: _coatcheck("redis", rtt=rtt),
            ("coatcheck", "coatcheck_wsgi.flask", "coatcheck_redis"),
        ),
    ),
)
