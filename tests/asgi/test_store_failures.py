"""A failing store answers 500: nothing of the app's response leaks, no cookie is set, one
error is logged on ``coatcheck``, and ``on_error`` may answer instead."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from coatcheck import CookieStore, SessionSerializationError, SessionStoreError, SessionTooLarge
from coatcheck_asgi import AnyStore, Scope, load_session
from coatcheck_asgi.testing import session_cookie

from .conftest import OpenClient
from .helpers import (
    RecordingStore,
    StoreFailure,
    async_store,
    session_app,
    set_cookies,
)

SECRET = "the app's secret body"


def failing(kind: str, method: str) -> AnyStore:
    if kind == "async":
        return async_store(fail_on={method})
    return RecordingStore(fail_on={method})


def secret_routes(store_calls: list[str]) -> list[Route]:
    """Endpoints whose own responses must never reach the client when the store fails."""

    async def read(request: Request) -> Response:
        store_calls.append("app ran")
        await load_session(request)
        request.session.get("user")
        return PlainTextResponse(SECRET, headers={"x-secret": "1"})

    async def write(request: Request) -> Response:
        store_calls.append("app ran")
        await load_session(request)
        request.session["user"] = "bob"
        return PlainTextResponse(SECRET, headers={"x-secret": "1"})

    async def renew(request: Request) -> Response:
        store_calls.append("app ran")
        await load_session(request)
        request.session.renew()  # type: ignore[attr-defined]
        return PlainTextResponse(SECRET, headers={"x-secret": "1"})

    async def stream(request: Request) -> Response:
        store_calls.append("app ran")
        request.session["user"] = "carol"

        async def body() -> AsyncIterator[str]:
            for _ in range(3):
                yield SECRET

        return StreamingResponse(body())

    return [
        Route("/read", read),
        Route("/write", write),
        Route("/renew", renew),
        Route("/stream", stream),
    ]


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "coatcheck" and record.levelno >= logging.ERROR
    ]


def assert_plain_500(response: object) -> None:
    from httpx import Response as HTTPXResponse

    assert isinstance(response, HTTPXResponse)
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert SECRET not in response.text
    assert "x-secret" not in response.headers
    assert set_cookies(response) == []


@pytest.mark.parametrize("kind", ["thread", "async"])
@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_a_failed_load_answers_500(
    client_for: OpenClient, caplog: pytest.LogCaptureFixture, kind: str, lazy: bool
) -> None:
    store = failing(kind, "load")
    calls: list[str] = []
    app = session_app(store, lazy=lazy, routes=secret_routes(calls))
    cookie = session_cookie(app, {"user": "ada"})
    with client_for(app) as client:
        client.cookies.set(*cookie)
        caplog.clear()
        response = client.get("/read")
    assert_plain_500(response)
    # Eager: the app never runs; lazy: it runs up to load_session, then is abandoned.
    assert calls == (["app ran"] if lazy else [])
    [record] = error_records(caplog)
    assert "Load" in record.getMessage()


@pytest.mark.parametrize("kind", ["thread", "async"])
@pytest.mark.parametrize(
    ("method", "path", "cookie"),
    [
        ("save", "/write", False),  # a new session
        ("update", "/write", True),  # a change to a live one
        ("renew", "/renew", True),  # renew: move the state to a new key, forward the old
        ("save", "/stream", False),  # a streaming body: its chunks must not leak either
    ],
)
def test_a_failed_commit_answers_500_instead_of_the_app(
    client_for: OpenClient,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    method: str,
    path: str,
    cookie: bool,
) -> None:
    store = failing(kind, method)
    calls: list[str] = []
    app = session_app(store, routes=secret_routes(calls))
    with client_for(app) as client:
        if cookie:
            client.cookies.set(*session_cookie(app, {"user": "ada"}))
        caplog.clear()
        response = client.get(path)
    assert_plain_500(response)
    assert calls == ["app ran"]
    assert len(error_records(caplog)) == 1


def test_on_error_answers_instead(client_for: OpenClient, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[str, type[BaseException], type[BaseException | None]]] = []

    async def on_error(scope: Scope, error: SessionStoreError) -> Response:
        seen.append((scope["path"], type(error), type(error.__cause__)))
        return PlainTextResponse("sessions are resting", status_code=503)

    store = RecordingStore(fail_on={"save"})
    app = session_app(store, on_error=on_error, routes=secret_routes([]))
    with client_for(app) as client:
        caplog.clear()
        response = client.get("/write")
    assert response.status_code == 503
    assert response.text == "sessions are resting"
    assert set_cookies(response) == []
    assert seen == [("/write", SessionStoreError, StoreFailure)]
    assert len(error_records(caplog)) == 1


def test_on_error_may_fall_back_to_the_default(client_for: OpenClient) -> None:
    async def on_error(scope: Scope, error: SessionStoreError) -> None:
        return None

    store = RecordingStore(fail_on={"save"})
    app = session_app(store, on_error=on_error, routes=secret_routes([]))
    with client_for(app) as client:
        assert_plain_500(client.get("/write"))


def test_a_lazy_failure_the_app_handles_is_its_own_answer(client_for: OpenClient) -> None:
    async def tolerant(request: Request) -> Response:
        try:
            await load_session(request)
        except SessionStoreError:
            return PlainTextResponse("degraded", status_code=200)
        return PlainTextResponse("fine")

    store = RecordingStore(fail_on={"load"})
    app = session_app(store, lazy=True, routes=[Route("/", tolerant)])
    with client_for(app) as client:
        client.cookies.set(*session_cookie(app, {"user": "ada"}))
        response = client.get("/")
    assert response.status_code == 200
    assert response.text == "degraded"
    assert set_cookies(response) == []


@pytest.mark.parametrize(
    ("value", "error"),
    [("x" * 5000, SessionTooLarge), (object(), SessionSerializationError)],
    ids=["too-large", "unserializable"],
)
def test_an_application_bug_is_not_turned_into_our_500(
    client_for: OpenClient, value: object, error: type[Exception]
) -> None:
    """They propagate: Starlette's ServerErrorMiddleware answers them."""

    async def hoard(request: Request) -> Response:
        request.session["blob"] = value
        return PlainTextResponse(SECRET)

    app = session_app(CookieStore(), routes=[Route("/", hoard)])
    with pytest.raises(error, match="'blob'"), client_for(app) as client:
        client.get("/")
    with client_for(app, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert SECRET not in response.text
    assert set_cookies(response) == []
