"""examples/accounts_flask.py: your sessions, log out other devices, an admin's "end
every session of user X", and the step-up before a sensitive action."""

from __future__ import annotations

from flask.testing import FlaskClient

from coatcheck import MemoryStore
from examples.accounts_flask import create_app
from examples.sqlite_store import SQLiteStore


def log_in(client: FlaskClient, user: str, agent: str) -> None:
    response = client.post("/login", data={"user_id": user}, headers={"User-Agent": agent})
    assert response.status_code == 200, response.text


def session_cookie(client: FlaskClient) -> object:
    return client.get_cookie("session")


def run_the_scenario(store: MemoryStore | SQLiteStore) -> None:
    app = create_app(store)
    laptop, phone, tablet, admin = (app.test_client() for _ in range(4))
    assert laptop.get("/me/sessions").status_code == 401
    log_in(laptop, "ada", "laptop-agent")
    log_in(phone, "ada", "phone-agent")
    log_in(tablet, "ada", "tablet-agent")
    log_in(admin, "root", "admin-agent")

    listed = laptop.get("/me/sessions").get_json()
    assert sorted(entry["user_agent"] for entry in listed) == [
        "laptop-agent",
        "phone-agent",
        "tablet-agent",
    ]
    assert [entry["user_agent"] for entry in listed if entry["current"]] == ["laptop-agent"]
    phone_id = next(entry["id"] for entry in listed if entry["user_agent"] == "phone-agent")

    assert admin.delete(f"/me/sessions/{phone_id}").status_code == 404
    assert phone.get("/me/sessions").status_code == 200

    assert laptop.delete(f"/me/sessions/{phone_id}").get_json() == {"ended": 1}
    assert phone.get("/me/sessions").status_code == 401, "the phone is logged out"
    assert session_cookie(phone) is None, "and its cookie removed"

    assert tablet.post("/me/sessions/end-others").get_json() == {"ended": 1}
    assert laptop.get("/me/sessions").status_code == 401
    remaining = tablet.get("/me/sessions").get_json()
    assert [entry["user_agent"] for entry in remaining] == ["tablet-agent"]

    assert tablet.post("/admin/users/root/end-sessions").status_code == 403
    assert admin.post("/admin/users/ada/end-sessions").get_json() == {"ended": 1}
    assert tablet.get("/me/sessions").status_code == 401
    assert admin.get("/me/sessions").status_code == 200


def test_your_sessions_and_the_admin_view_on_memory() -> None:
    run_the_scenario(MemoryStore())


def test_your_sessions_and_the_admin_view_on_sqlite() -> None:
    with SQLiteStore(":memory:") as store:
        run_the_scenario(store)


def test_a_sensitive_action_needs_a_recent_login() -> None:
    client = create_app().test_client()
    assert client.post("/me/password").status_code == 401
    log_in(client, "ada", "agent")
    assert client.post("/me/password").get_json() == {"status": "password changed"}
    before = client.get("/me/sessions").get_json()[0]["id"]
    assert client.post("/me/confirm-password").get_json() == {"status": "confirmed"}
    after = client.get("/me/sessions").get_json()
    assert [entry["id"] for entry in after] != [before], "a step-up renews the key"
    assert len(after) == 1
