"""`QuartSession`: a coatcheck `Session` that Quart accepts as its own."""

from __future__ import annotations

from quart.sessions import SessionMixin

from coatcheck.pallets import PalletsSession

__all__ = ["QuartSession"]


class QuartSession(PalletsSession, SessionMixin):  # type: ignore[override]
    """The session ``quart.session`` returns under `QuartSessionInterface`.

    A `coatcheck.Session` (a ``dict``) that is also Quart's ``SessionMixin``. coatcheck's
    flags win over the mixin's: ``permanent`` is stored with the session, not as a
    ``"_permanent"`` key; ``new`` is true until a live session was loaded; ``modified``
    and ``accessed`` are tracked, and ``session.modified = True`` forces a save.

    As in Quart, any assignment writes the cookie, even of the value a key already held
    (`coatcheck.pallets.PalletsSession`); a server-side store still writes only the keys
    whose values changed.
    """
