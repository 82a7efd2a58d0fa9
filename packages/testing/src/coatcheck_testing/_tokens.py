"""`DeterministicTokens`: a reproducible random source, injected as a manager's ``token``."""

from __future__ import annotations

import hashlib
from collections import deque

__all__ = ["DeterministicTokens"]


class DeterministicTokens:
    """Distinct, reproducible "random" bytes: SHA-256 of a seed and a counter.

    Pass it as ``SessionManager(token=tokens)``. Every draw differs from every other one
    (so AES-GCM nonces never repeat), and the same seed gives the same sequence, so a
    failing example replays exactly. `repeat_next` makes a future draw return chosen
    bytes, which lets a test collide a fresh session key with a live one.
    """

    __slots__ = ("_counter", "_repeats", "_seed")

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed.to_bytes(16, "big", signed=True)
        self._counter = 0
        self._repeats: dict[int, deque[bytes]] = {}

    def __call__(self, size: int) -> bytes:
        """``size`` bytes: a queued repeat of that size if any, else fresh ones."""
        queued = self._repeats.get(size)
        if queued:
            return queued.popleft()
        out = bytearray()
        while len(out) < size:
            self._counter += 1
            block = self._seed + self._counter.to_bytes(8, "big")
            out += hashlib.sha256(block).digest()
        return bytes(out[:size])

    def repeat_next(self, raw: bytes) -> None:
        """Make the next draw of ``len(raw)`` bytes return ``raw``."""
        self._repeats.setdefault(len(raw), deque()).append(bytes(raw))

    def pending_repeats(self) -> int:
        """How many queued repeats no draw has consumed yet."""
        return sum(len(queue) for queue in self._repeats.values())

    def clear_repeats(self) -> None:
        """Forget the queued repeats."""
        self._repeats.clear()

    def __repr__(self) -> str:
        return f"DeterministicTokens(<{self._counter} blocks drawn>)"
