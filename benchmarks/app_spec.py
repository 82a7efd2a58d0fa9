"""`AppSpec`: one benchmarked application (a bare app plus one session layer, or none)."""

from __future__ import annotations

import asyncio
import enum
import importlib.util
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AppSpec", "BuildContext", "Family", "Interface", "missing_modules"]

logger = logging.getLogger("benchmarks")


class Interface(str, enum.Enum):
    """The protocol the app speaks."""

    ASGI = "asgi"
    WSGI = "wsgi"


class Family(str, enum.Enum):
    """Where the session state lives; rows are compared within a family."""

    FLOOR = "floor"
    COOKIE = "cookie"
    REDIS = "redis"


@dataclass
class BuildContext:
    """What an app factory gets: the bench's Redis URL and a place to register cleanups."""

    redis_url: str | None = None
    closers: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)

    def on_close(self, closer: Callable[[], Awaitable[None] | None]) -> None:
        """Run ``closer`` (awaiting it if it returns an awaitable) when the bench is done."""
        self.closers.append(closer)

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the cleanups, last registered first (async ones on ``loop``)."""
        while self.closers:
            closer = self.closers.pop()
            try:
                outcome = closer()
                if inspect.isawaitable(outcome):
                    loop.run_until_complete(outcome)
            except Exception:
                logger.exception("closing a client failed")


@dataclass(frozen=True)
class AppSpec:
    """One row group of the tables: how to build the app and what to compare it with."""

    name: str
    """Short identifier, used by ``--apps`` and in the tables."""
    interface: Interface
    family: Family
    build: Callable[[BuildContext], Any]
    """Builds the ASGI or WSGI callable (imports its session library lazily)."""
    requires: tuple[str, ...] = ()
    """Modules that must be importable; a missing one skips the app with a note."""
    reference: str | None = None
    """The peer whose overhead this app's overhead is divided by."""
    coatcheck: bool = False
    """True for the rows the targets are about."""
    description: str = ""

    @property
    def uses_redis(self) -> bool:
        """Whether the app needs the bench's redis-server."""
        return self.family is Family.REDIS

    @property
    def is_floor(self) -> bool:
        """Whether this is the bare app every overhead is measured against."""
        return self.family is Family.FLOOR


def _installed(module: str) -> bool:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    # A directory without __init__.py is found as a namespace package: not installed.
    return spec is not None and spec.origin not in (None, "namespace")


def missing_modules(spec: AppSpec) -> list[str]:
    """The modules ``spec`` needs that are not installed."""
    return [name for name in spec.requires if not _installed(name)]
