"""The WSGI apps: one Flask app, bare or with one session interface.

Every app has the same routes (see `scenarios`); only the session interface differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, session

from .app_spec import AppSpec, BuildContext, Family, Interface
from .scenarios import READ_KEY, SECRET, WRITE_KEY, StateSize, next_write_value, state_for

__all__ = ["WSGI_APPS"]

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


def _flask_session_redis(context: BuildContext) -> Any:
    import redis
    from flask_session import Session

    assert context.redis_url is not None
    client = redis.Redis.from_url(context.redis_url)
    context.on_close(client.close)
    app = _flask(secret=True)
    app.config["SESSION_TYPE"] = "redis"
    app.config["SESSION_REDIS"] = client
    Session(app)
    return _add_routes(app)


def _coatcheck(store_kind: str) -> Callable[[BuildContext], Any]:
    def build(context: BuildContext) -> Any:
        from coatcheck_wsgi.flask import init_app

        app = _flask(secret=True)
        if store_kind == "cookie":
            init_app(app)
        else:
            from coatcheck_redis import RedisStore

            assert context.redis_url is not None
            store = RedisStore.from_url(context.redis_url)
            context.on_close(store.close)
            init_app(app, store=store)
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
        _flask_session_redis,
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
)
