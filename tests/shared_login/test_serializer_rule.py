"""The serializer rule: Flask's tagged JSON and plain JSON never disagree on what either
app writes, because both apps use one serializer (and where that serializer's text is
plain JSON, `is_json_native` says so exactly).

Proved over generated values: at the serializer, and through both real apps (Flask behind
the WSGI bridge, FastAPI, the dispatcher, a real redis-server) in both directions.
"""

from __future__ import annotations

import json
import math
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import flask
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI, Request, Response
from hypothesis import assume, given
from hypothesis import strategies as st
from markupsafe import Markup

from coatcheck import JSONSerializer, MemoryStore
from coatcheck_asgi import load_session
from coatcheck_wsgi.flask import FlaskSession, FlaskTaggedJSON
from examples.shared_login import (
    COOKIE_NAME,
    PathDispatcher,
    SharedSession,
    combine,
    create_api_app,
    create_pages_app,
    is_json_native,
    redis_stores,
    shared_session_config,
)
from tests.redis.servers import RedisServer

from .conftest import BASE_URL

SERIALIZER = shared_session_config(secrets.token_urlsafe(32)).config.serializer
"""The serializer both apps use."""
PLAIN = JSONSerializer()
SORTED_PLAIN = JSONSerializer(sort_keys=True)
TAG_KEYS = [" t", " di", " b", " m", " u", " d"]

# -- values ------------------------------------------------------------------------------

json_keys = st.one_of(st.text(max_size=8), st.sampled_from(TAG_KEYS))
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=16)
)
tagged_only_scalars = st.one_of(
    st.binary(max_size=16),
    st.uuids(),
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9999, 1, 1),
        timezones=st.just(timezone.utc),
    ).map(lambda value: value.replace(microsecond=0)),
    st.text(max_size=8).map(Markup),
)
# What the apps may exchange: anything Flask's tagged JSON keeps (NaN aside: it is not
# equal to itself), nested.
session_values = st.recursive(
    st.one_of(json_scalars, tagged_only_scalars),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(json_keys, children, max_size=4),
    ),
    max_leaves=12,
)
# The JSON-native values, tag-like keys included (they are native unless alone).
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(json_keys, children, max_size=4)
    ),
    max_leaves=12,
)


def same(left: Any, right: Any) -> bool:
    """Equal, with the same types all the way down."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


def plain_reading(text: str) -> tuple[bool, Any]:
    """What a plain JSON reader makes of ``text``: (read, value)."""
    try:
        return True, PLAIN.loads(text)
    except ValueError:
        return False, None  # NaN and the infinities are not JSON


# -- at the serializer --------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings() -> SharedSession:
    return shared_session_config(secrets.token_urlsafe(32))


def test_both_apps_get_one_serializer_object(settings: SharedSession) -> None:
    store = MemoryStore()
    pages = settings.manager(store, session_class=FlaskSession)
    api = settings.manager(store)
    assert isinstance(pages.config.serializer, FlaskTaggedJSON)
    assert api.config.serializer is pages.config.serializer
    assert api.keys == pages.keys
    assert api.config == pages.config


@given(session_values)
def test_what_one_app_writes_the_other_reads_as_written(value: Any) -> None:
    text = SERIALIZER.dumps(value)
    read = SERIALIZER.loads(text)
    assert same(read, value)
    # Reading and writing back gives the same text: a value read by one app and left
    # alone is never counted as a change, nor rewritten differently.
    assert SERIALIZER.dumps(read) == text


@given(session_values)
def test_is_json_native_is_exactly_where_plain_json_agrees(value: Any) -> None:
    text = SERIALIZER.dumps(value)
    parsed, read = plain_reading(text)
    agrees = parsed and same(read, value)
    assert agrees is is_json_native(value)


@given(json_values)
def test_json_native_values_are_written_as_plain_json(value: Any) -> None:
    assume(is_json_native(value))  # all but dicts holding a lone tag-like key
    text = SERIALIZER.dumps(value)
    assert text == SORTED_PLAIN.dumps(value)
    assert json.loads(text) == value


def test_without_the_rule_the_apps_would_disagree() -> None:
    """Why the rule exists: plain JSON on one side and tagged JSON on the other."""
    tagged = FlaskTaggedJSON()
    # Flask's flash() stores (category, message) tuples: plain JSON reads tagged dicts.
    flashes = [("message", "Welcome!")]
    assert PLAIN.loads(tagged.dumps(flashes)) == [{" t": ["message", "Welcome!"]}]
    # A dict a plain-JSON app writes turns into a tuple for Flask.
    assert tagged.loads(PLAIN.dumps({" t": [1, 2]})) == (1, 2)
    # A tuple a plain-JSON app writes comes back to it as a list.
    assert PLAIN.loads(PLAIN.dumps((1, 2))) == [1, 2]
    assert not is_json_native(flashes)
    assert not is_json_native({" t": [1, 2]})
    assert not is_json_native(math.inf)


# -- through both apps --------------------------------------------------------------------


@dataclass
class Probe:
    """Both apps behind the dispatcher, with routes that write and read one value."""

    portal: BlockingPortal
    app: PathDispatcher
    handed: dict[str, Any] = field(default_factory=dict)

    async def exchange(self, write: str, read: str, value: Any) -> Any:
        """Write ``value`` into a new session at ``write``, read it back at ``read``."""
        self.handed.clear()
        self.handed["write"] = value
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            written = await client.post(write)
            assert written.status_code == 204, written.text
            assert COOKIE_NAME in client.cookies
            answer = await client.get(read)
            assert answer.status_code == 204, answer.text
        return self.handed["read"]


def add_probe_routes(pages: flask.Flask, api: FastAPI, handed: dict[str, Any]) -> None:
    """``/probe/...`` on Flask and ``/api/probe/...`` on FastAPI: write ``handed["write"]``
    into the session, and hand back what the session holds."""

    @pages.post("/probe/write")
    def flask_write() -> tuple[str, int]:
        flask.session["value"] = handed["write"]
        return "", 204

    @pages.get("/probe/read")
    def flask_read() -> tuple[str, int]:
        handed["read"] = flask.session["value"]
        return "", 204

    async def fastapi_write(request: Request) -> Response:
        (await load_session(request))["value"] = handed["write"]
        return Response(status_code=204)

    async def fastapi_read(request: Request) -> Response:
        handed["read"] = (await load_session(request))["value"]
        return Response(status_code=204)

    api.post("/api/probe/write")(fastapi_write)
    api.get("/api/probe/read")(fastapi_read)


@pytest.fixture(scope="module")
def probe(shared_redis: RedisServer) -> Iterator[Probe]:
    settings = shared_session_config(secrets.token_urlsafe(32))
    stores = redis_stores(shared_redis.url, key_prefix=f"serializer-rule:{uuid.uuid4().hex}:")
    handed: dict[str, Any] = {}
    pages = create_pages_app(settings, stores.pages)
    api = create_api_app(settings, stores.api)
    add_probe_routes(pages, api, handed)
    app = combine(pages, api)
    with start_blocking_portal("asyncio") as portal:
        yield Probe(portal, app, handed)
        portal.call(stores.aclose)


@pytest.mark.redis
@given(session_values)
def test_flask_writes_fastapi_reads(probe: Probe, value: Any) -> None:
    read = probe.portal.call(probe.exchange, "/probe/write", "/api/probe/read", value)
    assert same(read, value)


@pytest.mark.redis
@given(session_values)
def test_fastapi_writes_flask_reads(probe: Probe, value: Any) -> None:
    read = probe.portal.call(probe.exchange, "/api/probe/write", "/probe/read", value)
    assert same(read, value)
