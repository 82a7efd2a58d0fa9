"""What the client gets when the session store fails: a plain 500, or the ``on_error`` app.

A store failure is never the client's fault and never leaks: the application's own
response (status, headers, body) is dropped and no cookie is set. The failure itself was
already logged once on the ``coatcheck`` logger by the core.
"""

from __future__ import annotations

from coatcheck import SessionStoreError

from ._types import ErrorHandler, Receive, Scope, Send

__all__ = ["respond_to_store_failure"]

_BODY = b"Internal Server Error"
_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_BODY)).encode("ascii")),
]
_WEBSOCKET_DENIAL = "websocket.http.response"
_INTERNAL_ERROR_CLOSE_CODE = 1011


async def _internal_server_error(scope: Scope, receive: Receive, send: Send) -> None:
    """The default answer: ``500 Internal Server Error`` in plain text."""
    if scope["type"] == "websocket":
        extensions = scope.get("extensions") or {}
        if _WEBSOCKET_DENIAL in extensions:
            prefix = "websocket."
        else:
            # Closing before the handshake completes makes the server refuse it.
            await send({"type": "websocket.close", "code": _INTERNAL_ERROR_CLOSE_CODE})
            return
    else:
        prefix = ""
    await send({"type": prefix + "http.response.start", "status": 500, "headers": _HEADERS})
    await send({"type": prefix + "http.response.body", "body": _BODY})


async def respond_to_store_failure(
    scope: Scope,
    receive: Receive,
    send: Send,
    error: SessionStoreError,
    on_error: ErrorHandler | None,
) -> None:
    """Answer the client after ``error``: the app ``on_error`` returns, or a plain 500."""
    app = await on_error(scope, error) if on_error is not None else None
    await (app or _internal_server_error)(scope, receive, send)
