"""Once the response has started the session is frozen: changes raise instead of
vanishing, reads keep working."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from coatcheck import MemoryStore, SessionCommittedError
from coatcheck_asgi.testing import session_cookie

from .conftest import OpenClient
from .helpers import session_app, set_cookies


def test_a_change_in_a_streaming_body_raises(client_for: OpenClient) -> None:
    async def stream(request: Request) -> Response:
        async def body() -> AsyncIterator[str]:
            yield "first chunk;"
            request.session["late"] = True

        return StreamingResponse(body())

    app = session_app(MemoryStore(), routes=[Route("/", stream)])
    with (
        pytest.raises(SessionCommittedError, match="after the response headers"),
        client_for(app) as client,
    ):
        client.get("/")


def test_a_change_in_a_background_task_raises(client_for: OpenClient) -> None:
    failures: list[BaseException] = []

    async def later(request: Request) -> None:
        try:
            request.session["late"] = True
        except SessionCommittedError as error:
            failures.append(error)

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("ok", background=BackgroundTask(later, request))

    app = session_app(MemoryStore(), routes=[Route("/", endpoint)])
    with client_for(app) as client:
        response = client.get("/")
    assert response.text == "ok"
    assert set_cookies(response) == []
    assert len(failures) == 1


def test_reads_after_the_start_still_work(client_for: OpenClient) -> None:
    async def stream(request: Request) -> Response:
        async def body() -> AsyncIterator[str]:
            yield "user="
            yield str(request.session.get("user"))

        return StreamingResponse(body())

    app = session_app(MemoryStore(), routes=[Route("/", stream)])
    with client_for(app) as client:
        client.cookies.set(*session_cookie(app, {"user": "ada"}))
        response = client.get("/")
    assert response.text == "user=ada"
