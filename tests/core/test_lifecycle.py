"""The stateful lifecycle test: a browser, a clock and an application against each store.

`coatcheck_testing.hypothesis.SessionLifecycle` draws a configuration per run and checks every
request against a plain-dict model (see its module documentation for the invariants).
Under the ``ci`` hypothesis profile it runs hundreds of runs of a hundred steps per store.
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import settings

from coatcheck import CookieStore, MemoryStore
from coatcheck_testing import AsyncStoreWrapper
from coatcheck_testing.hypothesis import SessionLifecycle
from examples.sqlite_store import SQLiteStore

CI = settings.get_current_profile_name() == "ci"
STRONG = settings(stateful_step_count=100 if CI else 40)


class MemoryLifecycle(SessionLifecycle):
    def make_store(self) -> MemoryStore:
        return MemoryStore()

    def live_keys(self, store: MemoryStore, now: float) -> Collection[str]:
        return store.live_keys(now)


class CookieLifecycle(SessionLifecycle):
    def make_store(self) -> CookieStore:
        return CookieStore()


class SQLiteLifecycle(SessionLifecycle):
    def make_store(self) -> SQLiteStore:
        return SQLiteStore(":memory:")

    def close_store(self, store: SQLiteStore) -> None:
        store.close()

    def live_keys(self, store: SQLiteStore, now: float) -> Collection[str]:
        return store.live_keys(now)


class AsyncMemoryLifecycle(SessionLifecycle):
    """The async driver path: `run_commands_async` on the machine's event loop."""

    def make_store(self) -> AsyncStoreWrapper:
        return AsyncStoreWrapper(MemoryStore())

    def live_keys(self, store: AsyncStoreWrapper, now: float) -> Collection[str]:
        assert isinstance(store.store, MemoryStore)
        return store.store.live_keys(now)


class RealClockLifecycle(MemoryLifecycle):
    """The mode for stores with a clock of their own: real time, TTLs of days."""

    real_clock = True


TestMemoryLifecycle = MemoryLifecycle.TestCase
TestMemoryLifecycle.settings = STRONG
TestCookieLifecycle = CookieLifecycle.TestCase
TestCookieLifecycle.settings = STRONG
TestSQLiteLifecycle = SQLiteLifecycle.TestCase
TestSQLiteLifecycle.settings = STRONG
TestAsyncMemoryLifecycle = AsyncMemoryLifecycle.TestCase
TestAsyncMemoryLifecycle.settings = STRONG
TestRealClockLifecycle = RealClockLifecycle.TestCase
TestRealClockLifecycle.settings = settings(max_examples=25, stateful_step_count=40)
