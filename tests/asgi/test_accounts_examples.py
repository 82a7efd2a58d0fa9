"""examples/accounts_fastapi.py: your sessions, log out other devices, an admin's
"end every session of user X", and the step-up before a sensitive action."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from coatcheck import MemoryStore
from coatcheck_asgi import AnyStore
from coatcheck_testing import AsyncStoreWrapper
from examples.accounts_fastapi import create_app

from .helpers import Client, open_client

HTTP = "http://testserver"


def log_in(client: Client, user: str, agent: str) -> None:
    response = client.post("/login", json={"user_id": user}, headers={"user-agent": agent})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["memory", "async"])
def test_your_sessions_and_the_admin_view(kind: str) -> None:
    store: AnyStore = MemoryStore() if kind == "memory" else AsyncStoreWrapper(MemoryStore())
    app = create_app(store)
    with ExitStack() as stack:
        laptop, phone, tablet, admin = (
            stack.enter_context(open_client(app, "httpx", "asyncio", base_url=HTTP))
            for _ in range(4)
        )
        assert laptop.get("/me/sessions").status_code == 401
        log_in(laptop, "ada", "laptop-agent")
        log_in(phone, "ada", "phone-agent")
        log_in(tablet, "ada", "tablet-agent")
        log_in(admin, "root", "admin-agent")

        listed = laptop.get("/me/sessions").json()
        assert sorted(entry["user_agent"] for entry in listed) == [
            "laptop-agent",
            "phone-agent",
            "tablet-agent",
        ]
        assert [entry["user_agent"] for entry in listed if entry["current"]] == ["laptop-agent"]
        phone_id = next(entry["id"] for entry in listed if entry["user_agent"] == "phone-agent")

        # Another user cannot end Ada's session, whatever id they send.
        assert admin.request("DELETE", f"/me/sessions/{phone_id}").status_code == 404
        assert phone.get("/me/sessions").status_code == 200

        assert laptop.request("DELETE", f"/me/sessions/{phone_id}").json() == {"ended": 1}
        assert phone.get("/me/sessions").status_code == 401, "the phone is logged out"
        assert "session" not in phone.cookies, "and its cookie removed"

        assert tablet.post("/me/sessions/end-others").json() == {"ended": 1}
        assert laptop.get("/me/sessions").status_code == 401
        assert [entry["user_agent"] for entry in tablet.get("/me/sessions").json()] == [
            "tablet-agent"
        ]

        # Only an admin ends every session of another user.
        assert tablet.post("/admin/users/root/end-sessions").status_code == 403
        assert admin.post("/admin/users/ada/end-sessions").json() == {"ended": 1}
        assert tablet.get("/me/sessions").status_code == 401
        assert admin.get("/me/sessions").status_code == 200


def test_a_sensitive_action_needs_a_recent_login() -> None:
    app = create_app()
    with open_client(app, "httpx", "asyncio", base_url=HTTP) as client:
        assert client.post("/me/password").status_code == 401
        log_in(client, "ada", "agent")
        assert client.post("/me/password").json() == {"status": "password changed"}
        before = client.get("/me/sessions").json()[0]["id"]
        assert client.post("/me/confirm-password").json() == {"status": "confirmed"}
        after = client.get("/me/sessions").json()
        assert [entry["id"] for entry in after] != [before], "a step-up renews the key"
        assert len(after) == 1
