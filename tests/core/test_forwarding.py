"""The sealed pointer a renewed key keeps to its successor (`coatcheck.sansio`)."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from coatcheck.sansio import Successor, open_forward, seal_forward

keys = st.text(min_size=1, max_size=60)
times = st.none() | st.floats(allow_nan=False, allow_infinity=False)
permanence = st.none() | st.booleans()


@given(keys, keys, times, permanence)
def test_the_old_key_opens_what_was_sealed_under_it(
    old: str, new: str, authenticated_at: float | None, permanent: bool | None
) -> None:
    forward = seal_forward(old, new, authenticated_at, permanent)
    assert open_forward(old, forward) == Successor(new, authenticated_at, permanent)


@given(keys, keys, keys, times, permanence)
def test_another_key_opens_nothing(
    old: str, other: str, new: str, authenticated_at: float | None, permanent: bool | None
) -> None:
    forward = seal_forward(old, new, authenticated_at, permanent)
    if other != old:
        assert open_forward(other, forward) is None


@given(keys, keys, permanence, st.integers(0, 15), st.integers(0, 7))
def test_a_pointer_with_a_flipped_check_bit_opens_nothing(
    old: str, new: str, permanent: bool | None, position: int, bit: int
) -> None:
    sealed = bytearray(base64.urlsafe_b64decode(seal_forward(old, new, 1.5, permanent)))
    sealed[position] ^= 1 << bit
    assert open_forward(old, base64.urlsafe_b64encode(bytes(sealed)).decode("ascii")) is None


@given(keys, keys, st.integers(0x08, 0xFF))
def test_flags_the_format_does_not_define_open_nothing(old: str, new: str, flags: int) -> None:
    sealed = bytearray(base64.urlsafe_b64decode(seal_forward(old, new, None, None)))
    sealed[16] ^= flags  # the flags byte was 0: the pad's byte is XORed with ``flags``
    assert open_forward(old, base64.urlsafe_b64encode(bytes(sealed)).decode("ascii")) is None


def test_garbage_opens_nothing() -> None:
    for text in ("", "not base64!", "AAAA", "é", base64.urlsafe_b64encode(bytes(40)).decode()):
        assert open_forward("old", text) is None
