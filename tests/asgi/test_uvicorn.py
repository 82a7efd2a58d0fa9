"""A real server: uvicorn on a free loopback port, driven over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from coatcheck import CookieStore, MemoryStore
from coatcheck_asgi import AnyStore
from tests.support.network import LOOPBACK, free_port, wait_for_port

from .helpers import (
    INSECURE,
    RecordingStore,
    async_store,
    session_app,
    set_cookies,
)


@contextmanager
def uvicorn_serving(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yield its base URL; stop it after."""
    port = free_port()
    config = uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_for_port(port, timeout=10)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.mark.parametrize(
    "store", [CookieStore(), MemoryStore(), async_store(), RecordingStore()], ids=repr
)
def test_sessions_over_real_http(store: AnyStore) -> None:
    app = session_app(store, config=INSECURE)
    with uvicorn_serving(app) as url, httpx.Client(base_url=url, timeout=5) as client:
        response = client.post("/update", json={"user": "ada"})
        assert response.status_code == 200
        [header] = set_cookies(response)
        assert "; httponly" in header
        assert response.headers["vary"] == "Cookie"
        assert client.get("/read").json() == {"user": "ada"}

        untouched = client.get("/untouched")
        assert set_cookies(untouched) == []
        assert "vary" not in untouched.headers

        assert client.post("/clear").json() == {}
        assert "session" not in client.cookies
        assert client.get("/read").json() == {}


def test_concurrent_clients_keep_their_own_sessions() -> None:
    store = RecordingStore(delay=0.01)  # a sync I/O store: every call in a worker thread
    app = session_app(store, config=INSECURE)

    def visitor(url: str, name: str) -> list[object]:
        with httpx.Client(base_url=url, timeout=10) as client:
            client.post("/update", json={"user": name})
            return [client.post("/update", json={"n": i}).json() for i in range(3)]

    with uvicorn_serving(app) as url, ThreadPoolExecutor(max_workers=8) as pool:
        names = [f"user{i}" for i in range(16)]
        results = list(pool.map(lambda name: visitor(url, name), names))
    for name, transcript in zip(names, results, strict=True):
        assert transcript[-1] == {"user": name, "n": 2}


def test_a_store_failure_is_a_500_over_the_wire() -> None:
    app = session_app(RecordingStore(fail_on={"save"}), config=INSECURE)
    with uvicorn_serving(app) as url, httpx.Client(base_url=url, timeout=5) as client:
        response = client.post("/update", json={"user": "ada"})
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert set_cookies(response) == []
