"""The generic WSGI middleware, through werkzeug's test client."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
from werkzeug.test import Client, TestResponse

from coatcheck import (
    CookieStore,
    Key,
    MemoryStore,
    Session,
    SessionCommittedError,
    SessionConfig,
    SessionStore,
    SessionTooLarge,
)
from coatcheck_testing import AsyncStoreWrapper, RecordingStore
from coatcheck_wsgi import ENVIRON_KEY, SessionMiddleware, get_session

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

KEY = Key.from_bytes(bytes(range(64)))
CONFIG = SessionConfig(cookie_name="sid")
HEADERS = [("Content-Type", "text/plain")]

Handler = Callable[[Session, str], None]


def session_app(handle: Handler, headers: list[tuple[str, str]] | None = None) -> WSGIApplication:
    """An app that runs ``handle(session, path)`` and answers the counter, if any."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        session = get_session(environ)
        handle(session, environ["PATH_INFO"])
        body = str(session.get("n")).encode() if environ["PATH_INFO"] != "/untouched" else b"-"
        start_response("200 OK", [*HEADERS, *(headers or [])])
        return [body]

    return app


def counter(session: Session, path: str) -> None:
    if path == "/incr":
        session["n"] = session.get("n", 0) + 1
    elif path == "/read-many":
        for _ in range(5):
            assert session["n"] >= 1
    elif path == "/logout":
        session.purge()


def with_counter(app: WSGIApplication) -> WSGIApplication:
    """``app`` at ``/``, the counter app on every other path."""
    counter_app = session_app(counter)

    def routed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chosen = app if environ["PATH_INFO"] == "/" else counter_app
        return chosen(environ, start_response)

    return routed


def client(app: WSGIApplication, store: SessionStore | CookieStore | None = None) -> Client:
    return Client(SessionMiddleware(app, store=store or MemoryStore(), key=KEY, config=CONFIG))


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_session_round_trip_with_a_cookie_the_browser_keeps() -> None:
    browser = client(session_app(counter))
    first = browser.get("/incr")
    assert first.text == "1"
    [cookie] = set_cookies(first)
    assert cookie.startswith("sid=")
    for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookie.split("; ")
    assert "Max-Age" not in cookie
    assert browser.get("/incr").text == "2"
    read = browser.get("/read")
    assert read.text == "2"
    assert set_cookies(read) == []
    assert read.headers["Vary"] == "Cookie"


def test_cookie_store_round_trip() -> None:
    browser = client(session_app(counter), CookieStore())
    browser.get("/incr")
    browser.get("/incr")
    assert browser.get("/read").text == "2"


def test_logout_removes_the_cookie() -> None:
    browser = client(session_app(counter))
    browser.get("/incr")
    [removal] = set_cookies(browser.get("/logout"))
    assert removal.startswith("sid=;")
    assert "Max-Age=0" in removal
    assert browser.get_cookie("sid") is None
    assert browser.get("/read").text == "None"


def test_untouched_requests_do_no_store_io_and_set_nothing() -> None:
    store = RecordingStore()
    browser = client(session_app(counter), store)
    browser.get("/incr")
    before = len(store.calls)
    for _ in range(3):
        response = browser.get("/untouched")
        assert set_cookies(response) == []
        assert "Vary" not in response.headers
    assert len(store.calls) == before
    browser.get("/read")
    assert store.counts["load"] == 1


def test_reading_loads_once_and_writes_nothing() -> None:
    store = RecordingStore()
    browser = client(session_app(counter), store)
    browser.get("/incr")
    store.clear()
    response = browser.get("/read-many")
    assert response.status_code == 200
    assert set_cookies(response) == []
    assert dict(store.counts) == {"load": 1}


def cookie_value(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def client_cookie(store: RecordingStore) -> str:
    """A fresh session cookie for a session holding n=1 in ``store``."""
    return cookie_value(set_cookies(client(session_app(counter), store).get("/incr"))[0])


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        ([], ["Cookie"]),
        ([("Vary", "Accept-Encoding")], ["Accept-Encoding, Cookie"]),
        ([("Vary", "Accept"), ("Vary", "Origin")], ["Accept, Cookie", "Origin"]),
        ([("Vary", "cookie")], ["cookie"]),
        ([("Vary", "Accept, Cookie")], ["Accept, Cookie"]),
        ([("Vary", "*")], ["*"]),
    ],
)
def test_vary_cookie_is_merged_exactly_once(
    app_vary: list[tuple[str, str]], expected: list[str]
) -> None:
    browser = client(session_app(counter, app_vary))
    assert browser.get("/incr").headers.getlist("Vary") == expected
    assert browser.get("/read").headers.getlist("Vary") == expected


def test_an_app_set_cookie_of_the_same_name_is_replaced() -> None:
    app = session_app(counter, [("Set-Cookie", "sid=app; Path=/"), ("Set-Cookie", "other=1")])
    response = client(app).get("/incr")
    cookies = set_cookies(response)
    assert cookies[0] == "other=1"
    assert len(cookies) == 2
    assert cookies[1].startswith("sid=") and not cookies[1].startswith("sid=app")


def test_an_app_set_cookie_stays_when_the_session_sets_none() -> None:
    app = session_app(counter, [("Set-Cookie", "sid=app; Path=/")])
    assert set_cookies(client(app).get("/untouched")) == ["sid=app; Path=/"]


def test_hostile_cookies_never_break_a_request() -> None:
    browser = client(session_app(counter))
    for junk in ("sid=garbage", "sid=" + "A" * 5000, "sid=\x00\x01;;==", 'sid="\\"; sid=; =;'):
        response = browser.get("/read", headers={"Cookie": junk})
        assert response.status_code == 200
        assert response.text == "None"
        assert set_cookies(response) == []


def test_a_cookie_under_a_rotated_key_is_accepted_and_reissued() -> None:
    old = Key.from_bytes(bytes(range(64, 128)))
    store = MemoryStore()
    before = Client(SessionMiddleware(session_app(counter), store=store, key=old, config=CONFIG))
    cookie = cookie_value(set_cookies(before.get("/incr"))[0])
    after = Client(
        SessionMiddleware(session_app(counter), store=store, key=[KEY, old], config=CONFIG)
    )
    after.set_cookie("sid", cookie)
    response = after.get("/read")
    assert response.text == "1"
    [reissued] = set_cookies(response)
    assert not reissued.startswith(f"sid={cookie};")
    only_new = Client(SessionMiddleware(session_app(counter), store=store, key=KEY, config=CONFIG))
    only_new.set_cookie("sid", cookie_value(reissued))
    assert only_new.get("/read").text == "1"


def test_an_async_store_is_rejected_at_construction() -> None:
    with pytest.raises(TypeError, match="asynchronous store"):
        SessionMiddleware(session_app(counter), store=AsyncStoreWrapper(), key=KEY)  # type: ignore[arg-type]


def test_get_session_without_the_middleware_explains() -> None:
    with pytest.raises(LookupError, match="SessionMiddleware"):
        get_session({})
    assert ENVIRON_KEY == "coatcheck.session"


# -- the WSGI protocol ---------------------------------------------------------------------


class ClosingBody:
    """An iterable with ``close()``, recording whether it was closed."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


def test_a_generator_that_starts_late_still_sets_the_cookie() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        session = get_session(environ)
        session["n"] = 41
        yield from ()
        session["n"] += 1
        start_response("200 OK", HEADERS)
        yield b"started "
        yield str(session["n"]).encode()

    browser = client(with_counter(app))
    response = browser.get("/")
    assert response.text == "started 42"
    assert len(set_cookies(response)) == 1
    assert browser.get("/read").text == "42"


def test_changes_after_start_response_raise_committed_error() -> None:
    errors: list[BaseException] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        session = get_session(environ)
        session["n"] = 1
        start_response("200 OK", HEADERS)
        try:
            session["n"] = 2
        except SessionCommittedError as exc:
            errors.append(exc)
        yield b"ok"

    browser = client(with_counter(app))
    assert browser.get("/").text == "ok"
    assert len(errors) == 1
    assert browser.get("/read").text == "1"


def test_reading_after_start_response_still_works() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", HEADERS)
        yield str(get_session(environ).get("n")).encode()

    browser = client(with_counter(app))
    browser.get("/incr")
    response = browser.get("/")
    assert response.text == "1"
    assert set_cookies(response) == []


def test_the_write_callable_works() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        get_session(environ)["n"] = 7
        write = start_response("200 OK", HEADERS)
        write(b"written ")
        return [b"returned"]

    browser = client(with_counter(app))
    response = browser.get("/")
    assert response.text == "written returned"
    assert len(set_cookies(response)) == 1
    assert browser.get("/read").text == "7"


@pytest.mark.parametrize("late", [False, True])
def test_the_apps_iterable_is_always_closed(late: bool) -> None:
    bodies: list[ClosingBody] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        get_session(environ)["n"] = 1
        if late:

            def chunks() -> Iterator[bytes]:
                start_response("200 OK", HEADERS)
                yield b"late"

            body = ClosingBody(chunks())
        else:
            start_response("200 OK", HEADERS)
            body = ClosingBody([b"early"])
        bodies.append(body)
        return body

    response = client(app).get("/", buffered=True)  # buffered: the client closes the body
    assert response.text == ("late" if late else "early")
    assert bodies[0].closed


def test_exc_info_replaces_the_response_and_keeps_the_session_cookie() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        get_session(environ)["n"] = 1
        start_response("200 OK", HEADERS)
        try:
            raise RuntimeError("rendering failed")
        except RuntimeError:
            # werkzeug's test client re-raises exc_info, as a server must once headers
            # are sent; a real server replaces unsent headers (see test_server).
            start_response("500 Internal Server Error", HEADERS, sys.exc_info())
        return [b"error page"]

    with pytest.raises(RuntimeError, match="rendering failed"):
        client(app).get("/")


# -- failures --------------------------------------------------------------------------------


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[logging.LogRecord]]:
    caplog.set_level(logging.DEBUG, logger="coatcheck")

    def records() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno >= logging.ERROR]

    return records


def assert_clean_500(response: TestResponse) -> None:
    assert response.status_code == 500
    assert response.data == b"Internal Server Error"
    assert set_cookies(response) == []
    assert "Vary" not in response.headers
    assert "X-App" not in response.headers


@pytest.mark.parametrize("late", [False, True])
def test_a_store_failure_at_load_is_a_clean_500(
    late: bool, errors: Callable[[], list[logging.LogRecord]]
) -> None:
    store = RecordingStore()
    cookie = client_cookie(store)
    store.fail_on.add("load")
    bodies: list[ClosingBody] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def chunks() -> Iterator[bytes]:
            value = get_session(environ).get("n")
            start_response("200 OK", [("X-App", "1")])
            yield f"secret {value}".encode()

        body = ClosingBody(chunks())
        bodies.append(body)
        return body if late else [next(iter(body))]

    browser = client(app, store)
    browser.set_cookie("sid", cookie)
    assert_clean_500(browser.get("/"))
    assert len(errors()) == 1
    assert errors()[0].name == "coatcheck"
    if late:
        assert bodies[0].closed


@pytest.mark.parametrize("late", [False, True])
@pytest.mark.parametrize("failing", ["save", "update", "delete"])
def test_a_store_failure_at_commit_is_a_clean_500(
    failing: str, late: bool, errors: Callable[[], list[logging.LogRecord]]
) -> None:
    store = RecordingStore()
    bodies: list[ClosingBody] = []

    def handle(session: Session) -> None:
        if failing == "save":
            session["n"] = 1
        elif failing == "update":
            session["n"] += 1
        else:
            session.purge()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def chunks() -> Iterator[bytes]:
            start_response("200 OK", [("X-App", "1")])
            yield b"secret"

        handle(get_session(environ))
        if late:
            body = ClosingBody(chunks())
        else:
            write = start_response("200 OK", [("X-App", "1")])
            write(b"secret")
            body = ClosingBody([b"secret"])
        bodies.append(body)
        return body

    browser = client(app, store)
    if failing != "save":
        browser.set_cookie("sid", client_cookie(store))
    store.fail_on.add(failing)
    assert_clean_500(browser.get("/"))
    assert len(errors()) == 1
    assert bodies[0].closed


def test_a_session_too_large_for_the_cookie_propagates() -> None:
    def handle(session: Session, path: str) -> None:
        session["big"] = "x" * 5000

    with pytest.raises(SessionTooLarge):
        client(session_app(handle), CookieStore()).get("/")
