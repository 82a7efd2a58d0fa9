"""The two Lua scripts that make save and update one atomic round trip each.

Both touch exactly one key (``KEYS[1]``), so they run on any Redis Cluster slot. Both
return 1 on success and 0 when the core must act: for `SAVE` the key was taken (the core
draws another), for `UPDATE` the session vanished (the core saves the full state under a
new key). A TTL of 0 or less means "expires at once": nothing is kept.

`UPDATE` recognises a live session by its ``version`` field and an ``expires_at`` after
the request's ``now`` (the core's rule: dead once ``now >= expires_at``, whatever Redis's
own clock says). ``redis.pcall`` turns a key of another type into an error value instead
of a script error, so a list or a string under the key reads as "vanished" like a missing
key does: bad data is never a failure.
Arguments are applied in chunks because Lua's ``unpack`` has a stack limit (8000 items).

The stores run them with ``EVALSHA`` and, when Redis answers ``NOSCRIPT`` (after a
restart, a failover or ``SCRIPT FLUSH``), load the script and retry once: what redis-py's
``register_script`` does, minus about 6 µs of client CPU per call that its generic
``Script.__call__`` spends (measured with redis-py 8.1).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from ._record import EXPIRES_AT_FIELD, VERSION_FIELD

__all__ = ["SAVE", "UPDATE", "LuaScript"]


class LuaScript(NamedTuple):
    """A script's source and the SHA-1 digest ``EVALSHA`` names it by."""

    text: str
    sha: str


def _script(text: str) -> LuaScript:
    return LuaScript(text, hashlib.sha1(text.encode("utf-8")).hexdigest())


_CHUNK = 1000
"""Arguments passed to one HSET/HDEL call; an even number, well under Lua's limit."""

SAVE = _script(f"""
-- ARGV: ttl, version, expires_at, then field/value pairs.
local key = KEYS[1]
if redis.call('EXISTS', key) == 1 then
    return 0
end
local ttl = tonumber(ARGV[1])
if ttl <= 0 then
    return 1
end
redis.call('HSET', key, '{VERSION_FIELD}', ARGV[2], '{EXPIRES_AT_FIELD}', ARGV[3])
local last = #ARGV
for first = 4, last, {_CHUNK} do
    redis.call('HSET', key, unpack(ARGV, first, math.min(first + {_CHUNK - 1}, last)))
end
redis.call('EXPIRE', key, ttl)
return 1
""")
"""Create a session only if its key is free, with its expiry."""

UPDATE = _script(f"""
-- ARGV: ttl, version, expires_at, now, n, n removed fields, then field/value pairs.
local key = KEYS[1]
local record = redis.pcall('HMGET', key, '{VERSION_FIELD}', '{EXPIRES_AT_FIELD}')
if record.err or record[1] ~= ARGV[2] then
    return 0
end
local expires_at = tonumber(record[2])
if not expires_at or expires_at <= tonumber(ARGV[4]) then
    return 0
end
local ttl = tonumber(ARGV[1])
if ttl <= 0 then
    redis.call('UNLINK', key)
    return 1
end
local pairs_from = 6 + tonumber(ARGV[5])
for first = 6, pairs_from - 1, {_CHUNK} do
    redis.call('HDEL', key, unpack(ARGV, first, math.min(first + {_CHUNK - 1}, pairs_from - 1)))
end
redis.call('HSET', key, '{EXPIRES_AT_FIELD}', ARGV[3])
local last = #ARGV
for first = pairs_from, last, {_CHUNK} do
    redis.call('HSET', key, unpack(ARGV, first, math.min(first + {_CHUNK - 1}, last)))
end
redis.call('EXPIRE', key, ttl)
return 1
""")
"""Apply a delta and move the expiry, only if the session still exists; with no delta,
only move the expiry."""
