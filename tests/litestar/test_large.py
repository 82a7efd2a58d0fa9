"""Sessions too big for a cookie, and other errors found as the response starts.

Litestar's client-side backend splits a session over 4 KB across several cookies
(``session-0``, ``session-1``, ...). coatcheck keeps one cookie: a `CookieStore` session
whose cookie would pass 4096 bytes raises `coatcheck.SessionTooLarge` when the response
starts, which Litestar answers like any exception (a 500, or your exception handler's
answer), with no cookie; server-side stores keep any size behind one short cookie.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get, post

from coatcheck import CookieStore, MemoryStore, SessionStoreError, SessionTooLarge
from coatcheck_asgi import Scope
from coatcheck_testing import RecordingStore

from .helpers import client_for, session_config, set_cookies


@post("/big")
async def big(request: Request[Any, Any, Any]) -> None:
    request.session["blob"] = "x" * 5000


@post("/small")
async def small(request: Request[Any, Any, Any]) -> None:
    request.session["n"] = 1


@get("/state")
async def state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.session


HANDLERS = [big, small, state]


def test_a_cookie_store_session_over_4_kb_is_refused_with_no_cookie() -> None:
    with client_for(HANDLERS, session_config(CookieStore())) as client:
        client.post("/small")
        response = client.post("/big")
        assert response.status_code == 500
        assert set_cookies(response) == []
        # The session as it was is still there: nothing was written.
        assert client.get("/state").json() == {"n": 1}


def test_an_exception_handler_can_answer_session_too_large() -> None:
    def too_large(request: Request[Any, Any, Any], error: Exception) -> Response[str]:
        assert isinstance(error, SessionTooLarge)
        assert "blob" in str(error)  # it names the biggest keys
        return Response("session too large", status_code=413, media_type=MediaType.TEXT)

    config = session_config(CookieStore())
    with client_for(HANDLERS, config, exception_handlers={SessionTooLarge: too_large}) as client:
        response = client.post("/big")
        assert (response.status_code, response.text) == (413, "session too large")
        assert set_cookies(response) == []


def test_a_server_side_store_keeps_a_large_session_behind_one_cookie() -> None:
    with client_for(HANDLERS, session_config(MemoryStore())) as client:
        (cookie,) = set_cookies(client.post("/big"))
        assert len(cookie) < 200
        assert client.get("/state").json() == {"blob": "x" * 5000}


def test_a_failing_store_answers_500_without_the_handler_response() -> None:
    store = RecordingStore(fail_on={"save"})
    with client_for(HANDLERS, session_config(store)) as client:
        response = client.post("/small")
        assert response.status_code == 500
        assert set_cookies(response) == []


def test_on_error_answers_a_failing_store() -> None:
    async def answer(scope: Scope, error: SessionStoreError) -> Any:
        return Response("try again later", status_code=503, media_type=MediaType.TEXT)

    store = RecordingStore(fail_on={"load"})
    with client_for(HANDLERS, session_config(store, on_error=answer)) as client:
        store.fail_on = set()
        client.post("/small")
        store.fail_on = {"load"}
        response = client.get("/state")
        assert (response.status_code, response.text) == (503, "try again later")
