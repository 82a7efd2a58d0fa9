"""What each store command sends (its Redis names) and how its answer reads.

Pure (no I/O); the sync and async stores share it. Every command's names share one
family, so one slot (see `_record`): the checks here keep it so, refusing early what
would fail later with a cluster's ``CROSSSLOT``.
"""

from __future__ import annotations

from typing import Any

from coatcheck import Forwarded, SessionMeta
from coatcheck.sansio import subject_family

from ._index import index_key, is_session_id
from ._record import as_bytes, family_prefix, key_family, store_key

__all__ = [
    "check_prefix",
    "id_argument",
    "renew_keys",
    "revoke_keys",
    "save_keys",
    "write_answer",
]


def check_prefix(key_prefix: str, cluster: bool) -> None:
    """Refuse a cluster ``key_prefix`` with braces: the store's own hash tag (``{family}``)
    must be the first one in every name, or a session and its index could land in
    different slots."""
    if cluster and ("{" in key_prefix or "}" in key_prefix):
        raise ValueError(
            f"key_prefix {key_prefix!r} holds a brace: on Redis Cluster the store places "
            "its own hash tag ({family}) after the prefix, so the prefix must have none"
        )


def save_keys(prefix: bytes, key: str, meta: SessionMeta | None) -> tuple[bytes, ...]:
    """The names a save touches: the session, and its subject's index with ``meta``."""
    name = store_key(prefix, key)
    if meta is None:
        return (name,)
    if key_family(key) != subject_family(meta.subject):
        raise ValueError(
            "a session of a subject must have a key of the subject's family "
            "(coatcheck.sansio.subject_family), as the core draws them"
        )
    return (name, index_key(prefix, meta.subject))


def renew_keys(prefix: bytes, key: str, new_key: str) -> tuple[bytes, bytes]:
    """The names a renewal touches: the session's and its successor's (same family)."""
    if key_family(key) != key_family(new_key):
        raise ValueError("a renewal keeps the session's family: new_key must be of key's")
    return store_key(prefix, key), store_key(prefix, new_key)


def revoke_keys(prefix: bytes, subject: str, session_id: str) -> tuple[bytes, bytes] | None:
    """The index and the session a revocation names, or ``None`` for an id that names no
    session at all."""
    if not is_session_id(session_id):
        return None
    name = family_prefix(prefix, subject_family(subject)) + session_id.encode("ascii")
    return index_key(prefix, subject), name


def id_argument(session_id: str | None) -> bytes:
    """A session id to keep, as a script argument (``b""`` for none)."""
    return b"" if session_id is None else session_id.encode("utf-8", "surrogatepass")


def write_answer(reply: Any) -> bool | Forwarded:
    """An update or renewal script's answer: a list of sealed pointers means the change
    went to a successor."""
    if isinstance(reply, list):
        return Forwarded(tuple(as_bytes(item).decode("utf-8", "surrogatepass") for item in reply))
    return bool(reply)
