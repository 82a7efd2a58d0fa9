"""`Watchdog`, the async store's deadline: each command ends by its own deadline, a
cancellation from elsewhere stays one, and finished commands leave nothing behind.

Plain asyncio, no Redis: the deployments' tests (`test_deadline`) freeze real servers.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from coatcheck_redis._watchdog import Watchdog

DEADLINE = 0.2
SLACK = 1.0
"""Seconds a command may end after its deadline on a loaded test machine."""


async def forever(seen: list[str]) -> None:
    try:
        await asyncio.sleep(20)
    except asyncio.CancelledError:
        seen.append("cancelled")
        raise


async def answer(value: int) -> int:
    await asyncio.sleep(0)
    return value


def test_a_command_past_its_deadline_is_cancelled_and_fails_with_timeout() -> None:
    async def main() -> tuple[float, list[str]]:
        watchdog = Watchdog(DEADLINE)
        seen: list[str] = []
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await watchdog.run(forever, seen)
        return time.monotonic() - started, seen

    elapsed, seen = asyncio.run(main())
    assert seen == ["cancelled"]
    assert DEADLINE <= elapsed <= DEADLINE + SLACK


def test_quick_commands_answer_and_leave_nothing_tracked() -> None:
    async def main() -> tuple[list[int], int]:
        watchdog = Watchdog(DEADLINE)
        answers = [await watchdog.run(answer, n) for n in range(500)]
        return answers, watchdog.in_flight

    answers, in_flight = asyncio.run(main())
    assert answers == list(range(500))
    assert in_flight == 0


def test_each_command_gets_its_own_deadline_counted_from_its_start() -> None:
    # One timer serves every command: a later one must not be cut at the earlier one's
    # deadline, nor an earlier one wait for the later one's.
    async def main() -> list[tuple[str, float]]:
        watchdog = Watchdog(DEADLINE)
        ended: list[tuple[str, float]] = []

        async def command(name: str, delay: float) -> None:
            await asyncio.sleep(delay)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await watchdog.run(forever, [])
            ended.append((name, time.monotonic() - started))

        async def quick() -> None:
            # Done before the first deadline: no later command re-arms the timer.
            for n in range(10):
                assert await watchdog.run(answer, n) == n
                await asyncio.sleep(0.005)

        await asyncio.gather(command("first", 0.0), command("second", 0.1), quick())
        return ended

    ended = asyncio.run(main())
    assert [name for name, _ in ended] == ["first", "second"]
    for _, elapsed in ended:
        assert DEADLINE <= elapsed <= DEADLINE + SLACK


def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    async def main() -> list[str]:
        watchdog = Watchdog(10.0)
        seen: list[str] = []
        task = asyncio.ensure_future(watchdog.run(forever, seen))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The store goes on serving.
        assert await watchdog.run(answer, 7) == 7
        return seen

    assert asyncio.run(main()) == ["cancelled"]


def test_a_cancellation_from_elsewhere_at_the_deadline_stays_a_cancellation() -> None:
    async def cancelled_twice() -> None:
        try:
            await asyncio.sleep(20)
        except asyncio.CancelledError:
            # The server shuts down while the deadline's cancellation is delivered.
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            raise

    # Python 3.10 cannot tell the two apart (no Task.uncancel): there, the deadline wins.
    expected = asyncio.CancelledError if sys.version_info >= (3, 11) else TimeoutError

    async def main() -> None:
        watchdog = Watchdog(DEADLINE)
        task = asyncio.ensure_future(watchdog.run(cancelled_twice))
        with pytest.raises(expected):
            await task

    asyncio.run(main())


def test_work_that_swallows_the_cancellation_leaves_the_task_uncancelled() -> None:
    async def stubborn() -> str:
        try:
            await asyncio.sleep(20)
        except asyncio.CancelledError:
            return "kept going"
        return "slept"

    async def main() -> tuple[str, int]:
        watchdog = Watchdog(DEADLINE)
        result = await watchdog.run(stubborn)
        task = asyncio.current_task()
        assert task is not None
        await asyncio.sleep(0.01)  # a pending cancellation would land here
        if sys.version_info >= (3, 11):
            return result, task.cancelling()
        return result, 0

    assert asyncio.run(main()) == ("kept going", 0)


def test_a_watchdog_serves_one_event_loop_after_another() -> None:
    watchdog = Watchdog(DEADLINE)
    for _ in range(2):
        seen: list[str] = []

        async def main(seen: list[str] = seen) -> int:
            with pytest.raises(TimeoutError):
                await watchdog.run(forever, seen)
            return await watchdog.run(answer, 3)

        assert asyncio.run(main()) == 3
        assert seen == ["cancelled"]
