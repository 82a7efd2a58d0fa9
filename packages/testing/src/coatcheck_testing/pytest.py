"""The store contract as pytest base classes: `StoreConformance`, `AsyncStoreConformance`.

Subclass one in a test module and say how to make your store::

    class TestMyStore(StoreConformance):
        make_store = MyStore            # or a method / zero-argument function

Every check of `coatcheck_testing.check_store` then runs as a test of its own, plus a
property test drawing states with hypothesis. Options are class attributes
(``honours_now``, ``merges_concurrent_updates``, ``short_ttl``, ``expiry_margin``,
``keeps_index``, ``forwards``; see `coatcheck_testing.check_store`), hooks are methods:
``close_store(store)`` and ``plant_garbage(store, now)`` (without the latter, the garbage
test is skipped). With an async store they may be coroutine functions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings

from coatcheck import JSONSerializer

from ._checks import (
    STORE_CHECKS,
    StoreTarget,
    check_garbage_records_are_stale_not_errors,
    opened_store,
    run_check,
)
from .hypothesis import session_states

__all__ = ["AsyncStoreConformance", "StoreConformance"]


class StoreConformance:
    """The store contract, one pytest test per check; subclass it with ``make_store``."""

    honours_now: ClassVar[bool] = True
    merges_concurrent_updates: ClassVar[bool] = True
    short_ttl: ClassVar[int] = 1
    expiry_margin: ClassVar[float] = 0.3
    keeps_index: ClassVar[bool] = True
    forwards: ClassVar[bool] = True

    def make_store(self) -> Any:
        """A fresh, empty store; subclasses replace this."""
        raise NotImplementedError(f"{type(self).__name__} must define make_store")

    def close_store(self, store: Any) -> Any:
        """Release ``store`` after a test."""

    def plant_garbage(self, store: Any, now: float) -> Iterable[str] | Any:
        """Write unreadable records into ``store``; return the keys they sit under."""
        raise NotImplementedError

    def _factory(self) -> Callable[[], Any]:
        found = inspect.getattr_static(type(self), "make_store")
        if isinstance(found, type) or (
            inspect.isfunction(found) and not inspect.signature(found).parameters
        ):
            return found  # make_store = MyStore
        return self.make_store

    def _plants_garbage(self) -> bool:
        return type(self).plant_garbage is not StoreConformance.plant_garbage

    def _run(self, check: Callable[[StoreTarget], None]) -> None:
        with opened_store(
            self._factory(),
            close_store=self.close_store,
            plant_garbage=self.plant_garbage if self._plants_garbage() else None,
            honours_now=self.honours_now,
            merges_concurrent_updates=self.merges_concurrent_updates,
            short_ttl=self.short_ttl,
            expiry_margin=self.expiry_margin,
            keeps_index=self.keeps_index,
            forwards=self.forwards,
        ) as target:
            run_check(check, target)

    def test_drawn_states_round_trip(self) -> None:
        """What is saved loads back text for text, for states hypothesis draws."""

        def check(target: StoreTarget) -> None:
            @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(state=session_states(max_keys=6))
            def round_trip(state: dict[str, Any]) -> None:
                now = target.now()
                key = target.save(state, now=now)
                stored = target.store.load(key, now=now)
                assert stored is not None, "a session saved a moment ago does not load"
                dumps = JSONSerializer().dumps
                assert dict(stored.state) == {k: dumps(v) for k, v in state.items()}

            round_trip()

        self._run(check)


def _test_for(check: Callable[[StoreTarget], None]) -> Callable[[StoreConformance], None]:
    def test(self: StoreConformance) -> None:
        if check is check_garbage_records_are_stale_not_errors and not self._plants_garbage():
            pytest.skip(f"{type(self).__name__} does not implement plant_garbage()")
        self._run(check)

    test.__name__ = "test_" + check.__name__.removeprefix("check_")
    test.__qualname__ = f"StoreConformance.{test.__name__}"
    test.__doc__ = check.__doc__
    return test


for _check in STORE_CHECKS:
    _test = _test_for(_check)
    setattr(StoreConformance, _test.__name__, _test)


class AsyncStoreConformance(StoreConformance):
    """The same tests for an `AsyncSessionStore` (each on a private event loop).

    ``make_store``, ``close_store`` and ``plant_garbage`` may be coroutine functions; the
    parallel-update test runs its updates as concurrent tasks.
    """
