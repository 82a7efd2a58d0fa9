"""pytest plugins that point a peer's own test suite at coatcheck.

The peer runs put this folder on ``PYTHONPATH`` and load one plugin with ``-p``, so the
modules import as top-level names (``tests`` is the peer's own test package there) and
import nothing from this repository's ``tests``.
"""
