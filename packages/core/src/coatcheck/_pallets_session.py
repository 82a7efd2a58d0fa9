"""`PalletsSession`: the session rule Flask and Quart share."""

from __future__ import annotations

from ._session import Session

__all__ = ["PalletsSession"]


class PalletsSession(Session):
    """A `coatcheck.Session` that writes the cookie the way Flask and Quart decide it.

    In both frameworks any assignment marks the session modified, even of the value a
    key already held, and a modified session writes its cookie (`save_on_any_write`); a
    server-side store still writes only the keys whose values changed. The framework
    adapters mix their ``SessionMixin`` into it (``FlaskSession``, ``QuartSession``).
    """

    save_on_any_write = True
