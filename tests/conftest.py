"""Settings shared by every suite: hypothesis profiles and the shared fixtures."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.support.browser import chromium

__all__ = ["chromium"]

# "default" keeps a local run quick; CI runs the "ci" profile with more examples.
settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)
