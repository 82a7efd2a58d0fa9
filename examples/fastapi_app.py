"""The session as a FastAPI dependency: a shopping cart.

``SessionDep`` loads the request's session (lazily: endpoints that do not ask for it
cost no store round trip) and hands it to the endpoint as a plain ``dict``-like
`coatcheck.Session`::

    @app.post("/cart/{item}")
    async def add(item: str, session: SessionDep) -> Cart:
        session["items"] = [*session.get("items", []), item]
        ...

Run it with ``uvicorn --factory examples.fastapi_app:create_app`` from the repository
root (plain http on 127.0.0.1, so the cookie is not ``Secure``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from coatcheck import CookieStore, Key, Session, SessionConfig
from coatcheck_asgi import AnyStore, SessionMiddleware, load_session


class Cart(BaseModel):
    """What the cart endpoints answer."""

    items: list[str]


async def get_session(request: Request) -> Session:
    """The FastAPI dependency: the request's session, loaded from the store."""
    return await load_session(request)


SessionDep = Annotated[Session, Depends(get_session)]


async def show_cart(session: SessionDep) -> Cart:
    return Cart(items=session.get("items", []))


async def add_item(item: str, session: SessionDep) -> Cart:
    session["items"] = [*session.get("items", []), item]
    return Cart(items=session["items"])


async def empty_cart(session: SessionDep) -> Cart:
    session.pop("items", None)
    return Cart(items=[])


async def health() -> dict[str, str]:
    """Never touches the session: in lazy mode it costs the store nothing."""
    return {"status": "ok"}


def create_app(store: AnyStore | None = None, key: Key | None = None) -> FastAPI:
    """The cart app, with sessions in ``store`` (default: `CookieStore`)."""
    app = FastAPI(title="coatcheck cart")
    app.add_middleware(
        SessionMiddleware,
        store=CookieStore() if store is None else store,
        key=Key.generate() if key is None else key,
        config=SessionConfig(cookie_name="cart", cookie_secure=False),
        lazy=True,
    )
    app.get("/cart")(show_cart)
    app.post("/cart/{item}")(add_item)
    app.delete("/cart")(empty_cart)
    app.get("/health")(health)
    return app
