"""coatcheck-redis: Redis session stores for coatcheck.

`RedisStore` (sync: WSGI, Flask) and `AsyncRedisStore` (asyncio: Starlette, FastAPI)
keep each session in a Redis hash under a digest of its session key, one round trip per
store command, on one server, over TLS, behind Sentinel and on Redis Cluster, with a
deadline on every command and, if asked, writes confirmed by replicas::

    from coatcheck_redis import AsyncRedisStore

    store = AsyncRedisStore.from_url("redis://127.0.0.1:6379/0")
"""

from __future__ import annotations

from ._async_redis_store import AsyncRedisStore
from ._connection import CONNECT_TIMEOUT, HEALTH_CHECK_INTERVAL, RETRIES
from ._options import ACK_TIMEOUT, DEADLINE
from ._record import RECORD_VERSION
from ._redis_store import RedisStore
from ._urls import SENTINEL_PORT
from ._version import __version__

__all__ = [
    "AsyncRedisStore",
    "RedisStore",
    "DEADLINE",
    "ACK_TIMEOUT",
    "CONNECT_TIMEOUT",
    "RETRIES",
    "HEALTH_CHECK_INTERVAL",
    "SENTINEL_PORT",
    "RECORD_VERSION",
    "__version__",
]
