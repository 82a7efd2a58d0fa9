"""Starlette's and Flask's own session tests, run against coatcheck (``nox -s peers``).

See README.md beside this file. `suites` says which tests of which sdist run with which
shim, `sdists` fetches and unpacks the pinned sdists, `verdict` reads a run's JUnit
report; ``python -m tests.peers [starlette|flask]`` runs them.
"""
