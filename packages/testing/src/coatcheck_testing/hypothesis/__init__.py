"""coatcheck_testing.hypothesis: strategies and the lifecycle state machine.

Needs hypothesis (``pip install "coatcheck-testing[hypothesis]"``):

- strategies for session states, configs, keys, genuine cookies and hostile ``Cookie``
  headers (`session_states`, `session_configs`, `keys`, `genuine_cookies`,
  `hostile_cookie_headers`, `json_values`);
- `SessionLifecycle`, the state machine coatcheck's own tests run (a browser, a clock and
  an application against a store, checked against a plain-dict model), to subclass with
  your store or your framework glue.
"""

from __future__ import annotations

from ._lifecycle import SessionLifecycle
from ._strategies import (
    GenuineCookie,
    genuine_cookies,
    hostile_cookie_headers,
    json_values,
    keys,
    session_configs,
    session_states,
)

__all__ = [
    "GenuineCookie",
    "SessionLifecycle",
    "genuine_cookies",
    "hostile_cookie_headers",
    "json_values",
    "keys",
    "session_configs",
    "session_states",
]
