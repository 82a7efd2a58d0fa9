"""The Redis stores against the reference: `MemoryStore`, the same commands, the same answers.

Random runs of every store and index command (saves with and without a subject,
updates, expiry moves, renewals with and without a grace window, deletes, revocations,
caps, the clock moving on) go to a `MemoryStore` and to a Redis store alike; after every
command both must answer the same, load every key the same (state, expiry, forwarding
pointers) and list every subject's sessions the same. Times move in half seconds, which
the record's milliseconds hold exactly.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from coatcheck import Delta, Forwarded, MemoryStore, SessionMeta, session_id
from coatcheck.sansio import family_of, subject_family
from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_testing import START
from tests.redis.calls import call
from tests.redis.deployments import Deployment
from tests.redis.servers import RedisClusterServers, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

SUBJECTS: list[Any] = ["ada@example.org", "a:b{c}", "ключ 🎉", 7, ""]
STEPS = 250
ACTIONS = [
    *("save", "save", "update", "update_ttl", "renew", "renew", "delete"),
    *("revoke", "revoke_all", "cap", "wait", "through an old key"),
]


@pytest.fixture(params=["sync-standalone", "async-cluster"])
async def redis_store(
    request: pytest.FixtureRequest, key_prefix: str, anyio_backend: str
) -> AsyncIterator[RedisStore | AsyncRedisStore]:
    flavour, kind = request.param.split("-")
    if kind == "cluster":
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        deployment = Deployment(kind, cluster.url, cluster=True)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        deployment = Deployment(kind, server.url)
    if flavour == "sync":
        sync_store = deployment.sync_store(key_prefix)
        yield sync_store
        sync_store.close()
    else:
        async_store = deployment.async_store(key_prefix)
        yield async_store
        await async_store.aclose()


def fresh_key(family: str | None) -> str:
    return f"{secrets.token_urlsafe(32)}.{family or secrets.token_hex(4)}"


def text(subject: Any) -> str:
    return subject if isinstance(subject, str) else str(subject)


@pytest.mark.parametrize("seed", range(4))
async def test_the_redis_store_answers_as_the_memory_store(
    redis_store: RedisStore | AsyncRedisStore, seed: int
) -> None:
    rng = random.Random(seed)
    memory = MemoryStore()
    now = START
    keys: list[str] = []
    renewed: list[str] = []
    log: list[str] = []
    listed = Counter[str]()

    async def both(method: str, *args: Any, **kwargs: Any) -> Any:
        expected = getattr(memory, method)(*args, **kwargs)
        got = await call(getattr(redis_store, method)(*args, **kwargs))
        log.append(f"{method} -> {expected!r}")
        listed[f"{method} forwarded"] += isinstance(expected, Forwarded)
        assert got == expected, f"{method}: redis {got!r}, memory {expected!r}; after {log}"
        return got

    for _ in range(STEPS):
        action = rng.choice(ACTIONS)
        # Mostly recent keys: renewed ones inside their window, live ones, some long dead.
        key = rng.choice(keys[-6:] if rng.random() < 0.8 else keys) if keys else None
        if action == "through an old key" and renewed:
            # A tab still holding a cookie from before a renewal, inside its window or not.
            key, action = rng.choice(renewed[-3:]), rng.choice(["update", "update_ttl", "renew"])
        ttl = rng.choice([5, 60, 300])
        if action == "save" or key is None:
            # Mostly one busy subject, so caps and revocations have much to choose from.
            subject = SUBJECTS[0] if rng.random() < 0.5 else rng.choice([*SUBJECTS, None])
            meta = None
            if subject is not None:
                agent = rng.choice([None, "Mozilla/5.0", "ü" * 256])
                meta = SessionMeta(text(subject), now - rng.choice([0, 30]), agent)
            family = subject_family(text(subject)) if subject is not None else None
            new = fresh_key(family)
            state = {"n": str(rng.randrange(100))}
            await both("save", new, state, ttl=ttl, now=now, meta=meta)
            keys.append(new)
        elif action in ("update", "update_ttl"):
            if action == "update":
                changed = {f"k{rng.randrange(3)}": str(rng.randrange(100))}
                delta = Delta(changed, frozenset({f"k{rng.randrange(3)}"}) - set(changed))
                await both("update", key, changed, delta, ttl=ttl, now=now)
            else:
                await both("update_ttl", key, ttl=ttl, now=now)
        elif action == "renew":
            new = fresh_key(family_of(key))
            changed = {"renewed": str(rng.randrange(100))}
            grace = rng.choice([0, 3, 30])
            forward = f"F{rng.randrange(10**6)}"
            await both(
                "renew", key, new, changed, Delta(changed), ttl=ttl, now=now, grace=grace,
                forward=forward,
            )  # fmt: skip
            keys.append(new)
            renewed.append(key)
        elif action == "delete":
            if memory.load(key, now=now) is None:
                continue  # Redis's delete follows a window by its own clock: not modelled
            await both("delete", key)
        elif action == "revoke":
            subject = rng.choice(SUBJECTS)
            target = rng.choice([session_id(key), "A" * 22, "no{such}id"])
            await both("revoke", subject, target, now=now)
        elif action == "revoke_all":
            keep = rng.choice([None, session_id(key)])
            await both("revoke_all", rng.choice(SUBJECTS), keep=keep, now=now)
        elif action == "cap":
            # The busiest subject, so the order of who goes matters.
            subject = max(map(text, SUBJECTS), key=lambda s: memory.count_sessions(s, now=now))
            sessions = memory.list_sessions(subject, now=now)
            keep = rng.choice([session_id(key), *(info.id for info in sessions)])
            limit = rng.choice([2, 3])
            listed["cap ended"] += await both("cap", subject, keep, limit, now=now)
        now += rng.choice([0.5, 0.5, 1.0, 4.0])  # no two writes at one instant: no ties
        for subject in SUBJECTS:
            sessions = await both("list_sessions", subject, now=now)
            listed["sessions listed"] += len(sessions)
        for known in keys[-12:]:
            loaded = await both("load", known, now=now)
            listed["forwarded loads"] += loaded is not None and bool(loaded.forward)
    # The run met what it is about (not a vacuous agreement on empty stores).
    assert listed["sessions listed"] > 100 and listed["forwarded loads"] > 5, listed
    assert listed["cap ended"] > 0, listed
    writes = ("update", "update_ttl", "renew")
    assert sum(listed[f"{write} forwarded"] for write in writes) > 0, listed
