"""The distribution's version, moved in lockstep with the other coatcheck packages."""

from __future__ import annotations

__version__ = "0.1.0"
