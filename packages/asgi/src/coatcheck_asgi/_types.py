"""The ASGI types the middleware speaks, structurally identical to Starlette's.

Defined here so the package needs no web framework: a Starlette or FastAPI application,
`Request` or ``send`` callable fits them as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from coatcheck import SessionStoreError

__all__ = ["ASGIApp", "ErrorHandler", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
"""The connection scope (``scope["session"]`` is the request's `coatcheck.Session`)."""
Message = MutableMapping[str, Any]
"""One ASGI event, sent or received."""
Receive = Callable[[], Awaitable[Message]]
"""The callable an application awaits for the next incoming event."""
Send = Callable[[Message], Awaitable[None]]
"""The callable an application awaits to send an event."""
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application (a Starlette ``Response`` is one too)."""
ErrorHandler = Callable[[Scope, SessionStoreError], Awaitable[ASGIApp | None]]
"""The ``on_error`` hook: given the scope and the store failure, return the ASGI app that
answers the client instead (a Starlette ``Response`` will do), or ``None`` for the default
plain-text 500."""
