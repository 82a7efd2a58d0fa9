"""`QuartSessionInterface`: what a Quart user relies on from ``quart.session``.

Written from the behaviour Quart's own session, flash and test-client tests check (read,
not copied), plus coatcheck's stores: the settings read at request time, key rotation,
permanent sessions and refresh, ``modified``/``accessed``, flash, the test client's
``session_transaction`` and its one ``Cookie`` header per cookie, a hand-built session
handed to ``save_session``, async stores awaited and sync I/O stores off the loop.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from typing import Any

import pytest
import quart
from markupsafe import Markup
from quart.sessions import SecureCookieSession
from werkzeug.datastructures import Headers

from coatcheck import (
    CookieContentSecurity,
    CookieStore,
    MemoryStore,
    SessionConfig,
    SessionStoreError,
)
from coatcheck.sansio import AnyStore
from coatcheck_asgi.quart import QuartSession, QuartSessionInterface, QuartTaggedJSON, init_app
from coatcheck_testing import AsyncStoreWrapper, RecordingStore
from coatcheck_wsgi.flask import FlaskTaggedJSON

from .helpers import SECRET, attributes, cookie_value, interface_of, jar, make_app, set_cookies

pytestmark = pytest.mark.anyio

STORES: dict[str, Callable[[], AnyStore]] = {
    "cookie": CookieStore,
    "memory": MemoryStore,
    "async": lambda: AsyncStoreWrapper(MemoryStore()),
    "sync-io": lambda: RecordingStore(MemoryStore()),
}


@pytest.fixture(params=list(STORES))
def store(request: pytest.FixtureRequest) -> AnyStore:
    """Each kind of store: in the cookie, inline, awaited, in a worker thread."""
    made: AnyStore = STORES[request.param]()
    return made


def _errors_of(app: quart.Quart) -> list[BaseException]:
    """The unhandled errors ``app`` answers with a 500 (the same on every Quart version)."""
    errors: list[BaseException] = []

    @app.errorhandler(500)
    async def server_error(error: Any) -> tuple[str, int]:
        errors.append(error.original_exception)
        return "server error", 500

    return errors


async def text(response: Any) -> str:
    body: str = await response.get_data(as_text=True)
    return body


# -- installing ---------------------------------------------------------------------------


async def test_init_app_installs_the_interface() -> None:
    app = quart.Quart(__name__)
    interface = init_app(app)
    assert interface_of(app) is interface
    assert isinstance(interface.store, CookieStore)
    assert interface.mode.value == "cookie"


def test_a_non_store_is_refused() -> None:
    with pytest.raises(TypeError, match="store must be"):
        QuartSessionInterface(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SessionConfig"):
        QuartSessionInterface(config={"cookie_name": "x"})  # type: ignore[arg-type]


async def test_the_session_is_a_quart_session_and_a_dict() -> None:
    app = make_app()
    async with app.test_request_context("/"):
        session = quart.session._get_current_object()  # type: ignore[attr-defined]
        assert isinstance(session, QuartSession)
        assert isinstance(session, quart.sessions.SessionMixin)
        assert isinstance(session, dict)


async def test_round_trip(store: AnyStore) -> None:
    client = make_app(store).test_client()
    assert await text(await client.get("/incr")) == "1"
    assert await text(await client.get("/incr")) == "2"
    assert await text(await client.get("/read")) == "2"
    assert await text(await client.get("/clear")) == "cleared"
    assert await text(await client.get("/read")) == "None"


# -- keys -----------------------------------------------------------------------------------


async def test_no_secret_key_gives_quarts_null_session() -> None:
    app = make_app(SECRET_KEY=None)
    errors = _errors_of(app)
    client = app.test_client()
    assert await text(await client.get("/read")) == "None"  # reading a null session is fine
    response = await client.get("/incr")
    assert response.status_code == 500
    [error] = errors
    assert isinstance(error, RuntimeError) and "no secret key was set" in str(error)


async def test_a_new_secret_key_invalidates_old_cookies() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/incr")
    app.config["SECRET_KEY"] = "another secret key, also long enough"
    assert await text(await client.get("/read")) == "None"


async def test_secret_key_fallbacks_accept_old_cookies_and_reissue_them() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/incr")
    old = jar(client)["session"]
    app.config.update(SECRET_KEY="the new secret key, long enough", SECRET_KEY_FALLBACKS=[SECRET])
    response = await client.get("/read")
    assert await text(response) == "1"
    [reissued] = set_cookies(response)  # re-sealed under the new key
    assert cookie_value(reissued) != old
    # Once the old key is dropped, the re-issued cookie still works; the old one does not.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert await text(await client.get("/read")) == "1"
    client.set_cookie("localhost", "session", old)
    assert await text(await client.get("/read")) == "None"


async def test_unusable_settings_fail_only_pages_that_use_the_session() -> None:
    app = make_app(SECRET_KEY_FALLBACKS=[""])
    errors = _errors_of(app)
    client = app.test_client()
    assert (await client.get("/untouched")).status_code == 200
    response = await client.get("/incr")
    assert response.status_code == 500
    assert set_cookies(response) == []
    [error] = errors
    assert isinstance(error, ValueError)
    assert "SECRET_KEY_FALLBACKS[0] must be a non-empty" in str(error)


# -- cookie settings ------------------------------------------------------------------------


async def test_default_cookie_attributes_follow_quart() -> None:
    [cookie] = set_cookies(await make_app().test_client().get("/incr"))
    assert cookie.startswith("session=")
    assert attributes(cookie) == {"path": "/", "httponly": ""}  # a browser-session cookie


async def test_cookie_settings_are_read_at_request_time() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/incr")
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN=".example.com:8000",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="strict",
    )
    [cookie] = set_cookies(await client.get("/incr"))
    assert cookie.startswith("sid=")
    assert attributes(cookie) == {
        "domain": "example.com",
        "path": "/app",
        "secure": "",
        "samesite": "Strict",
    }


async def test_the_path_falls_back_to_application_root() -> None:
    app = make_app(APPLICATION_ROOT="/root")
    [cookie] = set_cookies(await app.test_client().get("/incr"))
    assert attributes(cookie)["path"] == "/root"


async def test_a_partitioned_cookie_is_secure() -> None:
    app = make_app(SESSION_COOKIE_PARTITIONED=True)
    [cookie] = set_cookies(await app.test_client().get("/incr"))
    assert {"partitioned", "secure"} <= attributes(cookie).keys()


async def test_overridden_cookie_getters_are_honoured() -> None:
    class PerAppName(QuartSessionInterface):
        def get_cookie_name(self, app: quart.Quart) -> str:
            return f"{app.name}-session"

    app = make_app()
    app.session_interface = PerAppName()  # type: ignore[assignment]
    [cookie] = set_cookies(await app.test_client().get("/incr"))
    assert cookie.startswith(f"{app.name}-session=")


# -- permanent sessions and refresh ---------------------------------------------------------


async def test_a_non_permanent_session_is_sent_only_on_change(store: AnyStore) -> None:
    client = make_app(store).test_client()
    assert len(set_cookies(await client.get("/incr"))) == 1
    assert set_cookies(await client.get("/read")) == []
    assert set_cookies(await client.get("/untouched")) == []


async def test_a_permanent_session_is_refreshed_on_every_request(store: AnyStore) -> None:
    app = make_app(store, PERMANENT_SESSION_LIFETIME=timedelta(hours=2))
    client = app.test_client()
    await client.get("/incr")  # an empty session sets no cookie, permanent or not
    [first] = set_cookies(await client.get("/remember"))
    assert attributes(first)["max-age"] == "7200"
    assert "expires" in attributes(first)
    [refreshed] = set_cookies(await client.get("/read"))
    assert attributes(refreshed)["max-age"] == "7200"
    [untouched] = set_cookies(await client.get("/untouched"))
    assert attributes(untouched)["max-age"] == "7200"


async def test_a_lifetime_in_seconds_is_read_as_quart_reads_it() -> None:
    client = make_app(PERMANENT_SESSION_LIFETIME=600).test_client()
    await client.get("/incr")
    [cookie] = set_cookies(await client.get("/remember"))
    assert attributes(cookie)["max-age"] == "600"


async def test_without_refresh_each_request_a_permanent_cookie_is_sent_only_on_change(
    store: AnyStore,
) -> None:
    app = make_app(store, SESSION_REFRESH_EACH_REQUEST=False)
    client = app.test_client()
    await client.get("/incr")
    assert len(set_cookies(await client.get("/remember"))) == 1
    assert set_cookies(await client.get("/read")) == []
    assert len(set_cookies(await client.get("/incr"))) == 1


async def test_permanent_is_stored_with_the_session(store: AnyStore) -> None:
    app = make_app(store)

    @app.get("/permanent")
    async def permanent() -> str:
        assert "_permanent" not in quart.session
        return str(quart.session.permanent)

    @app.get("/forget")
    async def forget() -> str:
        quart.session.permanent = False
        return "forgotten"

    client = app.test_client()
    await client.get("/incr")
    assert await text(await client.get("/permanent")) == "False"
    await client.get("/remember")
    assert await text(await client.get("/permanent")) == "True"
    [cookie] = set_cookies(await client.get("/forget"))
    assert "max-age" not in attributes(cookie)
    assert await text(await client.get("/permanent")) == "False"


async def test_clear_removes_the_cookie(store: AnyStore) -> None:
    client = make_app(store).test_client()
    await client.get("/incr")
    [removal] = set_cookies(await client.get("/clear"))
    assert attributes(removal)["max-age"] == "0"
    assert "session" not in jar(client)


# -- modified, accessed, Vary ----------------------------------------------------------------


async def test_accessed_and_modified_track_use() -> None:
    app = make_app()
    seen: dict[str, bool] = {}

    @app.get("/flags")
    async def flags() -> str:
        seen["before"] = quart.session.accessed or quart.session.modified
        quart.session.get("n")
        seen["read"] = quart.session.accessed and not quart.session.modified
        quart.session["n"] = 1
        seen["written"] = quart.session.modified
        return "-"

    await app.test_client().get("/flags")
    assert seen == {"before": False, "read": True, "written": True}


async def test_setting_modified_forces_a_save_of_an_in_place_change(store: AnyStore) -> None:
    app = make_app(store)

    @app.get("/append")
    async def append() -> str:
        quart.session.setdefault("items", [])
        quart.session["items"].append(len(quart.session["items"]))
        quart.session.modified = True
        return "-"

    @app.get("/items")
    async def items() -> str:
        return repr(quart.session.get("items"))

    client = app.test_client()
    await client.get("/append")
    await client.get("/append")
    assert await text(await client.get("/items")) == "[0, 1]"


async def test_reassigning_an_equal_value_sets_the_cookie() -> None:
    # Quart's rule, as Flask's: any assignment marks the session modified.
    app = make_app()

    @app.get("/same")
    async def same() -> str:
        quart.session["n"] = quart.session.get("n", 1)
        return "-"

    client = app.test_client()
    await client.get("/same")
    assert len(set_cookies(await client.get("/same"))) == 1


@pytest.mark.parametrize(
    ("path", "vary"), [("/untouched", None), ("/read", "Cookie"), ("/incr", "Cookie")]
)
async def test_vary_cookie_only_when_the_session_was_used(path: str, vary: str | None) -> None:
    response = await make_app().test_client().get(path)
    assert response.headers.get("Vary") == vary


async def test_changes_in_after_request_are_saved(store: AnyStore) -> None:
    app = make_app(store)

    @app.after_request
    async def stamp(response: quart.Response) -> quart.Response:
        quart.session["stamped"] = True
        return response

    @app.get("/stamped")
    async def stamped() -> str:
        return str(quart.session.get("stamped"))

    client = app.test_client()
    await client.get("/untouched")
    assert await text(await client.get("/stamped")) == "True"


async def test_an_app_set_cookie_of_the_same_name_is_replaced() -> None:
    app = make_app()

    @app.get("/both")
    async def both() -> quart.Response:
        quart.session["n"] = 1
        response = quart.Response("-")
        response.set_cookie("session", "the app's", path="/")
        response.set_cookie("other", "kept")
        return response

    cookies = set_cookies(await app.test_client().get("/both"))
    assert len(cookies) == 2
    assert any(cookie.startswith("other=kept") for cookie in cookies)
    [ours] = [cookie for cookie in cookies if cookie.startswith("session=")]
    assert "the app's" not in ours


# -- flash and the test client ---------------------------------------------------------------


async def test_flash_messages_survive_a_redirect(store: AnyStore) -> None:
    app = make_app(store)

    @app.post("/save")
    async def save() -> quart.ResponseReturnValue:
        await quart.flash("saved", "info")
        await quart.flash("<b>careful</b>", "warning")
        return quart.redirect("/show")

    @app.get("/show")
    async def show() -> list[list[str]]:
        return [list(item) for item in quart.get_flashed_messages(with_categories=True)]

    client = app.test_client()
    response = await client.post("/save", follow_redirects=True)
    assert await response.get_json() == [["info", "saved"], ["warning", "<b>careful</b>"]]
    assert await (await client.get("/show")).get_json() == []  # shown once


async def test_session_transaction_writes_and_reads(store: AnyStore) -> None:
    client = make_app(store).test_client()
    async with client.session_transaction() as session:
        assert isinstance(session, QuartSession)
        session["n"] = 41
    assert await text(await client.get("/incr")) == "42"
    async with client.session_transaction() as session:
        assert session["n"] == 42


async def test_the_cookie_is_found_among_one_header_per_cookie(store: AnyStore) -> None:
    # Quart's test client sends every cookie in a Cookie header of its own.
    client = make_app(store).test_client()
    client.set_cookie("localhost", "aaa", "1")
    await client.get("/incr")
    client.set_cookie("localhost", "zzz", "2")
    assert len(jar(client)) == 3
    assert await text(await client.get("/incr")) == "2"
    headers = Headers([("Cookie", "aaa=1"), ("Cookie", f"session={jar(client)['session']}")])
    assert await text(await make_app(store).test_client().get("/read", headers=headers)) in (
        "2",  # the cookie store: the state travels in the cookie
        "None",  # a server-side store of another app: nothing stored there
    )


@pytest.mark.parametrize(
    "value",
    [
        ("a", 1),
        b"\x00bytes",
        Markup("<b>safe</b>"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
        {" t": "a dict that looks tagged"},
        [1, {"nested": ("t", b"u")}],
    ],
    ids=repr,
)
async def test_quart_tagged_types_round_trip(value: object, store: AnyStore) -> None:
    client = make_app(store).test_client()
    async with client.session_transaction() as session:
        session["value"] = value
    async with client.session_transaction() as session:
        assert session["value"] == value
        assert type(session["value"]) is type(value)


def test_quart_and_flask_write_the_same_text() -> None:
    value = {"when": datetime(2024, 1, 2, tzinfo=timezone.utc), "pair": (1, b"x")}
    assert QuartTaggedJSON().dumps(value) == FlaskTaggedJSON().dumps(value)
    assert QuartTaggedJSON().loads(FlaskTaggedJSON().dumps(value)) == value


# -- a session save_session never opened ------------------------------------------------------


async def _saved(session: SecureCookieSession, store: AnyStore | None = None) -> quart.Response:
    app = make_app(store)
    response = quart.Response("")
    await interface_of(app).save_session(app, session, response)
    return response


async def test_a_hand_built_session_is_written_and_reads_back(store: AnyStore) -> None:
    app = make_app(store)
    interface = interface_of(app)
    session = SecureCookieSession({"something": "else"})
    session["permanent too"] = True
    session.permanent = True
    response = quart.Response("")
    await interface.save_session(app, session, response)
    [cookie] = set_cookies(response)
    parsed: SimpleCookie = SimpleCookie()
    parsed.load(cookie)
    morsel = parsed["session"]
    assert morsel["path"] == "/" and morsel["httponly"] and not morsel["secure"]
    assert morsel["max-age"] == str(31 * 24 * 3600)  # permanent, as the session said
    assert response.headers["Vary"] == "Cookie"
    async with app.test_request_context("/", headers={"Cookie": cookie.split(";")[0]}):
        opened = await interface.open_session(app, quart.request)
        assert opened is not None
        assert opened == {"something": "else", "permanent too": True}
        assert opened.permanent


async def test_a_hand_built_unmodified_session_writes_nothing() -> None:
    session = SecureCookieSession()
    session["something"] = "else"
    session.modified = False
    session.accessed = True
    response = await _saved(session)
    assert response.headers.get("Set-Cookie") is None
    assert response.headers.get("Vary") == "Cookie"
    session.accessed = False
    response = await _saved(session)
    assert response.headers.get("Set-Cookie") is None
    assert response.headers.get("Vary") is None


# -- stores -----------------------------------------------------------------------------------


async def test_an_untouched_view_costs_no_store_round_trip() -> None:
    store = RecordingStore(MemoryStore(), performs_io=False)
    client = make_app(store).test_client()
    await client.get("/incr")
    store.clear()
    await client.get("/untouched")
    assert store.calls == []


async def test_a_sync_store_that_does_io_runs_in_a_worker_thread() -> None:
    store = RecordingStore(MemoryStore())
    client = make_app(store).test_client()
    await client.get("/incr")
    await client.get("/incr")
    assert store.methods == ["save", "load", "update"]
    assert threading.get_ident() not in store.threads


async def test_no_cookie_no_store_call() -> None:
    store = RecordingStore(MemoryStore())
    await make_app(store).test_client().get("/read")
    assert store.calls == []


async def test_an_async_store_is_awaited_on_the_loop() -> None:
    calls: list[str] = []

    async def checkpoint() -> None:
        calls.append("awaited")

    client = make_app(AsyncStoreWrapper(MemoryStore(), checkpoint=checkpoint)).test_client()
    assert await text(await client.get("/incr")) == "1"
    assert await text(await client.get("/incr")) == "2"
    assert calls  # every store call went through the wrapper's awaited checkpoint


@pytest.mark.parametrize("io", [True, False], ids=["sync-io", "inline"])
async def test_a_store_failure_on_save_is_a_500_without_a_cookie(io: bool) -> None:
    store = RecordingStore(MemoryStore(), performs_io=io, fail_on={"save"})
    response = await make_app(store).test_client().get("/incr")
    assert response.status_code == 500
    assert set_cookies(response) == []


async def test_a_store_failure_on_load_fails_only_pages_that_use_the_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore(MemoryStore())
    client = make_app(store).test_client()
    await client.get("/incr")
    store.fail_on = {"load"}
    with caplog.at_level(logging.ERROR):
        assert (await client.get("/untouched")).status_code == 200
        response = await client.get("/read")
    assert response.status_code == 500
    assert set_cookies(response) == []
    store.fail_on = set()
    assert await text(await client.get("/read")) == "1"  # the cookie was kept


async def test_a_store_failure_reaches_the_apps_error_handler() -> None:
    store = RecordingStore(MemoryStore(), fail_on={"save"})
    app = make_app(store)
    errors = _errors_of(app)
    response = await app.test_client().get("/incr")
    assert (response.status_code, await text(response)) == (500, "server error")
    [error] = errors
    assert isinstance(error, SessionStoreError)
    assert set_cookies(response) == []


async def test_config_supplies_content_security_and_absolute_lifetime() -> None:
    config = SessionConfig(
        cookie_content_security=CookieContentSecurity.SIGNED, absolute_lifetime=3600
    )
    app = quart.Quart(__name__)
    app.secret_key = SECRET
    interface = init_app(app, config=config)

    @app.get("/set")
    async def set_() -> str:
        quart.session["user"] = "ada"
        return "-"

    await app.test_client().get("/set")
    manager = interface.manager_for(app)
    assert manager is not None
    assert manager.config.cookie_content_security is CookieContentSecurity.SIGNED
    assert manager.config.absolute_lifetime == timedelta(hours=1)
    assert manager.config.cookie_secure is False  # Quart's setting, not the config's default


async def test_settings_never_show_a_secret() -> None:
    app = make_app(SECRET_KEY_FALLBACKS=["an older secret value"])
    interface = interface_of(app)
    await app.test_client().get("/incr")
    for shown in (repr(interface), repr(interface.manager_for(app)), repr(interface.config)):
        assert SECRET not in shown and "an older secret" not in shown


async def test_quart_saving_again_after_a_later_failure_sends_the_same_cookie() -> None:
    store = RecordingStore(MemoryStore())
    app = make_app(store, PROPAGATE_EXCEPTIONS=False)
    failures: list[object] = []

    @quart.request_finished.connect_via(app)
    async def explode(sender: quart.Quart, response: object, **extra: Any) -> None:
        # Fails after save_session ran: Quart builds an error response and saves again.
        if not failures:
            failures.append(response)
            raise RuntimeError("finished badly")

    client = app.test_client()
    response = await client.get("/incr")
    assert response.status_code == 500
    assert len(set_cookies(response)) == 1
    assert dict(store.counts) == {"save": 1}
    assert await text(await client.get("/read")) == "1"
