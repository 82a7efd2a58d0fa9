"""`FlaskSession`: a coatcheck `Session` that Flask accepts as its own."""

from __future__ import annotations

from flask.sessions import SessionMixin

from coatcheck.pallets import PalletsSession

__all__ = ["FlaskSession"]


class FlaskSession(PalletsSession, SessionMixin):  # type: ignore[override]
    """The session ``flask.session`` returns under `FlaskSessionInterface`.

    A `coatcheck.Session` (a ``dict``) that is also Flask's ``SessionMixin``. coatcheck's
    flags win over the mixin's: ``permanent`` is stored with the session, not as a
    ``"_permanent"`` key; ``new`` is true until a live session was loaded; ``modified``
    and ``accessed`` are tracked, and ``session.modified = True`` forces a save. Flask
    marks the session accessed whenever ``flask.session`` is used, and that first use
    loads it from the store.

    As in Flask, any assignment writes the cookie, even of the value a key already held
    (`coatcheck.pallets.PalletsSession`); a server-side store still writes only the keys
    whose values changed.
    """
