"""`Session`: a dict with Starlette 1.x flags, value-based change detection, lazy loading."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.middleware.sessions import Session as StarletteSession

from coatcheck import (
    CookieStore,
    JSONSerializer,
    MemoryStore,
    Session,
    SessionCommittedError,
    SessionConfig,
    SessionNotLoadedError,
    SessionStatus,
)

from .helpers import Client, manager

COOKIE = CookieStore()


def test_is_a_dict() -> None:
    session = Session({"a": 1}, b=2)
    assert isinstance(session, dict)
    assert session == {"a": 1, "b": 2}
    assert json.dumps(session) == '{"a": 1, "b": 2}'
    assert dict(session) == {"a": 1, "b": 2}
    assert session.copy() == {"a": 1, "b": 2} and type(session.copy()) is dict
    assert session | {"c": 3} == {"a": 1, "b": 2, "c": 3}
    assert {"c": 3} | session == {"c": 3, "a": 1, "b": 2}
    assert list(reversed(session)) == ["b", "a"]
    assert repr(session) == "Session({'a': 1, 'b': 2})"


READS = [
    lambda s: s["a"],
    lambda s: s.get("a"),
    lambda s: "a" in s,
    lambda s: list(s),
    lambda s: len(s),
    lambda s: list(s.keys()),
    lambda s: list(s.values()),
    lambda s: list(s.items()),
    lambda s: s.mark_accessed(),
]


@pytest.mark.parametrize("read", READS)
def test_reads_mark_accessed_only(read: Any) -> None:
    session = Session({"a": 1})
    read(session)
    assert session.accessed and not session.modified
    assert session.status is SessionStatus.UNCHANGED


NO_OPS = [
    lambda s: s.pop("missing", None),
    lambda s: s.setdefault("a", 5),
]


@pytest.mark.parametrize("no_op", NO_OPS)
def test_calls_that_change_nothing_mark_nothing(no_op: Any) -> None:
    """As in Starlette 1.x: popping a missing key, or setdefault of a present one."""
    session = Session({"a": 1})
    no_op(session)
    assert not session.accessed and not session.modified
    assert session.status is SessionStatus.UNCHANGED


WRITES = [
    lambda s: s.__setitem__("b", 2),
    lambda s: s.__delitem__("a"),
    lambda s: s.clear(),
    lambda s: s.pop("a"),
    lambda s: s.popitem(),
    lambda s: s.setdefault("b", 2),
    lambda s: s.update(b=2),
    lambda s: s.__ior__({"b": 2}),
    lambda s: s.mark_modified(),
]


@pytest.mark.parametrize("write", WRITES)
def test_writes_mark_modified_and_accessed(write: Any) -> None:
    session = Session({"a": 1})
    write(session)
    assert session.accessed and session.modified
    assert session.status is SessionStatus.CHANGED


def test_errors_of_dict_methods_are_kept() -> None:
    session = Session()
    with pytest.raises(KeyError):
        session.pop("missing")
    with pytest.raises(KeyError):
        session.popitem()
    with pytest.raises(KeyError):
        session["missing"]
    assert not session.modified


OPS = st.one_of(
    st.tuples(st.just("set"), st.sampled_from("abc"), st.integers(0, 3)),
    st.tuples(st.just("del"), st.sampled_from("abc")),
    st.tuples(st.just("pop"), st.sampled_from("abc")),
    st.tuples(st.just("setdefault"), st.sampled_from("abc"), st.integers(0, 3)),
    st.tuples(st.just("update"), st.dictionaries(st.sampled_from("abc"), st.integers(0, 3))),
    st.tuples(st.just("clear")),
    st.tuples(st.just("popitem")),
    st.tuples(st.just("ior"), st.dictionaries(st.sampled_from("abc"), st.integers(0, 3))),
)


def _apply(target: dict[str, Any], op: tuple[Any, ...]) -> Any:
    name = op[0]
    try:
        if name == "set":
            target[op[1]] = op[2]
        elif name == "del":
            del target[op[1]]
        elif name == "pop":
            return target.pop(op[1], "default")
        elif name == "setdefault":
            return target.setdefault(op[1], op[2])
        elif name == "update":
            target.update(op[1])
        elif name == "clear":
            target.clear()
        elif name == "popitem":
            return target.popitem()
        elif name == "ior":
            target |= op[1]
    except KeyError:
        return KeyError
    return None


@given(st.dictionaries(st.sampled_from("abc"), st.integers(0, 3)), st.lists(OPS, max_size=12))
def test_behaves_like_starlettes_session(
    initial: dict[str, int], ops: list[tuple[Any, ...]]
) -> None:
    ours, theirs, plain = Session(initial), StarletteSession(initial), dict(initial)
    for op in ops:
        assert _apply(ours, op) == _apply(theirs, op) == _apply(plain, op)
        assert ours == theirs == plain
        assert ours.modified == theirs.modified


def test_detached_modified_flag_can_be_reset() -> None:
    session = Session()
    session["a"] = 1
    session.modified = False
    assert not session.modified
    assert session.status is SessionStatus.UNCHANGED


def test_purge_and_renew_statuses() -> None:
    session = Session({"a": 1})
    statuses = []
    session.renew()
    statuses.append(session.status)
    session.purge()
    assert session == {}
    statuses.append(session.status)
    session["flash"] = "bye"
    statuses.append(session.status)
    # Writing after a purge starts a new session under a new key.
    assert statuses == [SessionStatus.RENEWED, SessionStatus.PURGED, SessionStatus.RENEWED]


def _attached(state: dict[str, Any]) -> Client:
    client = Client(manager(store=(store := MemoryStore())), store)
    client.request(lambda session: session.update(state))
    return client


def test_attached_status_is_decided_by_value() -> None:
    client = _attached({"items": [1], "n": 1})
    seen: dict[str, SessionStatus] = {}

    def handler(session: Session) -> None:
        session.update({})
        session["n"] = 1
        seen["same values"] = session.status
        session["items"].append(2)
        seen["mutated in place"] = session.status

    client.request(handler)
    assert seen == {
        "same values": SessionStatus.UNCHANGED,
        "mutated in place": SessionStatus.CHANGED,
    }


def test_assigning_modified_forces_a_save() -> None:
    client = _attached({"n": 1})
    exchange = client.request(lambda session: setattr(session, "modified", True))
    assert exchange.set_cookie is not None


def test_lazy_loading_through_every_reader() -> None:
    client = _attached({"a": 1})
    readers: list[Callable[[Session], Any]] = [
        dict,
        lambda s: {**s},
        list,
        len,
        bool,
        lambda s: s == {"a": 1},
    ]
    for reader in readers:
        seen: list[Any] = []

        def handler(
            session: Session, reader: Callable[[Session], Any] = reader, seen: list[Any] = seen
        ) -> None:
            seen.append(reader(session))

        client.request(handler)
        assert seen[0] not in ({}, [], 0, False)
    # json.dumps reads the raw dict in C: marking the session accessed first loads it,
    # which is what Starlette's request.session and flask.session do.
    dumped: list[str] = []

    def touch_then_dump(session: Session) -> None:
        session.mark_accessed()
        dumped.append(json.dumps(session))

    client.request(touch_then_dump)
    assert dumped == ['{"a": 1}']
    # repr never triggers store I/O (debuggers call it).
    shown: list[str] = []
    client.request(lambda session: shown.append(repr(session)))
    assert shown == ["Session(<not loaded>)"]


def test_changes_after_the_response_started_raise() -> None:
    client = _attached({"a": 1})
    exchange = client.request(lambda session: session["a"])
    session = exchange.session
    assert session["a"] == 1  # reading stays possible
    lifecycle_writes: list[Callable[[Session], Any]] = [
        lambda s: s.purge(),
        lambda s: s.renew(),
        lambda s: setattr(s, "permanent", True),
    ]
    for write in [*WRITES, *lifecycle_writes]:
        with pytest.raises(SessionCommittedError, match="after the response headers"):
            write(session)


def test_permanent_defaults_and_override() -> None:
    assert Session().permanent is False
    client = _attached({"a": 1})
    seen: list[bool] = []

    def toggle(session: Session) -> None:
        seen.append(session.permanent)
        session.permanent = True
        seen.append(session.permanent)

    exchange = client.request(toggle)
    assert seen == [False, True]
    assert exchange.set_cookie is not None and "Max-Age=86400" in exchange.set_cookie
    client.request(lambda session: seen.append(session.permanent))
    assert seen[-1] is True


def test_metadata_properties() -> None:
    client = _attached({"a": 1})
    seen: list[Any] = []
    client.request(lambda s: seen.extend([s.new, s.created_at, s.expires_at]))
    assert seen[0] is False
    assert seen[1] == 1_700_000_000.0
    assert seen[2] == 1_700_000_000.0 + 86400
    fresh = Client(manager(store=(store := MemoryStore())), store)
    fresh.request(lambda s: seen.extend([s.new, s.created_at]))
    assert seen[3:] == [True, None]


class CountingSerializer(JSONSerializer):
    """The JSON serializer, counting how often ``dumps`` ran."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__()
        inner = self.dumps
        self.calls = 0

        def dumps(value: Any) -> str:
            self.calls += 1
            return inner(value)

        self.dumps = dumps


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["items"].append(2),
        lambda s: s.get("items").append(2),
        lambda s: s.setdefault("items", []).append(2),
        lambda s: next(iter(s.values())).append(2),
        lambda s: dict(s.items())["items"].append(2),
        lambda s: dict(s)["items"].append(2),
        lambda s: {**s}["items"].append(2),
        lambda s: s.copy()["items"].append(2),
        lambda s: (s | {})["items"].append(2),
    ],
)
def test_in_place_changes_are_found_whichever_way_the_value_was_reached(mutate: Any) -> None:
    client = Client(manager(store=(store := MemoryStore())), store)
    client.request(lambda session: session.update(items=[1]))
    exchange = client.request(mutate)
    assert exchange.set_cookie is not None
    assert client.request(lambda session: dict(session)).session == {"items": [1, 2]}


def test_values_never_handed_out_are_not_serialized_again() -> None:
    serializer = CountingSerializer()
    config = SessionConfig(cookie_secure=False, serializer=serializer)
    client = Client(manager(config, store=(store := MemoryStore())), store)
    client.request(lambda session: session.update(items=[1, 2], more={"a": [3]}, n=1))
    serializer.calls = 0
    client.request(lambda session: session["n"])
    assert serializer.calls == 0  # the lists and dicts were never handed out
    client.request(lambda session: session["items"])
    assert serializer.calls == 1  # only the one handed out is compared
    serializer.calls = 0
    client.request(lambda session: session.__setitem__("n", 2))
    assert serializer.calls == 1  # the write serializes the changed value only


def test_a_lone_surrogate_round_trips_through_the_cookie() -> None:
    client = Client(manager(store=COOKIE), COOKIE)
    client.request(lambda session: session.__setitem__("text", "a\udc80b"))
    assert client.request(lambda session: dict(session)).session == {"text": "a\udc80b"}


def test_using_a_session_nobody_can_load_is_a_clear_error() -> None:
    exchange = manager().begin("session=whatever")
    with pytest.raises(SessionNotLoadedError, match="before it was loaded"):
        exchange.session["a"] = 1
