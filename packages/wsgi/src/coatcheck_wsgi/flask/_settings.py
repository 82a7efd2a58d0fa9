"""`FlaskSettings`: the Flask configuration a session manager is built from."""

from __future__ import annotations

from coatcheck.pallets import PalletsSettings

__all__ = ["FlaskSettings"]


class FlaskSettings(PalletsSettings):
    """One application's session settings, as read from its Flask config.

    `coatcheck.pallets.PalletsSettings` under Flask's name: Flask and Quart share them.
    """

    __slots__ = ()
