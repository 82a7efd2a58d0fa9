"""Settings shared by every suite: hypothesis profiles and the shared fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.support.browser import browser_context, chromium

__all__ = ["browser_context", "chromium"]

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API owns the main thread's event loop."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
