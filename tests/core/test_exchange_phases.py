"""The exchange's phase table, tried pair by pair (as h11's tests try every state/event).

Every public verb is called in every phase the exchange can be driven to; each answer is
either a move `TRANSITIONS` allows or an `ExchangeMisuseError` after which the exchange
stays failed and sets no cookie. Together the scenarios take every edge of the table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from coatcheck import BrowserSession, MemoryStore, SessionConfig, TtlExtensionPolicy
from coatcheck.sansio import TRANSITIONS, Event, Exchange, ExchangeMisuseError, Load, Phase
from coatcheck_testing import cookie_value

from .helpers import INSECURE, manager

START, LOADING, READY, COMMITTING, DONE, LATE_LOADING, FAILED = Phase


class Scene:
    """An exchange driven to a phase through the public API, with its store at hand."""

    def __init__(self, config: SessionConfig = INSECURE, *, logged_in: bool = True) -> None:
        self.store = MemoryStore()
        self.manager = manager(config, store=self.store)
        self.header: str | None = None
        if logged_in:
            first = self.drive(lambda exchange: exchange.session.__setitem__("user", "ann"))
            assert first.set_cookie is not None
            self.header = f"session={cookie_value(first.set_cookie)}"
        self.pending: Any = None
        self.seen: list[tuple[Phase, Phase]] = []

    def drive(self, use: Callable[[Exchange], object]) -> Exchange:
        exchange = self.manager.begin(self.header)
        exchange.load_inline(self.store)
        use(exchange)
        if exchange.finish():
            self.run(exchange)
        return exchange

    def run(self, exchange: Exchange) -> None:
        while (command := exchange.next_command()) is not None:
            exchange.receive(command.run(self.store))

    def step(self, exchange: Exchange, verb: Callable[[Exchange], object]) -> object:
        before = exchange.phase
        answer = verb(exchange)
        self.seen.append((before, exchange.phase))
        return answer

    def at(self, phase: Phase) -> Exchange:
        exchange = self.manager.begin(self.header)
        if phase is START:
            return exchange
        self.pending = self.step(exchange, lambda e: e.next_command())
        assert isinstance(self.pending, Load)
        if phase is LOADING:
            return exchange
        if phase is FAILED:
            self.step(exchange, lambda e: e.fail(self.pending, OSError("down")))
            return exchange
        self.step(exchange, lambda e: e.receive(self.pending.run(self.store)))
        if phase is READY:
            return exchange
        if phase is COMMITTING:
            exchange.session["user"] = "bob"
            assert self.step(exchange, lambda e: e.finish()) is True
            return exchange
        # DONE and LATE_LOADING start from a request that never touched its session.
        exchange = self.manager.begin(self.header)
        assert self.step(exchange, lambda e: e.finish()) is False
        if phase is DONE:
            return exchange
        exchange.request_load()
        self.pending = self.step(exchange, lambda e: e.next_command())
        assert isinstance(self.pending, Load)
        assert phase is LATE_LOADING
        return exchange


def _receive(scene: Scene) -> Callable[[Exchange], object]:
    def receive(exchange: Exchange) -> object:
        pending = scene.pending
        result = pending.run(scene.store) if isinstance(pending, Load) else True
        exchange.receive(result)
        return None

    return receive


VERBS: dict[str, Callable[[Scene], Callable[[Exchange], object]]] = {
    "next_command": lambda scene: lambda e: e.next_command(),
    "receive": _receive,
    "finish": lambda scene: lambda e: e.finish(),
    "abandon": lambda scene: lambda e: e.abandon(),
    "fail": lambda scene: lambda e: e.fail(Load("k", 0.0), OSError("down")),
}

MISUSE = "misuse"
# What each verb does in each phase: the phase it leaves the exchange in, or a misuse.
EXPECTED: dict[tuple[Phase, str], Phase | str] = {
    (START, "next_command"): LOADING,
    (START, "receive"): MISUSE,
    (START, "finish"): DONE,
    (START, "abandon"): DONE,
    (START, "fail"): FAILED,
    (LOADING, "next_command"): MISUSE,
    (LOADING, "receive"): READY,
    (LOADING, "finish"): MISUSE,
    (LOADING, "abandon"): LOADING,
    (LOADING, "fail"): FAILED,
    (READY, "next_command"): READY,
    (READY, "receive"): MISUSE,
    (READY, "finish"): DONE,
    (READY, "abandon"): DONE,
    (READY, "fail"): FAILED,
    (COMMITTING, "next_command"): COMMITTING,
    (COMMITTING, "receive"): COMMITTING,
    (COMMITTING, "finish"): COMMITTING,
    (COMMITTING, "abandon"): COMMITTING,
    (COMMITTING, "fail"): FAILED,
    (DONE, "next_command"): DONE,
    (DONE, "receive"): MISUSE,
    (DONE, "finish"): DONE,
    (DONE, "abandon"): DONE,
    (DONE, "fail"): MISUSE,
    (LATE_LOADING, "next_command"): MISUSE,
    (LATE_LOADING, "receive"): DONE,
    (LATE_LOADING, "finish"): LATE_LOADING,
    (LATE_LOADING, "abandon"): LATE_LOADING,
    (LATE_LOADING, "fail"): FAILED,
    (FAILED, "next_command"): FAILED,
    (FAILED, "receive"): MISUSE,
    (FAILED, "finish"): FAILED,
    (FAILED, "abandon"): FAILED,
    (FAILED, "fail"): FAILED,
}


def _moves_the_table_allows() -> set[tuple[Phase, Phase]]:
    return {(phase, target) for (phase, _), target in TRANSITIONS.items()}


def test_the_matrix_covers_every_phase_and_verb() -> None:
    assert set(EXPECTED) == set(itertools.product(Phase, VERBS))


@pytest.mark.parametrize(("phase", "verb"), list(EXPECTED))
def test_every_verb_in_every_phase(phase: Phase, verb: str) -> None:
    scene = Scene()
    exchange = scene.at(phase)
    assert exchange.phase is phase
    expected = EXPECTED[phase, verb]
    act = VERBS[verb](scene)
    if expected == MISUSE:
        with pytest.raises(ExchangeMisuseError, match=f"phase {phase.value!r}"):
            act(exchange)
        # Sticky: nothing more comes out of a misused exchange, and no cookie is set.
        assert exchange.phase is FAILED and exchange.failed
        assert exchange.next_command() is None and exchange.finish() is False
        assert exchange.set_cookie is None
        return
    scene.step(exchange, act)
    assert exchange.phase is expected
    moved = [(before, after) for before, after in scene.seen if before is not after]
    assert set(moved) <= _moves_the_table_allows()


def test_every_edge_of_the_table_is_taken() -> None:
    taken: set[tuple[Phase, Phase]] = set()
    for phase, verb in EXPECTED:
        if EXPECTED[phase, verb] == MISUSE:
            continue
        scene = Scene()
        exchange = scene.at(phase)
        scene.step(exchange, VERBS[verb](scene))
        taken.update(scene.seen)

    # START -> READY: no cookie, so nothing to load.
    scene = Scene(logged_in=False)
    exchange = scene.manager.begin(None)
    scene.step(exchange, lambda e: e.next_command())
    # START -> COMMITTING: untouched, but every request moves the TTL.
    every = SessionConfig(
        cookie_secure=False,
        lifecycle=BrowserSession(ttl_extension_policy=TtlExtensionPolicy.ON_EVERY_REQUEST),
    )
    scene_every = Scene(every)
    exchange = scene_every.manager.begin(scene_every.header)
    assert scene_every.step(exchange, lambda e: e.finish()) is True
    # COMMITTING -> DONE: the commit's last command answered.
    scene_every.step(exchange, scene_every.run)
    # DONE -> DONE by LOADED: a late read with no cookie has nothing to load.
    late = scene.manager.begin(None)
    late.finish()
    late.request_load()
    scene.step(late, lambda e: e.next_command())
    # FAILED -> FAILED: a second failure report.
    broken = Scene().at(FAILED)
    scene.step(broken, lambda e: e.fail(Load("k", 0.0), OSError("again")))

    assert late.phase is DONE and broken.phase is FAILED

    taken.update(scene.seen, scene_every.seen)
    moves = {(before, after) for before, after in taken if before is not after}
    assert moves == {
        (phase, target) for phase, target in _moves_the_table_allows() if phase is not target
    }


@pytest.mark.parametrize(("phase", "event"), list(itertools.product(Phase, Event)))
def test_the_one_writer_follows_the_table(phase: Phase, event: Event) -> None:
    exchange = Scene().at(phase)
    target = TRANSITIONS.get((phase, event))
    if target is None:
        with pytest.raises(ExchangeMisuseError, match=repr(event.value)):
            exchange._move(event)
        assert exchange.phase is FAILED and exchange.set_cookie is None
    else:
        exchange._move(event)
        assert exchange.phase is target
