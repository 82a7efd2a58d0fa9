"""The memory checks, measured with `tracemalloc`.

- **Untouched retention**: after warming up, ``requests`` untouched requests through an
  app must leave nothing behind. The bytes still traced after a full collection are
  split into those allocated by coatcheck's own files and the rest (framework caches,
  the bench); the bare apps are the control.
- **MemoryStore churn**: ``sessions`` sessions created (and each revisited once, read
  and changed) through the core and a `MemoryStore`, with a fake clock moving forward
  so that sessions keep expiring. Once the first TTL window has passed, the number of
  live sessions and the traced memory must stay flat.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from .app_spec import AppSpec, BuildContext
from .drivers import Driver, Workload
from .in_process import InProcessSettings, build_run, seed_sessions
from .scenarios import SECRET, WRITE_KEY, Scenario, StateSize, next_write_value, state_for

__all__ = ["ChurnResult", "RetentionResult", "memory_store_churn", "untouched_retention"]

_COATCHECK_FILES = tracemalloc.Filter(True, "*/coatcheck*/*")
_WARMUP_REQUESTS = 1000


@dataclass(frozen=True)
class RetentionResult:
    """What ``requests`` untouched requests through one app left allocated."""

    app: str
    requests: int
    retained_bytes: int | None = None
    """Everything still traced afterwards that was not before."""
    coatcheck_bytes: int | None = None
    """The part allocated by coatcheck's own source files."""
    note: str | None = None

    @property
    def coatcheck_per_request(self) -> float | None:
        """Bytes coatcheck retained per request."""
        if self.coatcheck_bytes is None:
            return None
        return self.coatcheck_bytes / self.requests

    @property
    def retained_per_request(self) -> float | None:
        """Bytes retained per request, by anyone."""
        if self.retained_bytes is None:
            return None
        return self.retained_bytes / self.requests


def _retention(app: str, driver: Driver, workload: Workload, requests: int) -> RetentionResult:
    driver.time(workload, _WARMUP_REQUESTS)
    gc.collect()
    tracemalloc.start()
    try:
        driver.time(workload, _WARMUP_REQUESTS // 2)
        gc.collect()
        before = tracemalloc.take_snapshot()
        before_total = tracemalloc.get_traced_memory()[0]
        driver.time(workload, requests)
        gc.collect()
        after_total = tracemalloc.get_traced_memory()[0]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    ours = after.filter_traces([_COATCHECK_FILES]).compare_to(
        before.filter_traces([_COATCHECK_FILES]), "filename"
    )
    return RetentionResult(
        app,
        requests,
        retained_bytes=after_total - before_total,
        coatcheck_bytes=sum(stat.size_diff for stat in ours),
    )


def untouched_retention(
    specs: Sequence[AppSpec], redis_url: str | None, requests: int
) -> list[RetentionResult]:
    """Measure the bytes ``requests`` untouched requests leave behind, per app."""
    results = []
    loop = asyncio.new_event_loop()
    context = BuildContext(redis_url=redis_url)
    settings = InProcessSettings(sizes=(StateSize.SMALL,))
    try:
        for spec in specs:
            run = build_run(spec, context, loop)
            if run.driver is None:
                results.append(RetentionResult(spec.name, requests, note=run.note))
                continue
            try:
                cookie = seed_sessions(run, settings)[StateSize.SMALL]
            except Exception as exc:
                results.append(RetentionResult(spec.name, requests, note=f"check failed: {exc}"))
                continue
            workload = Workload(Scenario.UNTOUCHED.path(StateSize.SMALL), cookie)
            try:
                results.append(_retention(spec.name, run.driver, workload, requests))
            except Exception as exc:
                results.append(RetentionResult(spec.name, requests, note=f"raised: {exc!r}"))
    finally:
        context.close(loop)
        loop.close()
    return results


@dataclass
class ChurnResult:
    """Traced memory and live sessions while sessions churn through a `MemoryStore`."""

    sessions: int
    ttl: int
    seconds_per_session: float
    checkpoints: list[tuple[int, int, int]] = field(default_factory=list)
    """(sessions created so far, traced bytes, sessions the store holds)."""

    @property
    def warm(self) -> tuple[int, int, int]:
        """The first checkpoint past two TTL windows (the steady state)."""
        window = 2 * self.ttl / self.seconds_per_session
        for checkpoint in self.checkpoints:
            if checkpoint[0] >= window:
                return checkpoint
        return self.checkpoints[-1]

    @property
    def growth(self) -> float:
        """Highest traced memory after warm-up, relative to the warm checkpoint."""
        warm = self.warm
        later = [bytes_ for created, bytes_, _ in self.checkpoints if created >= warm[0]]
        return max(later) / warm[1] - 1 if warm[1] else float("nan")

    @property
    def flat(self) -> bool:
        """Memory after warm-up stays within 20% of the warm checkpoint."""
        return self.growth <= 0.20


def memory_store_churn(
    sessions: int = 10_000, *, ttl: int = 60, seconds_per_session: float = 0.025
) -> ChurnResult:
    """Churn ``sessions`` sessions through a `MemoryStore` with a fake clock.

    Each new session is created with the small state; the one created 100 sessions
    earlier (still live) is read and changed, which moves its expiry. With the default
    figures about ``ttl / seconds_per_session`` = 2,400 sessions are live at any time.
    """
    from coatcheck import BrowserSession, Key, MemoryStore, SessionConfig, SessionManager
    from coatcheck.sansio import run_commands

    clock = [1_750_000_000.0]
    store = MemoryStore()
    manager = SessionManager(
        key=Key.derive_from(SECRET),
        store=store,
        config=SessionConfig(lifecycle=BrowserSession(state_ttl=ttl)),
        now=lambda: clock[0],
    )
    state = state_for(StateSize.SMALL)
    recent: deque[str] = deque(maxlen=100)
    result = ChurnResult(sessions, ttl, seconds_per_session)
    every = max(1, sessions // 20)

    def visit(cookie: str | None, *, create: bool) -> str | None:
        exchange = manager.begin(cookie, inline_store=store)
        if create:
            exchange.session.update(state)
        else:
            exchange.session[WRITE_KEY] = next_write_value()
        exchange.finish()
        run_commands(exchange, store)
        header = exchange.set_cookie
        return header.split(";", 1)[0] if header else cookie

    gc.collect()
    tracemalloc.start()
    try:
        for index in range(1, sessions + 1):
            clock[0] += seconds_per_session
            cookie = visit(None, create=True)
            if len(recent) == recent.maxlen:
                visit(recent[0], create=False)
            if cookie is not None:
                recent.append(cookie)
            if index % every == 0:
                gc.collect()
                result.checkpoints.append((index, tracemalloc.get_traced_memory()[0], len(store)))
    finally:
        tracemalloc.stop()
    return result
