"""The account figures (shared ACCOUNTS.md) on real Redis servers: what the session index
and forwarding cost in round trips, what they leave behind, and the races they close.

Round trips are counted on the server with ``MONITOR`` (`CommandMonitor`): commands a
Lua script runs are not round trips. Requests run through `coatcheck.SessionManager`
exchanges, on the kit's `Clock` where a test needs time to pass without waiting for it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.client import Redis

from coatcheck import (
    BrowserSession,
    Delta,
    Forwarded,
    Key,
    Session,
    SessionConfig,
    SessionManager,
    SessionMeta,
    TtlExtensionPolicy,
    session_id,
)
from coatcheck.sansio import Exchange, run_commands, run_commands_async, subject_family
from coatcheck_redis import AsyncRedisStore, RedisStore
from coatcheck_redis._index import index_key
from coatcheck_redis._record import store_key
from coatcheck_redis._scripts import LIST, REVOKE_ALL
from coatcheck_testing import Clock, cookie_value, removes_cookie
from tests.redis.deployments import Deployment
from tests.redis.servers import CommandMonitor, RedisClusterServers, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

LOAD = "HGETALL"
SCRIPT = "EVALSHA"
KEY = Key.from_bytes(bytes(range(64)))
AnyRedisStore = RedisStore | AsyncRedisStore
Handler = Callable[[Session], object]


def nothing(session: Session) -> None:
    """A request that does not touch the session."""


def log_in(user: object) -> Handler:
    return lambda session: session.__setitem__("user_id", user)


def reads(session: Session) -> None:
    session.get("user_id")


class Browser:
    """One browser with one cookie, its requests run through ``manager`` on ``store``."""

    def __init__(self, manager: SessionManager, store: AnyRedisStore, agent: str = "") -> None:
        self.manager = manager
        self.store = store
        self.agent = agent or None
        self.cookie: str | None = None

    @property
    def header(self) -> str | None:
        return None if self.cookie is None else f"session={self.cookie}"

    async def begin(self, header: str | None = None) -> Exchange:
        """A request that has loaded its session (and not finished yet)."""
        exchange = self.manager.begin(header or self.header, user_agent=self.agent)
        await drive(exchange, self.store)
        return exchange

    async def finish(self, exchange: Exchange, status: int | None = None) -> Exchange:
        """Finish ``exchange``, run its commands and keep the cookie it sets."""
        if exchange.finish(status):
            await drive(exchange, self.store)
        if exchange.set_cookie is not None:
            self.cookie = cookie_value(exchange.set_cookie) or None
        return exchange

    async def request(
        self, handler: Handler = nothing, *, status: int | None = None, header: str | None = None
    ) -> Exchange:
        exchange = await self.begin(header)
        handler(exchange.session)
        return await self.finish(exchange, status)


async def drive(exchange: Exchange, store: AnyRedisStore) -> None:
    if isinstance(store, AsyncRedisStore):
        await run_commands_async(exchange, store)
    else:
        run_commands(exchange, store)


async def call(result: Any) -> Any:
    if asyncio.iscoroutine(result):
        return await result
    return result


def manager(store: AnyRedisStore, clock: Clock | None = None, **config: Any) -> SessionManager:
    settings: dict[str, Any] = {"cookie_secure": False, "subject_key": "user_id"}
    settings.update(config)
    now = clock if clock is not None else Clock()
    return SessionManager(key=KEY, store=store, config=SessionConfig(**settings), now=now)


def removed(exchange: Exchange) -> bool:
    return exchange.set_cookie is not None and removes_cookie(exchange.set_cookie)


def name_of(key_prefix: str, subject: str, exchange: Exchange) -> bytes:
    """Where Redis keeps the session of ``subject`` an exchange ended with."""
    assert exchange.session.id is not None
    return f"{key_prefix}{{{subject_family(subject)}}}{exchange.session.id}".encode()


async def id_behind(app: SessionManager, store: AnyRedisStore, cookie: str | None) -> str | None:
    """The id of the session a cookie leads to now (cookies are sealed afresh each time,
    so two cookies for one session differ: compare what they lead to)."""
    holder = Browser(app, store)
    holder.cookie = cookie
    return (await holder.request()).session.id


def total(counts: Counter[str]) -> int:
    return sum(counts.values())


@pytest.fixture
def deployment(redis_server: RedisServer) -> Deployment:
    """The standalone server only (conftest's ``store`` builds its stores on it)."""
    return Deployment("standalone", redis_server.url)


async def warm_up(store: AnyRedisStore) -> None:
    """Open the store's connection and cache every script on the server (the first use
    of a script after a restart costs an ``EVAL`` once)."""
    clock = Clock()
    now = clock()
    (key,) = await save_sessions(store, "warm-up", 1, now)
    await call(store.save(f"{random.randbytes(32).hex()}.0000abcd", {}, ttl=60, now=now))
    await call(store.update_ttl(key, ttl=60, now=now))
    new_key = f"{random.randbytes(32).hex()}.{subject_family('warm-up')}"
    await call(store.renew(key, new_key, {}, Delta(), ttl=60, now=now, grace=1, forward="F"))
    await call(store.list_sessions("warm-up", now=now))
    await call(store.revoke("warm-up", session_id(key), now=now))
    await call(store.cap("warm-up", session_id(key), 5, now=now))
    await call(store.revoke_all("warm-up", now=now))
    await call(store.delete(key))


@pytest.fixture
async def monitor(redis_server: RedisServer, store: AnyRedisStore) -> AsyncIterator[CommandMonitor]:
    """Counts the commands clients send to the standalone server, once ``store`` is warm."""
    await warm_up(store)
    with CommandMonitor([redis_server]) as command_monitor:
        yield command_monitor


def names(deployment: Deployment, key_prefix: str) -> set[bytes]:
    """Every Redis name under ``key_prefix`` (sessions, forwarding records, indexes)."""
    with deployment.admin() as admin:
        return set(admin.scan_iter(match=key_prefix + "*", count=1000))


# -- round trips -----------------------------------------------------------------------


async def test_a_request_whose_subject_does_not_change_costs_no_extra_round_trip(
    store: AnyRedisStore, monitor: CommandMonitor
) -> None:
    """The same requests cost the same round trips with and without a subject."""
    costs = []
    for subject in (None, "ada"):
        config: dict[str, Any] = {} if subject else {"subject_key": None}
        browser = Browser(manager(store, **config), store)
        await browser.request(log_in(subject or "not a subject"))
        monitor.take()
        await browser.request(lambda session: session.__setitem__("cart", [1]))
        write = monitor.take()
        await browser.request(reads)
        read = monitor.take()
        await browser.request(lambda session: session.__setitem__("cart", [1, 2]))
        costs.append((write, read, monitor.take()))
    assert costs[0] == costs[1]
    assert costs[1] == ({LOAD: 1, SCRIPT: 1}, {LOAD: 1}, {LOAD: 1, SCRIPT: 1})


async def test_a_login_costs_at_most_one_more_than_a_renewal(
    store: AnyRedisStore, monitor: CommandMonitor
) -> None:
    browser = Browser(manager(store), store)
    await browser.request(lambda session: session.__setitem__("cart", [1]))
    monitor.take()
    login = await browser.request(log_in("ada"))
    logged_in = monitor.take()
    await browser.request(lambda session: session.renew())
    renewal = monitor.take()
    assert login.session.subject == "ada"
    assert renewal == {LOAD: 1, SCRIPT: 1}  # moved, delta applied, old key forwarding
    assert logged_in == {LOAD: 1, SCRIPT: 2}  # a save into the subject's family, a delete
    assert total(logged_in) <= total(renewal) + 1


async def save_sessions(store: AnyRedisStore, subject: str, count: int, now: float) -> list[str]:
    """``count`` sessions of ``subject`` saved straight into the store; their keys."""
    family = subject_family(subject)
    keys = []
    for number in range(count):
        key = f"{random.randbytes(32).hex()}.{family}"
        meta = SessionMeta(subject, now, f"agent {number}")
        assert await call(store.save(key, {"n": str(number)}, ttl=600, now=now, meta=meta))
        keys.append(key)
    return keys


@pytest.mark.parametrize("sessions", [1, 1000])
async def test_listing_and_revoking_take_one_round_trip_however_many_sessions(
    store: AnyRedisStore, monitor: CommandMonitor, sessions: int, key_prefix: str
) -> None:
    clock = Clock()
    keys = await save_sessions(store, "ada@example.org", sessions, clock())
    await save_sessions(store, "bob", 3, clock())
    monitor.take()
    listed = await call(store.list_sessions("ada@example.org", now=clock()))
    listing = monitor.take()
    assert len(listed) == sessions and {info.id for info in listed} == set(map(session_id, keys))
    assert await call(store.count_sessions("ada@example.org", now=clock())) == sessions
    counting = monitor.take()
    ended = await call(store.revoke_all("ada@example.org", keep=listed[0].id, now=clock()))
    revoking = monitor.take()
    assert ended == sessions - 1
    assert listing == counting == revoking == {SCRIPT: 1}  # the budget is two
    assert await call(store.count_sessions("bob", now=clock())) == 3


async def test_listing_on_a_cluster_takes_one_round_trip_on_one_node(
    redis_cluster: RedisClusterServers, key_prefix: str
) -> None:
    deployment = Deployment("cluster", redis_cluster.url, cluster=True)
    store = deployment.sync_store(key_prefix)
    try:
        clock = Clock()
        await save_sessions(store, "ada", 1000, clock())
        store.list_sessions("ada", now=clock())  # the client has read the layout
        for node in redis_cluster.primaries():
            with node.admin() as admin:
                for script in (LIST, REVOKE_ALL):
                    admin.script_load(script.text)
        monitors = [CommandMonitor([node]) for node in redis_cluster.primaries()]
        try:
            listed = store.list_sessions("ada", now=clock())
            ended = store.revoke_all("ada", now=clock())
            per_node = [monitor.take() for monitor in monitors]
        finally:
            for monitor in monitors:
                monitor.close()
        assert len(listed) == 1000 and ended == 1000
        assert sorted(total(counts) for counts in per_node) == [0, 0, 2]
        assert all(counts in (Counter(), Counter({SCRIPT: 2})) for counts in per_node)
    finally:
        store.close()


# -- the index stays tidy --------------------------------------------------------------


async def test_no_index_key_outlives_the_last_session_of_its_subject(
    store: AnyRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    """Real expiry: once every session of a subject has expired, SCAN finds nothing."""
    now = time.time
    family = subject_family("ada")
    lasting, short, shortened = (f"{random.randbytes(32).hex()}.{family}" for _ in range(3))
    meta = SessionMeta("ada", now(), None)
    await call(store.save(lasting, {"a": "1"}, ttl=600, now=now(), meta=meta))
    await call(store.save(short, {"a": "1"}, ttl=1, now=now(), meta=meta))
    await call(store.save(shortened, {"a": "1"}, ttl=600, now=now(), meta=meta))
    index = index_key(key_prefix.encode(), "ada")
    with deployment.admin() as admin:
        assert 590_000 < admin.pttl(index) <= 600_000
    await call(store.update_ttl(shortened, ttl=1, now=now()))
    await call(store.delete(lasting))  # the latest expiry goes: the index follows the next
    with deployment.admin() as admin:
        assert 0 < admin.pttl(index) <= 1_050  # 1 s, give or take the commands' latency
        assert admin.zcard(index) == 2
    await asyncio.sleep(1.3)
    assert names(deployment, key_prefix) == set()
    assert await call(store.list_sessions("ada")) == []


async def test_entries_of_missing_or_foreign_records_are_skipped_and_removed(
    store: AnyRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    clock = Clock()
    alive, lost, hijacked = await save_sessions(store, "ada", 3, clock())
    index = index_key(key_prefix.encode(), "ada")
    with deployment.admin() as admin:
        admin.delete(store_key(key_prefix.encode(), lost))  # evicted, say
        admin.hset(store_key(key_prefix.encode(), hijacked), "subject", "mallory")
        admin.zadd(index, {"not-an-id{}": 2e15, "A" * 22: 2e15})
    assert [info.id for info in await call(store.list_sessions("ada", now=clock()))] == [
        session_id(alive)
    ]
    with deployment.admin() as admin:
        assert admin.zrange(index, 0, -1) == [session_id(alive).encode()]
    assert await call(store.revoke("ada", session_id(hijacked), now=clock())) is False
    assert await call(store.load(hijacked, now=clock())) is not None, "revoked a foreign record"


# -- revocation ------------------------------------------------------------------------


async def test_revoke_all_on_a_cluster_ends_exactly_the_other_sessions_of_one_user(
    redis_cluster: RedisClusterServers, key_prefix: str, anyio_backend: str
) -> None:
    deployment = Deployment("cluster", redis_cluster.url, cluster=True)
    store = deployment.async_store(key_prefix)
    try:
        clock = Clock()
        app = manager(store, clock)
        devices: dict[str, list[Browser]] = {}
        for user in (f"user{number}@example.org" for number in range(5)):
            devices[user] = [Browser(app, store, f"device {n}") for n in range(20)]
            for browser in devices[user]:
                await browser.request(log_in(user))
                clock.advance(0.01)
        holders = {redis_cluster.holder(index_key(key_prefix.encode(), user)) for user in devices}
        assert len(holders) >= 2, "five users' indexes all landed on one node"
        for user, browsers in devices.items():
            index_node = redis_cluster.holder(index_key(key_prefix.encode(), user))
            for browser in browsers:
                exchange = await browser.request()
                assert exchange.session.subject == user
                assert exchange.session.id is not None
                name = name_of(key_prefix, user, exchange)
                assert redis_cluster.holder(name) == index_node
        target, *others = devices
        current = (await devices[target][7].request()).session.id
        assert await store.revoke_all(target, keep=current, now=clock()) == 19
        for number, browser in enumerate(devices[target]):
            exchange = await browser.request(reads)
            assert (exchange.session.subject == target) is (number == 7)
        for user in others:
            assert await store.count_sessions(user, now=clock()) == 20
            for browser in devices[user]:
                assert (await browser.request(reads)).session.subject == user
        assert [info.id for info in await store.list_sessions(target, now=clock())] == [current]
    finally:
        await store.aclose()


async def test_fifty_requests_in_flight_never_write_a_revoked_session_back(
    deployment: Deployment, key_prefix: str, anyio_backend: str
) -> None:
    store = deployment.async_store(key_prefix)
    try:
        clock = Clock()
        browser = Browser(manager(store, clock), store)
        await browser.request(log_in("ada"))
        in_flight = [await browser.begin() for _ in range(50)]
        assert await store.revoke_all("ada", now=clock()) == 1
        for number, exchange in enumerate(in_flight):
            exchange.session[f"late{number}"] = number
            if number % 5 == 0:
                exchange.session.renew()

        async def finish(exchange: Exchange) -> Exchange:
            if exchange.finish():
                await run_commands_async(exchange, store)
            return exchange

        finished = await asyncio.gather(*(finish(exchange) for exchange in in_flight))
        assert all(removed(exchange) for exchange in finished)
        assert names(deployment, key_prefix) == set(), "a revoked session was written back"
        assert await store.count_sessions("ada", now=clock()) == 0
    finally:
        await store.aclose()


async def test_revoking_someone_elses_session_ends_nothing(
    store: AnyRedisStore, monitor: CommandMonitor
) -> None:
    clock = Clock()
    (ada,) = await save_sessions(store, "ada", 1, clock())
    (bob,) = await save_sessions(store, "bob", 1, clock())
    monitor.take()
    assert await call(store.revoke("ada", session_id(bob), now=clock())) is False
    assert await call(store.revoke("ada", "not a session id {}", now=clock())) is False
    assert monitor.take() == {SCRIPT: 1}  # an id of no possible session costs nothing
    for key in (ada, bob):
        assert await call(store.load(key, now=clock())) is not None
    assert await call(store.count_sessions("bob", now=clock())) == 1


# -- renewal ---------------------------------------------------------------------------


RACE_RUNS = 200


@pytest.fixture(params=["standalone", "cluster"])
async def race_store(
    request: pytest.FixtureRequest, key_prefix: str, anyio_backend: str
) -> AsyncIterator[AnyRedisStore]:
    """An `AsyncRedisStore` on the standalone server and on a 3-master Cluster."""
    if request.param == "cluster":
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        where = Deployment("cluster", cluster.url, cluster=True)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        where = Deployment("standalone", server.url)
    async_store = where.async_store(key_prefix)
    yield async_store
    await async_store.aclose()


@pytest.mark.parametrize("order", ["write first", "renew first"])
async def test_the_renew_write_race(race_store: AnyRedisStore, order: str) -> None:
    """A request that loaded the session before another renewed it, and writes just
    before or after the renewal, keeps its write and ends on a live session's cookie
    (each order forced, 200 runs, on one server and on a Cluster)."""
    store = race_store
    clock = Clock()
    app = manager(store, clock)
    for run in range(RACE_RUNS):
        browser = Browser(app, store)
        await browser.request(log_in("ada"))
        writer, renewer = await browser.begin(), await browser.begin()
        writer.session["written"] = run
        renewer.session["renewed"] = run
        renewer.session.renew()
        first, second = (writer, renewer) if order == "write first" else (renewer, writer)
        for exchange in (first, second):
            await browser.finish(exchange)
        new_cookie = cookie_value(renewer.set_cookie or "")
        assert new_cookie
        for exchange in (writer, renewer):
            assert not removed(exchange), f"{order}: cookie removed"
        successor = await id_behind(app, store, new_cookie)
        assert successor is not None and successor == renewer.session.id
        if order == "renew first":
            # The writer landed in the successor and was handed its cookie.
            assert writer.session.id == successor
            assert writer.set_cookie is not None
            assert await id_behind(app, store, cookie_value(writer.set_cookie)) == successor
        holder = Browser(app, store)
        holder.cookie = new_cookie
        seen = (await holder.request()).session
        assert (seen.get("written"), seen.get("renewed")) == (run, run), f"{order}, run {run}"
        assert await call(store.count_sessions("ada", now=clock())) == run + 1


async def test_an_old_cookie_inside_the_grace_window_is_served_the_successor(
    store: AnyRedisStore, deployment: Deployment, key_prefix: str
) -> None:
    clock = Clock()
    app = manager(store, clock, renew_grace=10)
    browser = Browser(app, store)
    await browser.request(log_in("ada"))
    old_header = browser.header
    renewed = await browser.request(lambda session: session.renew())
    with deployment.admin() as admin:
        old_names = [name for name in names(deployment, key_prefix) if b"i:" not in name]
        assert len(old_names) == 2  # the session and the forwarding record
        forwarding = [name for name in old_names if admin.hexists(name, "next")]
        assert len(forwarding) == 1 and 0 < admin.ttl(forwarding[0]) <= 10
    clock.advance(9)
    other_tab = Browser(app, store)
    inside = await other_tab.request(
        lambda session: session.__setitem__("cart", [1]), header=old_header
    )
    assert inside.session.subject == "ada" and not removed(inside)
    assert inside.session.id == renewed.session.id
    successor = await id_behind(app, store, other_tab.cookie)
    assert successor == renewed.session.id, "not handed the successor's cookie"
    assert (await browser.request()).session.get("cart") == [1]
    clock.advance(2)  # one second after the window
    late = await Browser(app, store).request(reads, header=old_header)
    assert late.session.copy() == {} and removed(late)
    assert (await browser.request()).session.subject == "ada"


async def test_a_5xx_response_persists_nothing(
    store: AnyRedisStore, deployment: Deployment, key_prefix: str, monitor: CommandMonitor
) -> None:
    clock = Clock()
    browser = Browser(manager(store, clock), store)
    await browser.request(log_in("ada"))
    with deployment.admin() as admin:
        before = {name: admin.dump(name) for name in names(deployment, key_prefix)}
    cookie = browser.cookie
    monitor.take()

    def write_renew_and_fail(session: Session) -> None:
        session["cart"] = [1]
        session.renew()

    failed = await browser.request(write_renew_and_fail, status=500)
    assert monitor.take() == {LOAD: 1}
    assert failed.set_cookie is None and browser.cookie == cookie
    with deployment.admin() as admin:
        after = {name: admin.dump(name) for name in names(deployment, key_prefix)}
    assert after == before
    assert (await browser.request()).session.copy() == {"user_id": "ada"}


# -- throttled refresh -----------------------------------------------------------------


async def test_a_throttled_session_writes_once_per_half_ttl(
    store: AnyRedisStore, monitor: CommandMonitor
) -> None:
    clock = Clock()
    lifecycle = BrowserSession(
        state_ttl=1000,
        ttl_extension_policy=TtlExtensionPolicy.ON_EVERY_REQUEST,
        refresh_after=0.5,
    )
    browser = Browser(manager(store, clock, lifecycle=lifecycle), store)
    await browser.request(log_in("ada"))
    monitor.take()
    set_cookies = 0
    for _ in range(1000):
        clock.advance(0.49)  # 490 s in all: inside the first half of the TTL
        exchange = await browser.request(reads)
        set_cookies += exchange.set_cookie is not None
    quiet = monitor.take()
    assert set_cookies == 0 and quiet == {LOAD: 1000}, "a read in the first half wrote"
    clock.advance(11)  # past half the TTL
    extended = await browser.request(reads)
    assert extended.set_cookie is not None
    assert monitor.take() == {LOAD: 1, SCRIPT: 1}  # exactly one expiry move
    assert (await browser.request(reads)).set_cookie is None


async def test_a_client_that_decodes_replies_reads_the_same(
    redis_server: RedisServer, key_prefix: str
) -> None:
    """``decode_responses=True`` hands out ``str``: the index and forwarding read the same."""
    store = RedisStore(
        Redis.from_url(redis_server.url, decode_responses=True), key_prefix=key_prefix
    )
    try:
        clock = Clock()
        (key,) = await save_sessions(store, "zoë", 1, clock())
        new_key = f"{random.randbytes(32).hex()}.{subject_family('zoë')}"
        renewed = store.renew(key, new_key, {}, Delta(), ttl=60, now=clock(), grace=5, forward="F1")
        assert renewed is True
        changed = {"cart": "[1]"}
        assert store.update(key, changed, Delta(changed), ttl=60, now=clock()) == Forwarded(("F1",))
        (info,) = store.list_sessions("zoë", now=clock())
        assert info.id == session_id(new_key) and info.user_agent == "agent 0"
        loaded = store.load(key, now=clock())
        assert loaded is not None and loaded.forward == ("F1",) and loaded.state["cart"] == "[1]"
    finally:
        store.close()


async def test_a_cluster_store_refuses_a_key_prefix_with_braces(
    redis_cluster: RedisClusterServers, anyio_backend: str
) -> None:
    """The store's own hash tag ({family}) must be the first in every name, or a session
    and its index could land in different slots."""
    deployment = Deployment("cluster", redis_cluster.url, cluster=True)
    for prefix in ("app{x}:", "app}:", "{"):
        with pytest.raises(ValueError, match="brace"):
            deployment.sync_store(prefix)
        with pytest.raises(ValueError, match="brace"):
            deployment.async_store(prefix)
    standalone = RedisStore(Redis(), key_prefix="app{x}:")  # one server: any prefix
    standalone.close()
