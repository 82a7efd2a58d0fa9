"""Calling a sync and an async store through one code path, so tests cover both."""

from __future__ import annotations

import inspect
from typing import Any


async def call(result: Any) -> Any:
    """The result of a sync store call, or the awaited result of an async one."""
    if inspect.isawaitable(result):
        return await result
    return result
