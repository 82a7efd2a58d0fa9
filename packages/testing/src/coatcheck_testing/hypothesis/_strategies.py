"""Hypothesis strategies for session states, configurations and cookies, genuine or not.

- `json_values` and `session_states`: what an application keeps in a session: nested,
  unicode, tiny and (unless told otherwise) big.
- `keys` and `session_configs`: any `Key`, any valid `SessionConfig`.
- `genuine_cookies`: real session cookies for a key, config and store, made by the core
  itself, with the state they carry.
- `hostile_cookie_headers`: ``Cookie`` headers that must never yield a session: junk,
  duplicates, oversize values, tampered and non-canonical cookies, cookies sealed for
  another name or under a foreign key, and correctly sealed envelopes with a wrong
  version or malformed content.
"""

from __future__ import annotations

import base64
import hmac
import math
import struct
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from hypothesis import assume
from hypothesis import strategies as st

from coatcheck import (
    BrowserSession,
    CookieContentSecurity,
    CookieStore,
    JSONSerializer,
    Key,
    PersistentSession,
    SessionConfig,
    SessionManager,
    SessionStore,
    SessionTooLarge,
    TtlExtensionPolicy,
)
from coatcheck._cookie_codec import VERSION, CookieCodec
from coatcheck.sansio import AnyStore, is_async_store, run_commands, state_in_cookie

__all__ = [
    "GenuineCookie",
    "TOKEN_ALPHABET",
    "genuine_cookies",
    "hostile_cookie_headers",
    "json_values",
    "keys",
    "session_configs",
    "session_states",
]

TOKEN_ALPHABET = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""The characters of an RFC 6265 cookie name."""
# Both base64 alphabets: cookie values of ours (standard) and look-alikes (URL-safe).
_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
# Printable ASCII without ';', ',' and space (what a cookie Path may hold), nor '/'.
_PATH_SEGMENT_ALPHABET = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ";,/")
_TIME = struct.Struct(">d")
_NONCE = 12
_serializer = JSONSerializer()


def _leaves(big: bool) -> st.SearchStrategy[Any]:
    small = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**31), 2**31),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    )
    if not big:
        return small
    return st.one_of(
        small,
        st.integers(2**63, 10**300),
        st.integers(-(10**300), -(2**63)),
        # Built by repetition: hypothesis draws a kilobyte-sized text slowly.
        st.builds(
            lambda unit, n: unit * n, st.text(min_size=1, max_size=8), st.integers(128, 4096)
        ),
    )


def json_values(*, max_leaves: int = 12, big: bool = True) -> st.SearchStrategy[Any]:
    """Any value the default JSON serializer round-trips: nested lists and objects of
    ``None``, booleans, integers, finite floats and unicode text.

    With ``big`` some values are large (texts of kilobytes, integers of hundreds of
    digits, long lists).
    """
    children = st.recursive(
        _leaves(big),
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(st.text(max_size=10), inner, max_size=5),
        ),
        max_leaves=max_leaves,
    )
    if not big:
        return children
    long_lists = st.builds(lambda item, n: [item] * n, _leaves(False), st.integers(50, 1000))
    return st.one_of(children, long_lists)


def _serialized_size(state: dict[str, Any]) -> int:
    return sum(len(key) + len(_serializer.dumps(value)) for key, value in state.items())


def session_states(
    *,
    min_keys: int = 0,
    max_keys: int = 8,
    big: bool | None = None,
    max_bytes: int | None = None,
    values: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Session states: dicts of unicode keys to `json_values`.

    ``max_bytes`` bounds the serialized size (keys plus value texts, in characters), for
    states that must fit in a cookie; it turns ``big`` off unless asked for.
    """
    if big is None:
        big = max_bytes is None
    if values is None:
        values = json_values(big=big)
    states = st.dictionaries(st.text(max_size=24), values, min_size=min_keys, max_size=max_keys)
    if max_bytes is not None:
        limit = max_bytes
        states = states.filter(lambda state: _serialized_size(state) <= limit)
    return states


def keys() -> st.SearchStrategy[Key]:
    """Any `Key` (64 bytes of material)."""
    return st.binary(min_size=64, max_size=64).map(Key.from_bytes)


def _durations(seconds: st.SearchStrategy[int]) -> st.SearchStrategy[timedelta | int]:
    # The config takes both spellings; draw both.
    return st.one_of(seconds, seconds.map(lambda s: timedelta(seconds=s)))


@st.composite
def session_configs(
    draw: st.DrawFn,
    *,
    ttls: st.SearchStrategy[int] | None = None,
    absolute_lifetimes: st.SearchStrategy[int | None] | None = None,
    cookie_paths: st.SearchStrategy[str] | None = None,
    cookie_domains: st.SearchStrategy[str | None] | None = None,
    renew_graces: st.SearchStrategy[int] | None = None,
    refresh_afters: st.SearchStrategy[float | None] | None = None,
    subject_keys: st.SearchStrategy[str | None] | None = None,
    max_sessions: st.SearchStrategy[int | None] | None = None,
) -> SessionConfig:
    """Any valid `SessionConfig`: names with and without ``__Host-``/``__Secure-``
    prefixes, paths, domains, every flag, both content-security modes, both lifecycles
    and policies (``ON_EVERY_REQUEST`` throttled by ``refresh_after`` or not), absolute
    lifetimes, a separate lifecycle for permanent sessions and renewal grace windows.

    ``ttls`` (seconds), ``absolute_lifetimes`` (seconds or ``None``), ``cookie_paths``,
    ``cookie_domains``, ``renew_graces`` (seconds) and ``refresh_afters`` (fractions of
    the TTL, or ``None``; drawn only for ``ON_EVERY_REQUEST``) narrow the draw, e.g. to
    TTLs a test clock can reach. ``subject_keys`` (default: never one, since a subject
    key constrains what the state may hold under it) and ``max_sessions`` (drawn only
    with a subject key; default ``None``) turn the account features on.
    """
    if ttls is None:
        ttls = st.integers(0, 400 * 86400)
    if absolute_lifetimes is None:
        absolute_lifetimes = st.none() | st.integers(0, 400 * 86400)
    if cookie_paths is None:
        segments = st.lists(st.text(_PATH_SEGMENT_ALPHABET, min_size=1, max_size=8), max_size=3)
        cookie_paths = st.just("/") | st.builds(
            lambda parts, slash: "/" + "/".join(parts) + slash, segments, st.sampled_from(["", "/"])
        ).map(lambda path: path.replace("//", "/"))
    if cookie_domains is None:
        cookie_domains = st.none() | st.sampled_from(
            ["example.org", ".example.org", "app.example.org", "localhost"]
        )
    if renew_graces is None:
        renew_graces = st.sampled_from([0, 10]) | st.integers(0, 3600)
    if refresh_afters is None:
        refresh_afters = st.none() | st.floats(0.01, 0.99)
    if subject_keys is None:
        subject_keys = st.none()
    if max_sessions is None:
        max_sessions = st.none()
    prefix = draw(st.sampled_from(["", "", "__Secure-", "__Host-"]))
    name = prefix + draw(st.text(TOKEN_ALPHABET, min_size=1, max_size=16))
    secure = True if prefix else draw(st.booleans())
    if prefix == "__Host-":
        path, domain = "/", None
    else:
        path, domain = draw(cookie_paths), draw(cookie_domains)
    same_sites: list[str | None] = ["lax", "strict", "Lax", "STRICT", None]
    if secure:
        same_sites += ["none", "None"]
    lifecycle = draw(
        st.one_of(
            _browser_lifecycles(ttls, refresh_afters),
            _persistent_lifecycles(ttls, refresh_afters),
        )
    )
    permanent_lifecycle = draw(st.none() | _persistent_lifecycles(ttls, refresh_afters))
    absolute = draw(absolute_lifetimes)
    subject_key = draw(subject_keys)
    return SessionConfig(
        cookie_name=name,
        cookie_path=path,
        cookie_domain=domain,
        cookie_secure=secure,
        cookie_http_only=draw(st.booleans()),
        cookie_same_site=draw(st.sampled_from(same_sites)),
        cookie_partitioned=draw(st.booleans()) if secure else False,
        cookie_content_security=draw(st.sampled_from(CookieContentSecurity)),
        lifecycle=lifecycle,
        absolute_lifetime=None if absolute is None else timedelta(seconds=absolute),
        permanent_lifecycle=permanent_lifecycle,
        renew_grace=draw(renew_graces),
        subject_key=subject_key,
        max_sessions_per_subject=None if subject_key is None else draw(max_sessions),
    )


@st.composite
def _persistent_lifecycles(
    draw: st.DrawFn,
    ttls: st.SearchStrategy[int],
    refresh_afters: st.SearchStrategy[float | None],
) -> PersistentSession:
    ttl, policy, refresh_after = _lifetime(draw, ttls, refresh_afters)
    return PersistentSession(
        session_ttl=ttl, ttl_extension_policy=policy, refresh_after=refresh_after
    )


@st.composite
def _browser_lifecycles(
    draw: st.DrawFn,
    ttls: st.SearchStrategy[int],
    refresh_afters: st.SearchStrategy[float | None],
) -> BrowserSession:
    ttl, policy, refresh_after = _lifetime(draw, ttls, refresh_afters)
    return BrowserSession(state_ttl=ttl, ttl_extension_policy=policy, refresh_after=refresh_after)


def _lifetime(
    draw: st.DrawFn,
    ttls: st.SearchStrategy[int],
    refresh_afters: st.SearchStrategy[float | None],
) -> tuple[timedelta | int, TtlExtensionPolicy, float | None]:
    ttl = draw(_durations(ttls))
    policy = draw(st.sampled_from(TtlExtensionPolicy))
    refresh_after = draw(refresh_afters) if policy is TtlExtensionPolicy.ON_EVERY_REQUEST else None
    return ttl, policy, refresh_after


class GenuineCookie(NamedTuple):
    """A session cookie the core issued, and what it carries."""

    name: str
    value: str
    state: dict[str, Any]
    """The state the application saved."""
    session_key: str | None
    """The store's key inside the cookie; ``None`` for `CookieStore` (the state is there)."""
    set_cookie: str
    """The full ``Set-Cookie`` header value the response carried."""

    @property
    def header(self) -> str:
        """The ``Cookie`` request header that sends it back."""
        return f"{self.name}={self.value}"


def genuine_cookies(
    key: Key,
    config: SessionConfig | None = None,
    store: SessionStore | CookieStore | None = None,
    *,
    states: st.SearchStrategy[dict[str, Any]] | None = None,
    now: Callable[[], float] = time.time,
) -> st.SearchStrategy[GenuineCookie]:
    """Cookies for sessions the core saved in ``store`` (default: a fresh `CookieStore`).

    Each draws a non-empty state (default: ones that fit in a cookie), sometimes marks it
    permanent, and runs one request that saves it, at the time ``now`` returns. ``store``
    must be a sync store; its sessions stay in it, so a test can load them back.
    """
    if store is None:
        store = CookieStore()
    if is_async_store(store):
        raise TypeError("genuine_cookies() needs a sync store; wrap an async one yourself")
    if states is None:
        states = session_states(min_keys=1, max_bytes=1500)
    manager = SessionManager(key=key, store=store, config=config, now=now)
    sync_store: AnyStore = store

    @st.composite
    def issue(draw: st.DrawFn) -> GenuineCookie:
        state = draw(states)
        assume(state)
        permanent = draw(st.sampled_from([None, True, False]))
        exchange = manager.begin(None)
        run_commands(exchange, sync_store)  # type: ignore[arg-type]  # no cookie: nothing to load
        exchange.session.update(state)
        if permanent is not None:
            exchange.session.permanent = permanent
        try:
            exchange.finish()
            run_commands(exchange, sync_store)  # type: ignore[arg-type]
        except SessionTooLarge:
            assume(False)
        header = exchange.set_cookie
        assert header is not None, "a non-empty new session always sets its cookie"
        value = header.split(";", 1)[0].partition("=")[2]
        envelope = manager.settings.codec.decode(value)
        assert envelope is not None, "the core could not read back its own cookie"
        session_key = None if state_in_cookie(sync_store) else envelope.payload.decode()
        return GenuineCookie(manager.config.cookie_name, value, state, session_key, header)

    return issue()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).rstrip(b"=").decode("ascii")


def _seal(
    key: Key,
    name: str,
    security: CookieContentSecurity,
    sealed: tuple[int, bytes],
    nonce: bytes,
) -> str:
    """Protect a header byte and arbitrary envelope bytes exactly as the codec does."""
    header_byte, envelope = sealed
    header = bytes([header_byte])
    aad = name.encode("ascii") + b"=" + header
    if security is CookieContentSecurity.PRIVATE:
        return _b64(header + nonce + key._aead.encrypt(nonce, envelope, aad))
    return _b64(header + envelope + hmac.digest(key._signing, aad + envelope, "sha256"))


def _header(version: int, flags: int, low_bits: int = 0) -> int:
    return (version << 4 | flags << 2 | low_bits) & 0xFF


@st.composite
def _malformed_envelopes(draw: st.DrawFn) -> tuple[int, bytes]:
    """A header byte and envelope the codec must refuse even when correctly sealed."""
    session_key = draw(st.text(min_size=1, max_size=40)).encode("utf-8")
    kind = draw(st.sampled_from(["version", "flags", "time", "short", "extras", "utf8"]))
    header, created_at = _header(VERSION, 0), draw(st.floats(0, 2e9))
    if kind == "version":
        header = _header(draw(st.integers(0, 15).filter(lambda v: v != VERSION)), 0)
    elif kind == "flags":
        # "permanent" without "explicit", whatever the extras.
        header = _header(VERSION, 2, draw(st.integers(0, 3)))
    elif kind == "time":
        created_at = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    elif kind == "short":
        return header, _TIME.pack(created_at)[: draw(st.integers(0, 8))]
    elif kind == "extras":
        # The header announces one or two more times: they are missing, or not finite.
        extras = draw(st.integers(1, 3))
        times = 1 + (extras & 1) + (extras >> 1)
        header = _header(VERSION, draw(st.sampled_from([0, 1, 3])), extras)
        if draw(st.booleans()):
            cut = draw(st.integers(0, 8 * times))
            return header, (_TIME.pack(created_at) * times)[:cut]
        bad = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        return header, _TIME.pack(created_at) + _TIME.pack(bad) * (times - 1) + session_key
    else:
        session_key = draw(st.sampled_from([b"\xff", b"\xc3", b"\x80abc", b"ok\xf8"]))
    return header, _TIME.pack(created_at) + session_key


def _tampered(draw: st.DrawFn, value: str) -> str:
    raw = base64.b64decode(value + "=" * (-len(value) % 4))
    kind = draw(st.sampled_from(["flip", "truncate", "extend", "padding", "char"]))
    if kind == "flip":
        index = draw(st.integers(0, len(raw) - 1))
        bit = 1 << draw(st.integers(0, 7))
        return _b64(raw[:index] + bytes([raw[index] ^ bit]) + raw[index + 1 :])
    if kind == "truncate":
        return _b64(raw[: draw(st.integers(0, len(raw) - 1))])
    if kind == "extend":
        return _b64(raw + draw(st.binary(min_size=1, max_size=16)))
    if kind == "padding":
        return value + "=" * draw(st.integers(1, 3))
    index = draw(st.integers(0, len(value) - 1))
    replacement = draw(st.sampled_from(_B64URL + "=.~ \x00é").filter(lambda c: c != value[index]))
    return value[:index] + replacement + value[index + 1 :]


@st.composite
def hostile_cookie_headers(draw: st.DrawFn, key: Key, config: SessionConfig | None = None) -> str:
    """``Cookie`` headers carrying no genuine session cookie for ``key`` and ``config``.

    Each header mixes several pieces: junk text, other applications' cookies, random and
    oversize values under the session cookie's name (often duplicated), cookies of ours
    with a flipped bit, truncated, extended, padded or with a character replaced, cookies
    sealed for another cookie name or under another key, and envelopes sealed correctly
    with our key whose version, flags, timestamp, length or UTF-8 is wrong.
    """
    config = SessionConfig() if config is None else config
    name = config.cookie_name
    security = config.cookie_content_security
    other_names = st.text(TOKEN_ALPHABET, min_size=1, max_size=12).filter(lambda n: n != name)

    def genuine_value(cookie_name: str = name, with_key: Key = key) -> str:
        # The nonce is drawn too: what is drawn later must not depend on chance.
        codec = CookieCodec(
            cookie_name, (with_key,), security, lambda n: draw(st.binary(min_size=n, max_size=n))
        )
        session_key = draw(st.text(min_size=1, max_size=60))
        created_at = draw(st.floats(0, 2e9))
        payload = session_key.encode("utf-8", "surrogatepass")
        return codec.encode(payload, created_at, draw(st.sampled_from([None, True, False])))

    def piece() -> str:
        kind = draw(
            st.sampled_from(
                [
                    "junk",
                    "other",
                    "random",
                    "base64",
                    "oversize",
                    "tampered",
                    "swapped",
                    "foreign",
                    "sealed",
                ]
            )
        )
        if kind == "junk":
            return draw(st.text(max_size=60))
        if kind == "other":
            return f"{draw(other_names)}={draw(st.text(max_size=30))}"
        if kind == "random":
            return f"{name}={draw(st.text(max_size=60))}"
        if kind == "base64":
            return f"{name}={draw(st.text(_B64URL, max_size=200))}"
        if kind == "oversize":
            unit = draw(st.text(_B64URL, min_size=1, max_size=4))
            return f"{name}={unit * (4097 // len(unit) + draw(st.integers(0, 30000)))}"
        if kind == "tampered":
            return f"{name}={_tampered(draw, genuine_value())}"
        if kind == "swapped":
            return f"{name}={genuine_value(cookie_name=draw(other_names))}"
        if kind == "foreign":
            other = draw(keys())
            assume(other != key)
            return f"{name}={genuine_value(with_key=other)}"
        envelope = draw(_malformed_envelopes())
        nonce = draw(st.binary(min_size=_NONCE, max_size=_NONCE))
        return f"{name}={_seal(key, name, security, envelope, nonce)}"

    pieces = [piece() for _ in range(draw(st.integers(1, 6)))]
    separator = draw(st.sampled_from(["; ", ";", " ;  ", ";\t"]))
    return separator.join(pieces)
