from __future__ import annotations

import base64
import logging
import pickle
import subprocess
import sys

import pytest

from coatcheck import Key
from coatcheck._key import normalize_keys


def test_generate_gives_distinct_64_byte_keys() -> None:
    first, second = Key.generate(), Key.generate()
    assert first != second
    assert len(base64.urlsafe_b64decode(first.to_base64() + "==")) == 64


def test_from_bytes_needs_64_bytes_and_uses_the_first_64() -> None:
    with pytest.raises(ValueError, match="at least 64 bytes"):
        Key.from_bytes(b"x" * 63)
    material = bytes(range(100))
    assert Key.from_bytes(material) == Key.from_bytes(material[:64])
    assert Key.from_bytes(material) != Key.from_bytes(material[1:65])
    with pytest.raises(TypeError):
        Key.from_bytes("x" * 64)  # type: ignore[arg-type]


def test_derive_from_is_deterministic_and_accepts_str_or_bytes() -> None:
    secret = "correct horse battery staple, long enough to be fine"
    assert Key.derive_from(secret) == Key.derive_from(secret.encode())
    assert Key.derive_from(secret) != Key.derive_from(secret + "!")
    with pytest.raises(ValueError, match="non-empty"):
        Key.derive_from("")
    with pytest.raises(TypeError):
        Key.derive_from(42)  # type: ignore[arg-type]


def test_short_secret_is_a_logged_warning_not_a_python_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="coatcheck"):
        Key.derive_from("dev")
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "3 bytes" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="coatcheck"):
        Key.derive_from("x" * 32)
    assert caplog.records == []


def test_base64_round_trip_in_both_alphabets() -> None:
    key = Key.generate()
    text = key.to_base64()
    assert len(text) == 86 and "=" not in text
    assert Key.from_base64(text) == key
    standard = base64.b64encode(base64.urlsafe_b64decode(text + "==")).decode()
    assert Key.from_base64(standard) == key
    assert Key.from_base64(text.encode()) == key
    with pytest.raises(ValueError):
        Key.from_base64("not base64 at all!")
    with pytest.raises(ValueError):
        Key.from_base64(base64.urlsafe_b64encode(b"short").decode())


def test_repr_never_shows_key_material() -> None:
    material = bytes(range(64))
    key = Key.from_bytes(material)
    shown = repr(key) + str(key)
    assert key.to_base64() not in shown
    assert material.hex()[:16] not in shown
    assert key.fingerprint in shown


def test_keys_are_immutable_hashable_and_not_picklable() -> None:
    key = Key.generate()
    with pytest.raises(AttributeError):
        key._material = b"x" * 64
    assert hash(key) == hash(Key.from_base64(key.to_base64()))
    assert len({key, Key.from_base64(key.to_base64())}) == 1
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(key)
    assert key != "not a key"


def test_normalize_keys() -> None:
    first, second = Key.generate(), Key.generate()
    assert normalize_keys(first) == (first,)
    assert normalize_keys([first, second]) == (first, second)
    with pytest.raises(ValueError, match="at least one"):
        normalize_keys([])
    with pytest.raises(TypeError, match="derive_from"):
        normalize_keys("secret")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"coatcheck\.Key"):
        normalize_keys([first, b"raw"])  # type: ignore[list-item]


def test_keygen_command_prints_a_loadable_key() -> None:
    output = subprocess.run(
        [sys.executable, "-m", "coatcheck", "keygen"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    key = Key.from_base64(output.strip())
    assert key.to_base64() == output.strip()
