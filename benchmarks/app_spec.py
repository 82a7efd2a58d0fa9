"""`AppSpec`: one benchmarked application (a bare app plus one session layer, or none),
and the catalogue of every app, gathered from the ``*_apps`` modules of this package.

Registering the apps of another framework is adding one module, ``<framework>_apps.py``,
that defines ``APPS`` (a tuple of `AppSpec`, its bare app among them): `all_apps` finds it
by its name, and its rows are measured against its own bare app (see benchmarks/README.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib
import importlib.util
import inspect
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .scenarios import Scenario

__all__ = [
    "ACK_TIMEOUT",
    "RTTS",
    "AppSpec",
    "BuildContext",
    "Factory",
    "Family",
    "Interface",
    "all_apps",
    "app_named",
    "farther_away",
    "missing_modules",
]

logger = logging.getLogger("benchmarks")


class Interface(str, enum.Enum):
    """The protocol the app speaks (which driver calls it)."""

    ASGI = "asgi"
    WSGI = "wsgi"


class Family(str, enum.Enum):
    """Where the session state lives; rows are compared within a family."""

    FLOOR = "floor"
    COOKIE = "cookie"
    REDIS = "redis"


@dataclass
class BuildContext:
    """What an app factory gets: the bench's Redis and a place to register cleanups."""

    redis_url: str | None = None
    redis_variants: Callable[..., str] | None = None
    """`BenchRedis.url_with`, where the bench can add a replica or a slower network."""
    closers: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)

    def redis_url_with(self, *, rtt: float = 0.0, replica: bool = False) -> str:
        """The bench's Redis behind ``rtt`` more seconds per round trip, or with a replica."""
        if not rtt and not replica and self.redis_url is not None:
            return self.redis_url
        if self.redis_variants is None:
            raise RuntimeError("this run has no Redis variants (in-process runs only)")
        return self.redis_variants(rtt=rtt, replica=replica)

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


Factory = Callable[[BuildContext], Any]
"""Builds the ASGI or WSGI callable (importing its session library lazily)."""


@dataclass(frozen=True)
class AppSpec:
    """One row group of the tables: how to build the app and what to compare it with."""

    name: str
    """Short identifier, used by ``--apps`` and in the tables."""
    interface: Interface
    family: Family
    build: Factory
    requires: tuple[str, ...] = ()
    """Modules that must be importable; a missing one skips the app with a note."""
    reference: str | None = None
    """The app whose overhead this app's overhead is divided by."""
    coatcheck: bool = False
    """True for the rows the targets are about."""
    description: str = ""
    framework: str = ""
    """The web framework; overheads are taken over the bare app (`Family.FLOOR`) of the
    same framework. Empty: the module's ``FRAMEWORK``, else the module's name (``quart_apps``
    gives ``quart``)."""
    scenarios: tuple[Scenario, ...] = tuple(Scenario)
    """The scenarios worth measuring (a row that only differs on reads needs only those)."""

    @property
    def uses_redis(self) -> bool:
        """Whether the app needs the bench's redis-server."""
        return self.family is Family.REDIS

    @property
    def is_floor(self) -> bool:
        """Whether this is the bare app the overheads of its framework are measured over."""
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


def _specs_of(module: Any) -> list[AppSpec]:
    """Every `AppSpec` in a module's ``APPS`` (or ``<NAME>_APPS``) tuples."""
    default = module.__name__.rsplit(".", 1)[-1].removesuffix("_apps")
    framework = getattr(module, "FRAMEWORK", default)
    found = []
    for name, value in vars(module).items():
        if (name == "APPS" or name.endswith("_APPS")) and isinstance(value, tuple):
            for spec in value:
                if isinstance(spec, AppSpec):
                    if not spec.framework:
                        spec = dataclasses.replace(spec, framework=framework)
                    found.append(spec)
    return found


@cache
def all_apps() -> tuple[AppSpec, ...]:
    """Every app of every ``benchmarks/*_apps.py`` module, module by module (sorted)."""
    package = Path(__file__).parent
    names = sorted(info.name for info in pkgutil.iter_modules([str(package)]))
    specs: list[AppSpec] = []
    for name in names:
        if name.endswith("_apps"):
            specs += _specs_of(importlib.import_module(f"{__package__}.{name}"))
    return tuple(specs)


def app_named(name: str) -> AppSpec:
    """The spec of the app called ``name``."""
    for spec in all_apps():
        if spec.name == name:
            return spec
    raise SystemExit(f"no benchmarked app is called {name!r} (see --list-apps)")


RTTS = (0.001, 0.002)
"""Round-trip times the delay proxy adds for the "Redis farther away" rows."""
ACK_TIMEOUT = 1.5
"""``ack_timeout`` of the ``min_replicas_ack=1`` rows: long, so that a machine busy with
other work fails no correctness check (a confirmed write takes far less)."""


def farther_away(
    interface: Interface,
    peer: tuple[str, Callable[[float], Factory], tuple[str, ...]],
    ours: tuple[str, Callable[[float], Factory], tuple[str, ...]],
) -> tuple[AppSpec, ...]:
    """A peer's Redis row and ours again at each of `RTTS`, ours compared with the peer's.

    Each of ``peer`` and ``ours`` is a row's name, its factory for a given round-trip time
    and the modules it needs.
    """
    specs = []
    for rtt in RTTS:
        suffix = f"-rtt{rtt * 1000:g}ms"
        for name, factory, requires in (peer, ours):
            specs.append(
                AppSpec(
                    name + suffix,
                    interface,
                    Family.REDIS,
                    factory(rtt),
                    requires=requires,
                    reference=peer[0] + suffix,
                    coatcheck=name == ours[0],
                    description=f"as {name}, with {rtt * 1000:g} ms more per round trip (proxy)",
                )
            )
    return tuple(specs)
