"""The coatcheck benchmark harness: ``python -m benchmarks`` (what ``nox -s bench`` runs)."""
