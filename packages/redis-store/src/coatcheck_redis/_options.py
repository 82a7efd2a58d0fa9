"""`StoreOptions`: how long a store command may take, and how durable a write must be.

- ``deadline``: seconds one store command may take in total (connecting, retries, a
  reload of the scripts, waiting for replicas). The async store enforces it exactly; the
  sync store cannot interrupt a blocking call, so `from_url` derives the client's socket
  timeouts from it (see `_clients`).
- ``min_replicas_ack``: with ``n > 0``, every write (save, update, update_ttl, delete)
  is followed by ``WAIT n ack_timeout`` on the connection that wrote it, and only counts
  as done once ``n`` replicas confirmed it. Redis replicates asynchronously: without it, a
  write the user saw succeed can be lost when the primary dies before its replicas got it.

This module is pure (no I/O); both stores share it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coatcheck import SessionStoreError

__all__ = ["ACK_TIMEOUT", "DEADLINE", "StoreOptions", "resolve_options"]

DEADLINE = 2.0
"""Default seconds one store command may take in total before the request fails (a 500)."""
ACK_TIMEOUT = 0.5
"""Default seconds ``WAIT`` gives the replicas to confirm a write (``min_replicas_ack``)."""


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


@dataclass(frozen=True)
class StoreOptions:
    """The deadline and the durability knob of one store, validated once."""

    deadline: float = DEADLINE
    min_replicas_ack: int = 0
    ack_timeout: float = ACK_TIMEOUT

    def __post_init__(self) -> None:
        if not _is_finite_number(self.deadline):
            raise ValueError(f"deadline must be a number of seconds, not {self.deadline!r}")
        if self.deadline <= 0:
            raise ValueError(f"deadline must be positive, not {self.deadline!r}")
        if type(self.min_replicas_ack) is not int or self.min_replicas_ack < 0:
            raise ValueError(
                f"min_replicas_ack must be a whole number >= 0, not {self.min_replicas_ack!r}"
            )
        if not _is_finite_number(self.ack_timeout):
            raise ValueError(f"ack_timeout must be a number of seconds, not {self.ack_timeout!r}")
        # WAIT takes whole milliseconds, and WAIT n 0 would block forever.
        if self.ack_timeout < 0.001:
            raise ValueError(f"ack_timeout must be at least 0.001 s, not {self.ack_timeout!r}")
        if self.min_replicas_ack and self.ack_timeout >= self.deadline:
            raise ValueError(
                f"ack_timeout ({self.ack_timeout} s) must be shorter than the deadline "
                f"({self.deadline} s), or no write could ever be confirmed in time"
            )

    @property
    def waits(self) -> bool:
        """Whether writes wait for replicas."""
        return self.min_replicas_ack > 0

    @property
    def wait_arguments(self) -> tuple[str, int, int]:
        """The ``WAIT`` command that confirms a write: ``("WAIT", n, milliseconds)``."""
        return ("WAIT", self.min_replicas_ack, max(1, round(self.ack_timeout * 1000)))

    def check_acknowledged(self, replicas: object) -> None:
        """Raise `SessionStoreError` unless ``WAIT`` answered at least ``min_replicas_ack``."""
        if not isinstance(replicas, int) or replicas < self.min_replicas_ack:
            raise SessionStoreError(
                f"the write was confirmed by {replicas!r} of the {self.min_replicas_ack} "
                f"replica(s) required within {self.ack_timeout} s (min_replicas_ack): it may "
                "be lost in a failover, so the request fails"
            )

    def expired(self, command: str) -> SessionStoreError:
        """The error for a command that did not finish within the deadline."""
        return SessionStoreError(
            f"the Redis store's {command} did not finish within its {self.deadline} s deadline"
        )


def resolve_options(
    explicit: Mapping[str, Any], from_url: Mapping[str, Any]
) -> tuple[StoreOptions, bool]:
    """The store's options and ``read_from_replicas``, from keyword arguments or the URL.

    ``explicit`` holds `from_url`'s keyword arguments (``None`` when not given); an option
    set both there and in the URL's query string is refused, since neither could be
    said to win without surprising someone.
    """
    chosen: dict[str, Any] = {}
    for name, value in explicit.items():
        if value is not None and name in from_url:
            raise ValueError(f"{name} is set both in the URL and as a keyword argument")
        if value is not None:
            chosen[name] = value
        elif name in from_url:
            chosen[name] = from_url[name]
    read_from_replicas = bool(chosen.pop("read_from_replicas", False))
    return StoreOptions(**chosen), read_from_replicas
