"""What ``request.set_session`` and ``request.clear_session`` did, applied to the session.

Litestar's connection does not change the session it was given: ``set_session(value)``
puts ``value`` (a dict, a dataclass or a pydantic model) in ``scope["session"]`` and
``clear_session()`` puts Litestar's ``Empty`` there. Before the response starts, the
middleware puts the request's `coatcheck.Session` back and replays what the handler
meant on it: an empty value (``Empty``, ``None``, ``{}``) purges the session (the store's
record is deleted and the cookie removed), anything else becomes its content. The core
then decides by value what to write, as for any other change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from litestar.serialization import decode_json, encode_json
from litestar.types import Empty
from litestar.utils import get_serializer_from_scope

from coatcheck import Session
from coatcheck_asgi import Scope

from ._loading import UNLOADED, ensure_loaded

__all__ = ["apply_replacement", "as_session_data"]


def as_session_data(value: object, scope: Scope) -> dict[str, Any] | None:
    """The state ``value`` stands for: ``None`` for "no session" (``Empty``, ``None``, an
    empty mapping), else a plain dict (a data container goes through Litestar's JSON
    encoder, with the application's type encoders, as its own backends do)."""
    if value is Empty or value is None:
        return None
    if isinstance(value, Mapping):
        data = dict(value)
    else:
        serializer = get_serializer_from_scope(cast(Any, scope))
        decoded = decode_json(encode_json(value, serializer))
        if not isinstance(decoded, dict):
            raise TypeError(
                f"request.set_session() needs a mapping or a data container that encodes "
                f"to a JSON object, got {type(value).__name__}"
            )
        data = decoded
    return data or None


async def apply_replacement(scope: Scope, session: Session) -> None:
    """Put ``session`` back in the scope, carrying what replaced it there (if anything)."""
    current = scope.get("session")
    if current is session:
        return
    if current is UNLOADED:  # lazy, never loaded, never replaced
        scope["session"] = session
        return
    data = as_session_data(current, scope)
    scope["session"] = session
    await ensure_loaded(scope)  # lazy mode: the state must be known to replace it
    if data is None:
        session.purge()
    else:
        session.clear()
        session.update(data)
