"""No log line, at any level, carries session contents, session keys or key material."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coatcheck import MemoryStore, SessionConfig, SessionStoreError, StoredState

from .helpers import KEY, Client, RecordingStore, manager

SECRET_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=20)


def _lines(records: list[logging.LogRecord]) -> Iterator[str]:
    formatter = logging.Formatter()
    for record in records:
        yield record.getMessage()
        if record.exc_info:
            yield formatter.formatException(record.exc_info)


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=SECRET_TEXT, garbage=SECRET_TEXT)
def test_every_path_that_logs_keeps_data_out(
    caplog: pytest.LogCaptureFixture, value: str, garbage: str
) -> None:
    store = RecordingStore(performs_io=False)
    browser = Client(manager(SessionConfig(cookie_secure=False)), store)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="coatcheck"):
        browser.request(lambda s: s.__setitem__("token", value))
        cookie = browser.cookie
        assert cookie is not None
        [(_, session_key)] = [call for call in store.calls if call[0] == "save"]
        # A stored record the serializer cannot read.
        inner = store.inner
        assert isinstance(inner, MemoryStore)
        inner.save(session_key + "x", {"token": f"{{{garbage}"}, ttl=60, now=browser.manager.now())
        bad = Client(browser.manager, _Garbage(inner, session_key + "x"))
        bad.cookie = cookie
        bad.request(lambda s: s.get("token"))
        # A tampered cookie, several invalid ones.
        tampered = Client(browser.manager, store)
        tampered.cookie = cookie[:-4] + "AAAA"
        tampered.request(lambda s: s.get("token"))

        # A session deleted while a request used it.
        def vanish(session: dict[str, str]) -> None:
            assert session["token"] == value
            inner.delete(session_key)
            session["more"] = value

        browser.request(vanish)
        # A store failure.
        store.fail_on = {"save"}
        with pytest.raises(SessionStoreError):
            Client(browser.manager, store).request(lambda s: s.__setitem__("token", value))
    lines = list(_lines(caplog.records))
    assert any("deleted while this request" in line for line in lines)
    assert any("unreadable" in line for line in lines)
    for line in lines:
        for secret in (value, garbage, session_key, cookie, KEY.to_base64()):
            assert secret not in line, f"a log line carries session data: {line!r}"


class _Garbage(RecordingStore):
    """Serves one garbage record under every key a cookie names (injected bad data)."""

    def __init__(self, inner: MemoryStore, key: str) -> None:
        super().__init__(inner, performs_io=False)
        self._key = key

    def load(self, key: str, *, now: float) -> StoredState | None:
        return super().load(self._key, now=now)
