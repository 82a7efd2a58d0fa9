"""`PathDispatcher`: one origin for two apps, split by path prefix.

Requests under the prefix (``/api`` and ``/api/...``) go to the API app, everything else
to the pages app. Lifespan events go to the API app only (the pages app, a WSGI app
behind a bridge, has none to handle).
"""

from __future__ import annotations

from coatcheck_asgi import ASGIApp, Receive, Scope, Send

__all__ = ["PathDispatcher"]


class PathDispatcher:
    """An ASGI app that sends ``prefix`` and what is under it to ``api``, the rest to
    ``pages``. Paths are not rewritten: the API app routes the full ``/api/...`` path."""

    def __init__(self, api: ASGIApp, pages: ASGIApp, *, prefix: str = "/api") -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must start with '/' and not end with one, got {prefix!r}")
        self.api = api
        """The app serving the prefix."""
        self.pages = pages
        """The app serving every other path."""
        self.prefix = prefix
        """The path prefix the API owns."""
        self._under = prefix + "/"

    def routes_to_api(self, path: str) -> bool:
        """Whether ``path`` belongs to the API app."""
        return path == self.prefix or path.startswith(self._under)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or self.routes_to_api(scope.get("path", "")):
            await self.api(scope, receive, send)
        else:
            await self.pages(scope, receive, send)
