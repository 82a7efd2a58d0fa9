"""The Flask integration: every behaviour of Flask's default session that apps rely on."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from markupsafe import Markup
from werkzeug.test import TestResponse

from coatcheck import (
    CookieContentSecurity,
    CookieStore,
    MemoryStore,
    SessionConfig,
    SessionStore,
    SessionStoreError,
    SessionTooLarge,
)
from coatcheck_testing import AsyncStoreWrapper, RecordingStore
from coatcheck_wsgi.flask import (
    FlaskSession,
    FlaskSessionInterface,
    FlaskSettings,
    FlaskTaggedJSON,
    init_app,
)

SECRET = "a secret key that is long enough for hkdf"


def make_app(store: SessionStore | None = None, **config: Any) -> flask.Flask:
    """A Flask app with a few session views, on coatcheck."""
    app = flask.Flask(__name__)
    app.config.update({"SECRET_KEY": SECRET, **config})
    init_app(app, store)

    @app.get("/untouched")
    def untouched() -> str:
        return "-"

    @app.get("/read")
    def read() -> str:
        return repr(flask.session.get("n"))

    @app.get("/incr")
    def incr() -> str:
        flask.session["n"] = flask.session.get("n", 0) + 1
        return str(flask.session["n"])

    @app.get("/remember")
    def remember() -> str:
        flask.session.permanent = True
        return "remembered"

    @app.get("/clear")
    def clear() -> str:
        flask.session.clear()
        return "cleared"

    return app


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def attributes(set_cookie: str) -> dict[str, str]:
    """The cookie's attributes, by lower-case name (flags map to "")."""
    result = {}
    for part in set_cookie.split("; ")[1:]:
        name, _, value = part.partition("=")
        result[name.lower()] = value
    return result


def test_init_app_installs_the_interface() -> None:
    app = flask.Flask(__name__)
    interface = init_app(app)
    assert app.session_interface is interface
    assert isinstance(interface, FlaskSessionInterface)
    assert isinstance(interface.store, CookieStore)


def test_an_async_store_is_rejected() -> None:
    with pytest.raises(TypeError, match="asynchronous store"):
        FlaskSessionInterface(AsyncStoreWrapper())  # type: ignore[arg-type]


@pytest.mark.parametrize("store", [None, MemoryStore()], ids=["cookie", "memory"])
def test_flask_session_round_trip(store: SessionStore | None) -> None:
    client = make_app(store).test_client()
    assert client.get("/incr").text == "1"
    assert client.get("/incr").text == "2"
    assert client.get("/read").text == "2"


def test_the_session_is_a_flask_session_and_a_dict() -> None:
    app = make_app()
    with app.test_request_context():
        session = flask.session._get_current_object()  # type: ignore[attr-defined]
        assert isinstance(session, FlaskSession)
        assert isinstance(session, flask.sessions.SessionMixin)
        assert isinstance(session, dict)


# -- keys --------------------------------------------------------------------------------


def test_no_secret_key_gives_flasks_null_session() -> None:
    app = make_app(SECRET_KEY=None)
    app.testing = True
    client = app.test_client()
    assert client.get("/read").text == "None"
    with pytest.raises(RuntimeError, match="session is unavailable"):
        client.get("/incr")


def test_a_new_secret_key_invalidates_old_cookies() -> None:
    app = make_app()
    client = app.test_client()
    client.get("/incr")
    app.config["SECRET_KEY"] = "another secret key, as long as the first one"
    assert client.get("/read").text == "None"


def test_secret_key_fallbacks_accept_old_cookies_and_reissue_them() -> None:
    app = make_app()
    client = app.test_client()
    client.get("/incr")
    old_cookie = client.get_cookie("session")
    assert old_cookie is not None
    app.config["SECRET_KEY"] = "the rotated secret key, long enough as well"
    app.config["SECRET_KEY_FALLBACKS"] = [SECRET]
    response = client.get("/read")
    assert response.text == "1"
    [reissued] = set_cookies(response)
    assert not reissued.startswith(f"session={old_cookie.value};")
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/read").text == "1"


def test_a_fallback_appended_in_place_takes_effect() -> None:
    app = make_app(SECRET_KEY_FALLBACKS=[])
    client = app.test_client()
    client.get("/incr")
    app.config["SECRET_KEY"] = "the rotated secret key, long enough as well"
    assert client.get("/read").text == "None"
    app.config["SECRET_KEY_FALLBACKS"].append(SECRET)
    assert client.get("/read").text == "1"


# -- cookie settings ---------------------------------------------------------------------


def test_overridden_cookie_getters_are_honoured() -> None:
    names = iter(["first", "second"])

    class PerRequestName(FlaskSessionInterface):
        def get_cookie_name(self, app: flask.Flask) -> str:
            return next(names)

    app = make_app()
    app.session_interface = PerRequestName()
    client = app.test_client()
    assert set_cookies(client.get("/incr"))[0].startswith("first=")
    assert set_cookies(client.get("/incr"))[0].startswith("second=")


def test_default_cookie_attributes_follow_flask() -> None:
    [cookie] = set_cookies(make_app().test_client().get("/incr"))
    assert cookie.startswith("session=")
    assert attributes(cookie) == {"path": "/", "httponly": ""}


def test_cookie_settings_are_read_at_request_time() -> None:
    app = make_app()
    client = app.test_client()
    client.get("/incr")
    app.config.update(
        SESSION_COOKIE_NAME="app_session",
        SESSION_COOKIE_DOMAIN=".example.com:8080",
        SESSION_COOKIE_PATH="/my app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="strict",
    )
    [cookie] = set_cookies(client.get("/incr", base_url="https://www.example.com"))
    assert cookie.startswith("app_session=")
    # werkzeug's domain handling: no port, no leading dot; its path quoting.
    assert attributes(cookie) == {
        "path": "/my%20app",
        "domain": "example.com",
        "secure": "",
        "samesite": "Strict",
    }


def test_the_path_falls_back_to_application_root() -> None:
    app = make_app(APPLICATION_ROOT="/shop")
    [cookie] = set_cookies(app.test_client().get("/incr"))
    assert attributes(cookie)["path"] == "/shop"


def test_a_partitioned_cookie_is_secure() -> None:
    app = make_app(SESSION_COOKIE_PARTITIONED=True, SESSION_COOKIE_SAMESITE="None")
    [cookie] = set_cookies(app.test_client().get("/incr"))
    assert {"partitioned", "secure"} <= attributes(cookie).keys()
    assert attributes(cookie)["samesite"] == "None"


def test_an_invalid_samesite_raises_value_error() -> None:
    app = make_app(SESSION_COOKIE_SAMESITE="sometimes")
    app.testing = True
    with pytest.raises(ValueError, match="SESSION_COOKIE_SAMESITE"):
        app.test_client().get("/incr")


# -- permanent and lifetimes -------------------------------------------------------------


def test_a_non_permanent_session_is_a_browser_cookie_sent_only_on_change() -> None:
    client = make_app().test_client()
    [cookie] = set_cookies(client.get("/incr"))
    assert "max-age" not in attributes(cookie)
    assert "expires" not in attributes(cookie)
    assert set_cookies(client.get("/read")) == []
    assert set_cookies(client.get("/untouched")) == []


def test_a_permanent_session_is_refreshed_on_every_request() -> None:
    client = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=2)).test_client()
    client.get("/incr")
    [cookie] = set_cookies(client.get("/remember"))
    assert attributes(cookie)["max-age"] == "7200"
    assert "expires" in attributes(cookie)
    for path in ("/read", "/untouched"):
        [refreshed] = set_cookies(client.get(path))
        assert attributes(refreshed)["max-age"] == "7200"
    assert client.get("/read").text == "1"


def test_without_refresh_each_request_a_permanent_cookie_is_sent_only_on_change() -> None:
    client = make_app(
        PERMANENT_SESSION_LIFETIME=600, SESSION_REFRESH_EACH_REQUEST=False
    ).test_client()
    client.get("/incr")
    [cookie] = set_cookies(client.get("/remember"))
    assert attributes(cookie)["max-age"] == "600"
    assert set_cookies(client.get("/read")) == []
    assert set_cookies(client.get("/untouched")) == []
    [changed] = set_cookies(client.get("/incr"))
    assert attributes(changed)["max-age"] == "600"


def test_permanent_is_stored_with_the_session() -> None:
    app = make_app()

    @app.get("/flags")
    def flags() -> str:
        return repr(flask.session.permanent)

    @app.get("/forget")
    def forget() -> str:
        flask.session.permanent = False
        return "forgotten"

    client = app.test_client()
    client.get("/incr")
    assert client.get("/flags").text == "False"
    client.get("/remember")
    assert client.get("/flags").text == "True"
    [cookie] = set_cookies(client.get("/forget"))
    assert "max-age" not in attributes(cookie)
    assert client.get("/flags").text == "False"


# -- flags -------------------------------------------------------------------------------


def test_new_is_true_until_a_session_comes_back() -> None:
    app = make_app()

    @app.get("/new")
    def new() -> str:
        return repr(flask.session.new)

    client = app.test_client()
    assert client.get("/new").text == "True"
    client.get("/incr")
    assert client.get("/new").text == "False"


def test_accessed_and_modified_track_use() -> None:
    app = make_app()
    seen: dict[str, bool] = {}

    @app.get("/flags")
    def flags() -> str:
        session = flask.session._get_current_object()  # type: ignore[attr-defined]
        seen["modified_before"] = session.modified
        session.get("n")
        seen["accessed"] = session.accessed
        seen["modified_after_read"] = session.modified
        session["n"] = 1
        seen["modified_after_write"] = session.modified
        return "-"

    app.test_client().get("/flags")
    assert seen == {
        "modified_before": False,
        "accessed": True,
        "modified_after_read": False,
        "modified_after_write": True,
    }


def test_setting_modified_forces_a_save() -> None:
    app = make_app()

    @app.get("/touch")
    def touch() -> str:
        flask.session.modified = True
        return "-"

    client = app.test_client()
    client.get("/incr")
    assert len(set_cookies(client.get("/touch"))) == 1
    assert client.get("/read").text == "1"


def test_a_nested_value_changed_in_place_is_saved() -> None:
    app = make_app()

    @app.get("/append")
    def append() -> str:
        flask.session.setdefault("items", []).append(len(flask.session.get("items", [])))
        return repr(flask.session["items"])

    client = app.test_client()
    assert client.get("/append").text == "[0]"
    assert client.get("/append").text == "[0, 1]"
    assert client.get("/append").text == "[0, 1, 2]"


def test_clearing_the_session_removes_the_cookie() -> None:
    client = make_app().test_client()
    client.get("/incr")
    [removal] = set_cookies(client.get("/clear"))
    assert attributes(removal)["max-age"] == "0"
    assert client.get_cookie("session") is None


# -- Vary ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        (None, "Cookie"),
        ("Accept-Encoding", "Accept-Encoding, Cookie"),
        ("Cookie", "Cookie"),
        ("Origin, cookie", "Origin, cookie"),
    ],
)
def test_vary_cookie_exactly_once(app_vary: str | None, expected: str) -> None:
    app = make_app()

    @app.after_request
    def vary(response: flask.Response) -> flask.Response:
        if app_vary is not None:
            response.headers["Vary"] = app_vary
        return response

    client = app.test_client()
    for path in ("/incr", "/read"):
        assert client.get(path).headers.getlist("Vary") == [expected]
    untouched = client.get("/untouched").headers.getlist("Vary")
    assert untouched == ([] if app_vary is None else [app_vary])


# -- the request cycle ---------------------------------------------------------------------


def test_changes_in_after_request_are_saved() -> None:
    app = make_app()

    @app.after_request
    def stamp(response: flask.Response) -> flask.Response:
        flask.session["stamped"] = True
        return response

    @app.get("/stamped")
    def stamped() -> str:
        return repr(flask.session.get("stamped"))

    client = app.test_client()
    client.get("/untouched")
    assert client.get("/stamped").text == "True"


def test_an_app_set_cookie_of_the_same_name_is_replaced() -> None:
    app = make_app()

    @app.after_request
    def cookie(response: flask.Response) -> flask.Response:
        response.set_cookie("session", "from-the-app")
        response.set_cookie("theme", "dark")
        return response

    cookies = set_cookies(app.test_client().get("/incr"))
    assert len(cookies) == 2
    assert cookies[0].startswith("theme=dark")
    assert cookies[1].startswith("session=") and "from-the-app" not in cookies[1]


def test_flash_messages_survive_a_redirect() -> None:
    app = make_app()

    @app.post("/save")
    def save() -> Any:
        flask.flash("Saved.")
        flask.flash("Check your email.", "warning")
        return flask.redirect("/show")

    @app.get("/show")
    def show() -> str:
        return repr(flask.get_flashed_messages(with_categories=True))

    client = app.test_client()
    response = client.post("/save", follow_redirects=True)
    assert response.text == "[('message', 'Saved.'), ('warning', 'Check your email.')]"
    assert client.get("/show").text == "[]"


def test_session_transaction_writes_and_reads() -> None:
    client = make_app(MemoryStore()).test_client()
    with client.session_transaction() as session:
        assert dict(session) == {}
        session["n"] = 41
    assert client.get("/incr").text == "42"
    with client.session_transaction() as session:
        assert session["n"] == 42
        assert not session.new


@pytest.mark.parametrize(
    "value",
    [
        (1, "two", (3.0,)),
        b"\x00\xffbytes",
        Markup("<b>safe</b>"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        {" t": ["looks like a tag"]},
        {" di": {"x__": 1}},
        {"nested": [{" m": "not markup"}, (1, 2)]},
    ],
    ids=["tuple", "bytes", "markup", "uuid", "datetime", "tag-key", "di-key", "nested"],
)
def test_flask_tagged_types_round_trip(value: object) -> None:
    app = make_app()

    @app.get("/store")
    def store() -> str:
        flask.session["value"] = value
        return "-"

    @app.get("/check")
    def check() -> str:
        loaded = flask.session["value"]
        return repr((loaded == value, type(loaded) is type(value)))

    client = app.test_client()
    client.get("/store")
    assert client.get("/check").text == "(True, True)"


def test_the_tagged_serializer_is_deterministic() -> None:
    serializer = FlaskTaggedJSON()
    left = {"b": (1, 2), "a": {"z": b"x", "y": Markup("<i>")}}
    right = {"a": {"y": Markup("<i>"), "z": b"x"}, "b": (1, 2)}
    assert serializer.dumps(left) == serializer.dumps(right)
    assert serializer.loads(serializer.dumps(left)) == left
    assert serializer.dumps("plain") == '"plain"'


def test_reassigning_an_equal_value_sets_the_cookie_but_writes_no_value() -> None:
    """Flask's rule decides when the cookie is written (any assignment); the delta by
    value decides what the store writes (nothing but the new expiry here)."""
    store = RecordingStore()
    app = make_app(store)

    @app.get("/same")
    def same() -> str:
        flask.session["d"] = {"x": 1, "y": (2, 3)}
        return "-"

    client = app.test_client()
    client.get("/same")
    store.clear()
    response = client.get("/same")
    assert len(set_cookies(response)) == 1
    assert dict(store.counts) == {"load": 1, "update": 1}
    assert not store.deltas[-1]


# -- server-side stores --------------------------------------------------------------------


def test_an_untouched_view_costs_no_store_round_trip() -> None:
    store = RecordingStore()
    client = make_app(store).test_client()
    client.get("/incr")
    store.clear()
    for _ in range(3):
        assert client.get("/untouched").status_code == 200
    assert len(store.calls) == 0
    client.get("/read")
    assert dict(store.counts) == {"load": 1}


def test_an_untouched_permanent_session_only_moves_its_expiry() -> None:
    store = RecordingStore()
    client = make_app(store).test_client()
    client.get("/incr")
    client.get("/remember")
    store.clear()
    response = client.get("/untouched")
    assert dict(store.counts) == {"update_ttl": 1}
    assert attributes(set_cookies(response)[0])["max-age"] == str(31 * 24 * 3600)


def test_open_session_does_not_load() -> None:
    store = RecordingStore()
    app = make_app(store)
    client = app.test_client()
    client.get("/incr")
    store.clear()
    with app.test_request_context(headers={"Cookie": client_cookie_header(client)}):
        assert len(store.calls) == 0
        assert flask.session["n"] == 1
        assert store.counts["load"] == 1


def client_cookie_header(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return f"session={cookie.value}"


# -- failures --------------------------------------------------------------------------------


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[logging.LogRecord]]:
    caplog.set_level(logging.DEBUG, logger="coatcheck")

    def records() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "coatcheck" and r.levelno >= logging.ERROR]

    return records


@pytest.mark.parametrize("failing", ["load", "update"])
def test_a_store_failure_is_a_500_without_a_cookie(
    failing: str, errors: Callable[[], list[logging.LogRecord]]
) -> None:
    store = RecordingStore()
    app = make_app(store, PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True  # Flask reports the unhandled error on its own logger too
    client = app.test_client()
    client.get("/incr")
    store.fail_on.add(failing)
    response = client.get("/incr")
    assert response.status_code == 500
    assert "Internal Server Error" in response.text
    assert set_cookies(response) == []
    assert len(errors()) == 1
    store.fail_on.clear()
    assert client.get("/read").text == "1"


def test_store_failures_propagate_in_testing_mode() -> None:
    store = RecordingStore()
    app = make_app(store)
    app.testing = True
    client = app.test_client()
    client.get("/incr")
    store.fail_on.add("load")
    with pytest.raises(SessionStoreError):
        client.get("/read")


def test_save_session_is_idempotent_when_flask_saves_again_after_a_failure() -> None:
    store = RecordingStore()
    app = make_app(store, PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True
    failures: list[flask.Response] = []

    @flask.request_finished.connect_via(app)
    def explode(sender: flask.Flask, response: flask.Response, **extra: Any) -> None:
        # Fails after save_session ran: Flask builds an error response and saves again.
        if not failures:
            failures.append(response)
            raise RuntimeError("finished badly")

    client = app.test_client()
    response = client.get("/incr")
    assert response.status_code == 500
    assert len(set_cookies(response)) == 1
    assert dict(store.counts) == {"save": 1}
    assert client.get("/read").text == "1"


def test_a_failed_save_is_not_retried_by_flasks_error_response() -> None:
    store = RecordingStore()
    app = make_app(store, PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True
    client = app.test_client()
    client.get("/incr")
    store.fail_on.add("update")
    store.clear()
    response = client.get("/incr")
    assert response.status_code == 500
    assert set_cookies(response) == []
    assert dict(store.counts) == {"load": 1, "update": 1}


def test_a_session_too_large_for_the_cookie_is_an_error() -> None:
    app = make_app()
    app.testing = True

    @app.get("/big")
    def big() -> str:
        flask.session["big"] = "x" * 5000
        return "-"

    with pytest.raises(SessionTooLarge, match="'big'"):
        app.test_client().get("/big")


def test_config_supplies_content_security_and_absolute_lifetime() -> None:
    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    interface = init_app(
        app,
        config=SessionConfig(
            cookie_name="ignored",
            cookie_content_security=CookieContentSecurity.SIGNED,
            absolute_lifetime=timedelta(hours=1),
        ),
    )
    manager = interface.manager_for(app)
    assert manager is not None
    assert manager.config.cookie_name == "session"
    assert manager.config.cookie_content_security is CookieContentSecurity.SIGNED
    assert manager.config.absolute_lifetime == timedelta(hours=1)
    assert interface.manager_for(app) is manager


# -- hardening -----------------------------------------------------------------------------


def test_clear_at_logout_forgets_remember_me() -> None:
    """As in Flask, where ``permanent`` is a key that ``clear()`` removes: the next login
    on a shared computer, without "remember me", does not get a persistent cookie."""
    app = make_app(SESSION_COOKIE_SECURE=False)

    @app.get("/login")
    def login() -> str:
        flask.session["user"] = flask.request.args["user"]
        if flask.request.args.get("remember"):
            flask.session.permanent = True
        return "in"

    @app.get("/logout")
    def logout() -> str:
        flask.session.clear()
        flask.flash("bye")
        return "out"

    client = app.test_client()
    [remembered] = set_cookies(client.get("/login?user=ann&remember=1"))
    assert "max-age" in attributes(remembered)
    [after_logout] = set_cookies(client.get("/logout"))
    assert "max-age" not in attributes(after_logout)
    [next_login] = set_cookies(client.get("/login?user=bob"))
    assert "max-age" not in attributes(next_login)


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("SECRET_KEY_FALLBACKS", [""], "SECRET_KEY_FALLBACKS[0]"),
        ("SECRET_KEY_FALLBACKS", ["old secret that is long enough", "  "], "[1]"),
        ("SECRET_KEY", 12345, "SECRET_KEY"),
    ],
)
def test_unusable_secrets_fail_only_pages_that_use_the_session(
    setting: str, value: object, named: str
) -> None:
    app = make_app()
    app.config.update({setting: value, "PROPAGATE_EXCEPTIONS": True})
    client = app.test_client()
    assert client.get("/untouched").status_code == 200
    with pytest.raises(ValueError, match=re.escape(named)) as raised:
        client.get("/incr")
    assert "non-empty str or bytes" in str(raised.value)
    assert "long enough" not in str(raised.value)


def test_flask_settings_never_show_a_secret() -> None:
    app = make_app(SECRET_KEY_FALLBACKS=["an older secret value"])
    interface = app.session_interface
    assert isinstance(interface, FlaskSessionInterface)
    settings = FlaskSettings(
        SECRET, ("an older secret value",), "session", None, "/", True, False, "Lax",
        False, timedelta(days=31), True,
    )  # fmt: skip
    for text in (repr(settings), str(settings), repr(interface), repr(interface.config)):
        assert SECRET not in text and "an older secret" not in text
    assert "<hidden>" in repr(settings) and "cookie_name='session'" in repr(settings)


# -- accounts (coatcheck's SESSION_SUBJECT_KEY and SESSION_MAX_PER_SUBJECT) -----------------


def _login_app(store: SessionStore, **config: Any) -> flask.Flask:
    app = make_app(store, SESSION_SUBJECT_KEY="user", **config)

    @app.get("/login/<user>")
    def login(user: str) -> str:
        flask.session["user"] = user
        return user

    @app.get("/whoami")
    def whoami() -> str:
        return str(flask.session.get("user"))

    return app


def test_logging_in_renews_the_session_key() -> None:
    store = MemoryStore()
    client = _login_app(store).test_client()
    client.get("/incr")
    anonymous = client.get_cookie("session")
    assert anonymous is not None
    client.get("/login/ada")
    logged_in = client.get_cookie("session")
    assert logged_in is not None and logged_in.value != anonymous.value
    assert client.get("/whoami").text == "ada"
    assert client.get("/read").text == "1"
    assert store.count_sessions("ada") == 1


def test_the_cap_ends_the_other_sessions_of_the_subject() -> None:
    store = MemoryStore()
    app = _login_app(store, SESSION_MAX_PER_SUBJECT=1)
    phone, laptop = app.test_client(), app.test_client()
    phone.get("/login/ada")
    laptop.get("/login/ada")
    assert store.count_sessions("ada") == 1
    assert laptop.get("/whoami").text == "ada"
    assert phone.get("/whoami").text == "None"


@pytest.mark.parametrize("store", [None, MemoryStore()], ids=["cookie", "memory"])
def test_a_hand_built_session_is_written_and_reads_back(store: SessionStore | None) -> None:
    app = make_app(store)
    interface = app.session_interface
    hand_built = flask.sessions.SecureCookieSession()
    hand_built["n"] = 7
    response = app.response_class("")
    interface.save_session(app, hand_built, response)
    [cookie] = response.headers.getlist("Set-Cookie")
    client = app.test_client()
    client.set_cookie("session", cookie.split(";")[0].partition("=")[2])
    assert client.get("/read").text == "7"
    unmodified = flask.sessions.SecureCookieSession({"n": 1})
    response = app.response_class("")
    interface.save_session(app, unmodified, response)
    assert response.headers.getlist("Set-Cookie") == []
