"""`Watchdog`: the exact deadline of every async store command, on one timer.

``asyncio.timeout`` arms and cancels a timer per command: about 3.4 µs, where the rest
of the store's own code costs 7 to 9 µs per command (measured with the client stubbed
out). Every command of a store has the same deadline, so the commands expire in the
order they started: a queue of the commands in flight and one timer, armed for the
oldest, do the same work. A command costs a small record and a queue append; the timer
fires about once per deadline while traffic flows, cancels the commands that outlived
it, and re-arms for the oldest one left.

An expired command's task is cancelled, exactly as ``asyncio.timeout`` does it (redis-py
then drops the connection it was using), and `Watchdog.run` turns that cancellation into
`TimeoutError`. A cancellation from elsewhere (the server shutting down, a client that
went away) stays a cancellation, even if the deadline expired at the same moment.

Python 3.10 has no ``Task.uncancel``, which telling the two apart needs: there, each
command runs under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["Watchdog"]

T = TypeVar("T")


class _Command:
    """One command in flight: when it is due, its task (``None`` once it finished), and
    whether the watchdog cancelled it."""

    __slots__ = ("due", "expired", "task")

    def __init__(self, due: float, task: asyncio.Task[Any]) -> None:
        self.due = due
        self.task: asyncio.Task[Any] | None = task
        self.expired = False


class Watchdog:
    """Runs coroutines within ``seconds`` each, on one timer per event loop."""

    __slots__ = ("_loop", "_pending", "_seconds", "_timer")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._pending: deque[_Command] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def in_flight(self) -> int:
        """How many commands the watchdog still tracks (finished ones leave lazily)."""
        return len(self._pending)

    if sys.version_info >= (3, 11):

        async def run(self, work: Callable[..., Awaitable[T]], *args: Any) -> T:
            """``await work(*args)``; `TimeoutError` once it takes longer than the
            deadline (the work is cancelled then)."""
            task = asyncio.current_task()
            if task is None:  # pragma: no cover - a coroutine always runs in a task
                raise RuntimeError("Watchdog.run must be awaited in a task")
            loop = asyncio.get_running_loop()
            if loop is not self._loop:
                self._adopt(loop)
            command = _Command(loop.time() + self._seconds, task)
            self._pending.append(command)
            if self._timer is None:
                self._timer = loop.call_at(command.due, self._expire)
            cancelling = task.cancelling()
            try:
                result = await work(*args)
            except asyncio.CancelledError:
                if command.expired and task.uncancel() <= cancelling:
                    raise TimeoutError from None
                raise
            finally:
                command.task = None
                pending = self._pending
                while pending and pending[0].task is None:
                    pending.popleft()
            if command.expired:
                # The work swallowed the cancellation: take it back, or it would hit the
                # request's next await.
                task.uncancel()
            return result

    else:  # pragma: no cover - Python 3.10

        async def run(self, work: Callable[..., Awaitable[T]], *args: Any) -> T:
            """``await work(*args)``; `TimeoutError` once it takes longer than the
            deadline (the work is cancelled then)."""
            try:
                return await asyncio.wait_for(work(*args), self._seconds)
            except asyncio.TimeoutError:
                raise TimeoutError from None

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start over on another event loop: what the old one tracked died with it."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._pending.clear()
        self._loop = loop

    def _expire(self) -> None:
        """The timer: cancel the commands that are due, then wait for the next oldest."""
        assert self._loop is not None
        now = self._loop.time()
        pending = self._pending
        while pending:
            command = pending[0]
            if command.task is not None:
                if command.due > now:
                    break
                command.expired = True
                command.task.cancel()
            pending.popleft()
        self._timer = self._loop.call_at(pending[0].due, self._expire) if pending else None

    def __repr__(self) -> str:
        return f"Watchdog({self._seconds} s, {len(self._pending)} in flight)"
