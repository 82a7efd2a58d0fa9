"""`Key`: the secret that signs and encrypts session cookies."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["Key", "normalize_keys"]

logger = logging.getLogger("coatcheck")

KEY_LENGTH = 64
_HALF = KEY_LENGTH // 2
_DERIVE_INFO = b"coatcheck session key v1"
_DERIVE_SALT = b"coatcheck"
_WEAK_SECRET_LENGTH = 32


class Key:
    """64 bytes of key material: the first 32 sign, the next 32 encrypt.

    Build one with `Key.generate`, `Key.from_bytes`, `Key.derive_from` or
    `Key.from_base64`. Keys compare in constant time and their ``repr`` never shows the
    material. A `Key` is immutable and safe to share between threads.
    """

    __slots__ = ("_aead", "_material", "_signing")

    _material: bytes
    _signing: bytes
    _aead: AESGCM

    def __init__(self, material: bytes) -> None:
        """Prefer the named constructors; ``material`` must be exactly 64 bytes."""
        raw: object = material  # checked at run time for untyped callers
        if not isinstance(raw, bytes) or len(raw) != KEY_LENGTH:
            raise ValueError(f"a Key needs exactly {KEY_LENGTH} bytes of material")
        object.__setattr__(self, "_material", material)
        object.__setattr__(self, "_signing", material[:_HALF])
        object.__setattr__(self, "_aead", AESGCM(material[_HALF:]))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Key is immutable")

    @classmethod
    def generate(cls) -> Key:
        """A new key of 64 random bytes from the `secrets` module."""
        return cls(secrets.token_bytes(KEY_LENGTH))

    @classmethod
    def from_bytes(cls, material: bytes) -> Key:
        """A key from at least 64 bytes of random material (the first 64 are used)."""
        if not isinstance(material, (bytes, bytearray, memoryview)):
            raise TypeError("Key.from_bytes() takes bytes")
        raw = bytes(material)
        if len(raw) < KEY_LENGTH:
            raise ValueError(
                f"Key.from_bytes() needs at least {KEY_LENGTH} bytes, got {len(raw)}; "
                "use Key.derive_from() for a shorter secret"
            )
        return cls(raw[:KEY_LENGTH])

    @classmethod
    def derive_from(cls, secret: str | bytes) -> Key:
        """A key derived from any non-empty secret with HKDF-SHA256.

        Meant for existing secrets such as Flask's ``SECRET_KEY``. A secret shorter than
        32 bytes is accepted with a warning on the ``coatcheck`` logger.
        """
        if isinstance(secret, str):
            raw = secret.encode("utf-8")
        elif isinstance(secret, (bytes, bytearray, memoryview)):
            raw = bytes(secret)
        else:
            raise TypeError("Key.derive_from() takes str or bytes")
        if not raw:
            raise ValueError("Key.derive_from() needs a non-empty secret")
        if len(raw) < _WEAK_SECRET_LENGTH:
            logger.warning(
                "deriving a session key from a secret of %d bytes; use at least %d random "
                "bytes (python -m coatcheck keygen prints a suitable key)",
                len(raw),
                _WEAK_SECRET_LENGTH,
            )
        hkdf = HKDF(
            algorithm=hashes.SHA256(), length=KEY_LENGTH, salt=_DERIVE_SALT, info=_DERIVE_INFO
        )
        return cls(hkdf.derive(raw))

    @classmethod
    def from_base64(cls, text: str | bytes) -> Key:
        """The inverse of `to_base64` (URL-safe or standard alphabet, padding optional)."""
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
        try:
            raw = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not a base64-encoded key") from exc
        return cls.from_bytes(raw)

    def to_base64(self) -> str:
        """The key material as unpadded URL-safe base64 (86 characters)."""
        return base64.urlsafe_b64encode(self._material).rstrip(b"=").decode("ascii")

    @property
    def fingerprint(self) -> str:
        """A short, non-secret identifier of this key, for logs and debugging."""
        return hashlib.sha256(b"coatcheck fingerprint\x00" + self._material).hexdigest()[:12]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Key):
            return NotImplemented
        return hmac.compare_digest(self._material, other._material)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"Key(fingerprint={self.fingerprint!r})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Key objects are not picklable; store key.to_base64() instead")


def normalize_keys(key: Key | Sequence[Key]) -> tuple[Key, ...]:
    """Turn the ``key`` argument every adapter takes into a non-empty tuple of keys.

    The first key signs and encrypts; every key is accepted on the way in.
    """
    if isinstance(key, Key):
        return (key,)
    given: object = key  # a str or bytes secret is a common mistake; say what to do
    if isinstance(given, (str, bytes)):
        raise TypeError(
            "key must be a coatcheck.Key or a sequence of them; use Key.derive_from(secret) "
            "or Key.from_base64(text) to build one"
        )
    keys = tuple(key)
    if not keys:
        raise ValueError("at least one key is needed")
    for item in keys:
        if not isinstance(item, Key):
            raise TypeError(f"expected coatcheck.Key, got {type(item).__name__}")
    return keys
