"""The Lua scripts that make every store command one atomic round trip.

Each script runs on the keys of one family (`_record`): a session, the forwarding
records and successors of its renewals and its subject's index share one hash tag, so
on Redis Cluster every script runs on one node, as atomically as on one server. The
index scripts (`LIST`, `REVOKE`, `REVOKE_ALL`, `CAP`) name the index in ``KEYS`` and
reach the sessions it lists by name; those are in the index's slot by construction.

- `SAVE` creates a session only if its name is free (0: taken, the core draws another
  key), with its metadata and index entry when it belongs to a subject.
- `UPDATE` applies a delta (or only moves the expiry), `RENEW` moves a session to a
  fresh key, applies its delta and leaves a forwarding record under the old name for
  the grace window. Both follow forwarding records (at most ``MAX_FORWARDS`` in a row)
  and answer 0 when the session vanished (the core drops the request's changes: a
  deleted session stays deleted), 1 when applied, or the list of the sealed pointers
  they followed when the change went to a successor (`coatcheck.Forwarded`).
- `DELETE` removes a session, or a forwarding record and the sessions it leads to,
  and their index entries.
- `LIST`, `REVOKE`, `REVOKE_ALL` and `CAP` read and end a subject's sessions; an index
  entry whose session is missing, dead or not of that subject is skipped and removed.

A live record has ``version`` 3 and an ``expires_at`` after the request's ``now`` (the
core's rule: dead once ``now >= expires_at``, whatever Redis's own clock says), both in
milliseconds, read through `MILLIS_RULE`, the Lua half of the record's one rule for
numbers (`parse_millis` is the Python half): an expiry such as ``nan``, ``inf``,
``0x7fffffff`` or ``1e3``, which Lua's ``tonumber`` alone would accept, makes the record
stale here exactly as it does on load. A missing key is stale too: no script but `SAVE`
creates a session. ``redis.pcall`` turns a key of another type into an error value
instead of a script error, so a list or a string under a name reads as "vanished":
bad data is never a failure. Every write that touches an index keeps it tidy (`tidy`:
dead entries removed, the key expiring with its last entry). A TTL of 0 or less means
"expires at once": nothing is kept. Arguments are applied in chunks because Lua's
``unpack`` has a stack limit (8000 items); a new session of no subject whose state
fits one chunk is written in one ``HSET``, and an update writes its new expiry with the
first chunk of its delta.

The stores run them with ``EVALSHA`` and, when Redis answers ``NOSCRIPT`` (after a
restart, a failover or ``SCRIPT FLUSH``), send the script whole once with ``EVAL``, which
runs it on whichever node now holds the key and caches it there. (``SCRIPT LOAD`` then
``EVALSHA`` would take a round trip more, and on a cluster in mid-failover could load the
script on the old primary while the key's slot has moved.) This skips redis-py's
``Script`` object, whose generic ``__call__`` costs about 6 µs of client CPU per call
(measured with redis-py 8.1).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from coatcheck.sansio import MAX_FORWARDS

from ._record import (
    DIGEST_LENGTH,
    EXPIRES_AT_FIELD,
    ID_LENGTH,
    MILLIS_DIGITS,
    RECORD_VERSION,
    VERSION_FIELD,
)

__all__ = [
    "CAP",
    "DELETE",
    "LIST",
    "MILLIS_RULE",
    "RENEW",
    "REVOKE",
    "REVOKE_ALL",
    "SAVE",
    "UPDATE",
    "LuaScript",
]


class LuaScript(NamedTuple):
    """A script's source and the SHA-1 digest ``EVALSHA`` names it by."""

    text: str
    sha: str


def _script(text: str) -> LuaScript:
    return LuaScript(text, hashlib.sha1(text.encode("utf-8")).hexdigest())


MILLIS_RULE = f"""
local function parse_millis(text)
    if type(text) ~= 'string' or #text > {MILLIS_DIGITS} or not string.find(text, '^%d+$') then
        return nil
    end
    return tonumber(text)
end
"""
"""The Lua function ``parse_millis(text)``: the number if ``text`` is 1 to `MILLIS_DIGITS`
ASCII digits, else ``nil`` (``%d`` is ASCII-only in Redis's C locale). Scripts that read a
stored number start with it; the tests run it alone to compare it with Python's."""

_CHUNK = 1000
"""Arguments passed to one HSET/HDEL/ZREM call; an even number, well under Lua's limit."""

_PRELUDE = f"""{MILLIS_RULE}
local VERSION = '{RECORD_VERSION}'

local function id_of(name)
    return string.sub(name, -{ID_LENGTH})
end

local function family_of(name)
    return string.sub(name, 1, #name - {ID_LENGTH})
end

local function is_id(text)
    return type(text) == 'string' and #text == {ID_LENGTH}
        and string.find(text, '^[%w_%-]+$') ~= nil
end

-- A forwarding record may only point to a session name of its own family (same slot).
local function is_successor(name, successor)
    return type(successor) == 'string' and #successor == #name and successor ~= name
        and family_of(successor) == family_of(name) and is_id(id_of(successor))
end

-- The index a session record names by its digest field, or nil (an anonymous session).
local function index_of(name, digest)
    if type(digest) ~= 'string' or #digest ~= {DIGEST_LENGTH}
        or not string.find(digest, '^[0-9a-f]+$') then
        return nil
    end
    return family_of(name) .. 'i:' .. digest
end

-- Dead entries out; the index expires with its latest entry (Redis drops it when empty).
local function tidy(index, now)
    redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
    local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
    if #last > 0 then
        local left = math.max(1, tonumber(last[2]) - tonumber(now))
        redis.call('PEXPIRE', index, string.format('%d', left))
    end
end

local function call_chunked(command, name, first, last)
    for from = first, last, {_CHUNK} do
        redis.call(command, name, unpack(ARGV, from, math.min(from + {_CHUNK - 1}, last)))
    end
end
"""

_RESOLVE = f"""
-- The live session a name leads to, following forwarding records: its name, its record
-- (version, expires_at, next, forward, index, created_at, last_active) and the sealed
-- pointers met; nil if none.
local function resolve(name, now)
    local chain = {{}}
    for hop = 0, {MAX_FORWARDS} do
        local record = redis.pcall('HMGET', name, '{VERSION_FIELD}', '{EXPIRES_AT_FIELD}',
            'next', 'forward', 'index', 'created_at', 'last_active')
        if record.err or record[1] ~= VERSION then
            return nil
        end
        local expires_at = parse_millis(record[2])
        if not expires_at or expires_at <= now then
            return nil
        end
        -- Every number of the record by the one rule, as load reads it.
        if (record[6] and not parse_millis(record[6]))
            or (record[7] and not parse_millis(record[7])) then
            return nil
        end
        if not record[3] and not record[4] then
            return name, record, chain
        end
        if hop == {MAX_FORWARDS} or not record[4] or not is_successor(name, record[3]) then
            return nil
        end
        chain[#chain + 1] = record[4]
        name = record[3]
    end
    return nil
end

-- ARGV: ttl, version, expires_at, now, then from ARGV[first]: n, n removed fields, pairs.
local function apply(name, record, first)
    local ttl = tonumber(ARGV[1])
    local index = index_of(name, record[5])
    if ttl <= 0 then
        redis.call('UNLINK', name)
        if index then
            redis.call('ZREM', index, id_of(name))
            tidy(index, ARGV[4])
        end
        return
    end
    local pairs_from = first + 1 + tonumber(ARGV[first])
    call_chunked('HDEL', name, first + 1, pairs_from - 1)
    -- The expiry and the first chunk of pairs (the whole delta, as a rule) in one call:
    -- every call a script makes costs the server about as much as a small HSET itself.
    local head_end = math.min(#ARGV, pairs_from + {_CHUNK - 1})
    if index then
        redis.call('HSET', name, '{EXPIRES_AT_FIELD}', ARGV[3], 'last_active', ARGV[4],
            unpack(ARGV, pairs_from, head_end))
    else
        redis.call('HSET', name, '{EXPIRES_AT_FIELD}', ARGV[3], unpack(ARGV, pairs_from, head_end))
    end
    call_chunked('HSET', name, head_end + 1, #ARGV)
    redis.call('EXPIRE', name, ttl)
    if index then
        redis.call('ZADD', index, ARGV[3], id_of(name))
        tidy(index, ARGV[4])
    end
end

local function answer(chain)
    if #chain == 0 then
        return 1
    end
    return chain
end
"""

_ENTRIES = f"""
-- The live sessions a subject's index lists (ARGV: now, subject, digest), as tables;
-- entries of missing, dead or foreign records are removed.
local function live_entries(index)
    local now = tonumber(ARGV[1])
    redis.call('ZREMRANGEBYSCORE', index, '-inf', ARGV[1])
    local family = string.sub(index, 1, #index - {2 + DIGEST_LENGTH})
    local live, stale = {{}}, {{}}
    for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
        local entry = nil
        if is_id(id) then
            local name = family .. id
            local r = redis.pcall('HMGET', name, '{VERSION_FIELD}', '{EXPIRES_AT_FIELD}', 'next',
                'subject', 'index', 'created_at', 'last_active', 'user_agent')
            if not r.err and r[1] == VERSION and not r[3] and r[4] == ARGV[2]
                and r[5] == ARGV[3] then
                local expires_at = parse_millis(r[2])
                local last_active = parse_millis(r[7])
                if expires_at and expires_at > now and last_active and parse_millis(r[6]) then
                    entry = {{id = id, name = name, expires_at = r[2], created_at = r[6],
                        last_active = last_active, last_text = r[7], user_agent = r[8]}}
                end
            end
        end
        if entry then
            live[#live + 1] = entry
        else
            stale[#stale + 1] = id
        end
    end
    for from = 1, #stale, {_CHUNK} do
        redis.call('ZREM', index, unpack(stale, from, math.min(from + {_CHUNK - 1}, #stale)))
    end
    return live
end

local function finish(index, entry)
    redis.call('UNLINK', entry.name)
    redis.call('ZREM', index, entry.id)
end
"""

SAVE = _script(f"""{_PRELUDE}
-- KEYS: the session, then its subject's index if it has one.
-- ARGV: ttl, version, expires_at, now, m, m metadata items, then field/value pairs.
local name = KEYS[1]
if redis.call('EXISTS', name) == 1 then
    return 0
end
local ttl = tonumber(ARGV[1])
if ttl <= 0 then
    return 1
end
local meta = tonumber(ARGV[5])
if meta == 0 and #ARGV - 6 < {_CHUNK} then
    -- A session of no subject whose state fits one call: the usual case.
    redis.call('HSET', name, '{VERSION_FIELD}', ARGV[2], '{EXPIRES_AT_FIELD}', ARGV[3],
        unpack(ARGV, 6, #ARGV))
else
    redis.call('HSET', name, '{VERSION_FIELD}', ARGV[2], '{EXPIRES_AT_FIELD}', ARGV[3])
    if meta > 0 then
        redis.call('HSET', name, 'last_active', ARGV[4], unpack(ARGV, 6, 5 + meta))
    end
    call_chunked('HSET', name, 6 + meta, #ARGV)
end
redis.call('EXPIRE', name, ttl)
if KEYS[2] then
    redis.call('ZADD', KEYS[2], ARGV[3], id_of(name))
    tidy(KEYS[2], ARGV[4])
end
return 1
""")
"""Create a session only if its name is free, with its expiry (and index entry)."""

UPDATE = _script(f"""{_PRELUDE}{_RESOLVE}
-- ARGV: ttl, version, expires_at, now, n, n removed fields, then field/value pairs.
local name, record, chain = resolve(KEYS[1], tonumber(ARGV[4]))
if not name then
    return 0
end
apply(name, record, 5)
return answer(chain)
""")
"""Apply a delta and move the expiry of the live session a name leads to; with no
delta, only move the expiry."""

RENEW = _script(f"""{_PRELUDE}{_RESOLVE}
-- KEYS: the session's name, its successor's (fresh, same family).
-- ARGV: ttl, version, expires_at, now, grace, forward expires_at, forward, n, n removed
-- fields, then field/value pairs.
local name, record, chain = resolve(KEYS[1], tonumber(ARGV[4]))
if not name then
    return 0
end
if #chain > 0 then
    -- Renewed meanwhile: that renewal stands, and this change goes to its successor.
    apply(name, record, 8)
    return chain
end
local successor = KEYS[2]
if redis.call('EXISTS', successor) == 1 then
    return redis.error_reply('ERR coatcheck: the fresh session key of a renewal is taken')
end
local index = index_of(name, record[5])
if index then
    redis.call('ZREM', index, id_of(name))
end
redis.call('RENAME', name, successor)
apply(successor, record, 8)
local grace = tonumber(ARGV[5])
if grace > 0 then
    redis.call('HSET', name, '{VERSION_FIELD}', ARGV[2], '{EXPIRES_AT_FIELD}', ARGV[6],
        'forward', ARGV[7], 'next', successor)
    redis.call('EXPIRE', name, grace)
end
return 1
""")
"""Move a session to a fresh name with its delta; the old name forwards to it."""

DELETE = _script(f"""{_PRELUDE}
-- KEYS: the name. Forwarding records are followed: a logout through an old key logs out.
-- The command carries no clock: the index is tidied by the request's clock as the
-- record tells it (its expires_at less the time Redis still gives it).
local name = KEYS[1]
for hop = 0, {MAX_FORWARDS} do
    local record = redis.pcall('HMGET', name, '{VERSION_FIELD}', 'next', 'index',
        '{EXPIRES_AT_FIELD}')
    local left = redis.call('PTTL', name)
    redis.call('UNLINK', name)
    if record.err or record[1] ~= VERSION then
        return 1
    end
    local index = index_of(name, record[3])
    if index then
        redis.call('ZREM', index, id_of(name))
        local expires_at = parse_millis(record[4])
        if expires_at and left > 0 then
            tidy(index, string.format('%d', expires_at - left))
        end
    end
    if not is_successor(name, record[2]) then
        return 1
    end
    name = record[2]
end
return 1
""")
"""Remove a session (and the sessions a forwarding record leads to) and its index entry."""

LIST = _script(f"""{_PRELUDE}{_ENTRIES}
-- KEYS: the index. ARGV: now, subject, digest, and 'count' to answer only how many.
-- Answers id, expires_at, created_at, last_active, user_agent (nil if unknown) per session.
local live = live_entries(KEYS[1])
tidy(KEYS[1], ARGV[1])
if ARGV[4] == 'count' then
    return #live
end
local reply = {{}}
for _, entry in ipairs(live) do
    reply[#reply + 1] = entry.id
    reply[#reply + 1] = entry.expires_at
    reply[#reply + 1] = entry.created_at
    reply[#reply + 1] = entry.last_text
    reply[#reply + 1] = entry.user_agent
end
return reply
""")
"""A subject's live sessions (or their number), in one round trip however many it has."""

REVOKE = _script(f"""{_PRELUDE}
-- KEYS: the index, the session's name (in the index's family). ARGV: now, subject, digest.
local index, name = KEYS[1], KEYS[2]
local id = id_of(name)
if not redis.call('ZSCORE', index, id) then
    return 0
end
local r = redis.pcall('HMGET', name, '{VERSION_FIELD}', '{EXPIRES_AT_FIELD}', 'next', 'subject',
    'index')
local live = false
if not r.err and r[1] == VERSION and not r[3] and r[4] == ARGV[2] and r[5] == ARGV[3] then
    local expires_at = parse_millis(r[2])
    live = expires_at ~= nil and expires_at > tonumber(ARGV[1])
end
if live then
    redis.call('UNLINK', name)
end
redis.call('ZREM', index, id)
tidy(index, ARGV[1])
if live then
    return 1
end
return 0
""")
"""End one session of a subject, only if the index lists it and it is a live one of
theirs."""

REVOKE_ALL = _script(f"""{_PRELUDE}{_ENTRIES}
-- KEYS: the index. ARGV: now, subject, digest, the id to keep ('' for none).
local ended = 0
for _, entry in ipairs(live_entries(KEYS[1])) do
    if entry.id ~= ARGV[4] then
        finish(KEYS[1], entry)
        ended = ended + 1
    end
end
tidy(KEYS[1], ARGV[1])
return ended
""")
"""End every live session of a subject but one."""

CAP = _script(f"""{_PRELUDE}{_ENTRIES}
-- KEYS: the index. ARGV: now, subject, digest, the id to keep, the limit.
local room = tonumber(ARGV[5])
local others = {{}}
for _, entry in ipairs(live_entries(KEYS[1])) do
    if entry.id == ARGV[4] then
        room = room - 1
    else
        others[#others + 1] = entry
    end
end
table.sort(others, function(a, b)
    if a.last_active ~= b.last_active then
        return a.last_active > b.last_active
    end
    return a.id > b.id
end)
local ended = 0
for position, entry in ipairs(others) do
    if position > room then
        finish(KEYS[1], entry)
        ended = ended + 1
    end
end
tidy(KEYS[1], ARGV[1])
return ended
""")
"""End the least recently active sessions of a subject but one, down to a limit."""
