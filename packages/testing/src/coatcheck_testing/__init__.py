"""coatcheck_testing: test your stores, adapters and apps against coatcheck's rules.

This module needs nothing but coatcheck: a clock, a token source, store doubles, a cookie
jar, request clients and the store checks as plain functions. Two layers sit on top:

- `coatcheck_testing.hypothesis` (``pip install "coatcheck-testing[hypothesis]"``):
  strategies and the `SessionLifecycle` state machine;
- `coatcheck_testing.pytest` (``pip install "coatcheck-testing[pytest]"``): the store
  checks as the `StoreConformance` pytest base class.
"""

from __future__ import annotations

from ._checks import (
    BASE_CHECKS,
    FORWARDING_CHECKS,
    INDEX_CHECKS,
    ROUND_TRIP_STATES,
    STORE_CHECKS,
    check_async_store,
    check_store,
    opened_store,
    run_check,
)
from ._clients import AsyncExchangeClient, Client, ExchangeClient, Handler, Response
from ._clock import START, Clock
from ._cookie_jar import Cookie, CookieJar
from ._cookies import cookie_value, removes_cookie
from ._store_target import StoreTarget
from ._stores import AsyncStoreWrapper, RecordingStore, StoreFailure
from ._tokens import DeterministicTokens
from ._version import __version__

__all__ = [
    "BASE_CHECKS",
    "FORWARDING_CHECKS",
    "INDEX_CHECKS",
    "ROUND_TRIP_STATES",
    "START",
    "STORE_CHECKS",
    "AsyncExchangeClient",
    "AsyncStoreWrapper",
    "Client",
    "Clock",
    "Cookie",
    "CookieJar",
    "DeterministicTokens",
    "ExchangeClient",
    "Handler",
    "RecordingStore",
    "Response",
    "StoreFailure",
    "StoreTarget",
    "__version__",
    "check_async_store",
    "check_store",
    "cookie_value",
    "opened_store",
    "removes_cookie",
    "run_check",
]
