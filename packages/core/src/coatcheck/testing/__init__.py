"""coatcheck.testing: property-test your stores, adapters and apps against coatcheck's rules.

Install with ``pip install coatcheck[testing]`` (hypothesis and pytest). Three tools:

- `strategies`: hypothesis strategies for session states, configs, keys, genuine cookies
  and hostile ``Cookie`` headers;
- `SessionLifecycle`: the state machine the core's own tests run (browser, clock,
  application, model), to subclass with your store or your framework glue;
- `StoreConformance` and `AsyncStoreConformance`: the store contract as pytest base
  classes, ``class TestMyStore(StoreConformance): make_store = MyStore``.

``import coatcheck`` never imports this package (nor hypothesis).
"""

from __future__ import annotations

from . import strategies
from .async_store import AsyncStoreWrapper
from .clock import Clock
from .conformance import AsyncStoreConformance, StoreConformance
from .cookie_jar import Cookie, CookieJar
from .drivers import AsyncExchangeDriver, Driver, ExchangeDriver, Handler, Response
from .lifecycle import SessionLifecycle
from .strategies import (
    GenuineCookie,
    genuine_cookies,
    hostile_cookie_headers,
    json_values,
    keys,
    session_configs,
    session_states,
)
from .tokens import DeterministicTokens

__all__ = [
    "AsyncExchangeDriver",
    "AsyncStoreConformance",
    "AsyncStoreWrapper",
    "Clock",
    "Cookie",
    "CookieJar",
    "DeterministicTokens",
    "Driver",
    "ExchangeDriver",
    "GenuineCookie",
    "Handler",
    "Response",
    "SessionLifecycle",
    "StoreConformance",
    "genuine_cookies",
    "hostile_cookie_headers",
    "json_values",
    "keys",
    "session_configs",
    "session_states",
    "strategies",
]
