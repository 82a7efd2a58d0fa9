"""Accounts through Quart's settings: ``SESSION_SUBJECT_KEY`` renews the session key on a
change of subject, ``SESSION_MAX_PER_SUBJECT`` caps a subject's sessions."""

from __future__ import annotations

import pytest
import quart

from coatcheck import MemoryStore, SessionConfig
from coatcheck_testing import RecordingStore

from .helpers import interface_of, jar, make_app

pytestmark = pytest.mark.anyio


async def _text(response: quart.Response) -> str:
    body: str = await response.get_data(as_text=True)
    return body


async def test_the_settings_reach_the_session_config() -> None:
    app = make_app(MemoryStore(), SESSION_SUBJECT_KEY="user", SESSION_MAX_PER_SUBJECT=3)
    manager = interface_of(app).manager_for(app)
    assert manager is not None
    assert manager.config.subject_key == "user"
    assert manager.config.max_sessions_per_subject == 3
    app.config.update(SESSION_SUBJECT_KEY=None, SESSION_MAX_PER_SUBJECT=None)
    manager = interface_of(app).manager_for(app)
    assert manager is not None and manager.config.subject_key is None


async def test_the_base_config_supplies_the_subject_key_when_the_app_does_not() -> None:
    app = make_app(MemoryStore())
    interface = interface_of(app)
    app.session_interface = type(interface)(interface.store, SessionConfig(subject_key="uid"))  # type: ignore[assignment]
    manager = interface_of(app).manager_for(app)
    assert manager is not None and manager.config.subject_key == "uid"


async def test_a_cap_without_a_subject_key_fails_only_pages_that_use_the_session() -> None:
    app = make_app(MemoryStore(), SESSION_MAX_PER_SUBJECT=2)
    client = app.test_client()
    assert (await client.get("/untouched")).status_code == 200
    response = await client.get("/incr")
    assert response.status_code == 500


async def test_logging_in_renews_the_session_key_and_keeps_the_session() -> None:
    store = RecordingStore(MemoryStore(), performs_io=False)
    client = make_app(store, SESSION_SUBJECT_KEY="user").test_client()
    await client.get("/incr")
    anonymous = jar(client)["session"]
    store.clear()
    assert await _text(await client.get("/login/ada")) == "ada"
    assert "renew" in store.methods or "delete" in store.methods
    logged_in = jar(client)["session"]
    assert logged_in != anonymous  # fixation: the pre-login cookie names no session now
    assert await _text(await client.get("/whoami")) == "ada"
    assert await _text(await client.get("/read")) == "1"  # the cart survived the login
    index = store.inner
    assert isinstance(index, MemoryStore)
    assert index.count_sessions("ada") == 1


async def test_the_cap_ends_the_other_sessions_of_the_subject() -> None:
    store = MemoryStore()
    app = make_app(store, SESSION_SUBJECT_KEY="user", SESSION_MAX_PER_SUBJECT=1)
    phone, laptop = app.test_client(), app.test_client()
    await phone.get("/login/ada")
    await laptop.get("/login/ada")
    assert store.count_sessions("ada") == 1
    assert await _text(await laptop.get("/whoami")) == "ada"
    assert await _text(await phone.get("/whoami")) == "None"
