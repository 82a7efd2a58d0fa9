"""What coatcheck did for a request, recorded for the demo's teaching panel.

Three pieces, none of which reaches inside the adapter:

- `traced` wraps the demo's store: every command the core sends (and every index call
  the app makes) is written, as one line, into the trace of the request it belongs to
  (found through a context variable, which anyio carries into worker threads).
- `TraceMiddleware` sits outside the session middleware: it starts each request's
  `RequestTrace` and, when the response starts, notes its status and the
  ``Set-Cookie`` headers it carries, exactly as the browser receives them.
- `TraceLog` keeps the last finished trace per cookie the browser holds afterwards
  (by a hash of the cookie's value, never the value itself), so the next page can show
  the ``Set-Cookie`` and the commit commands of the response before it: a page is
  rendered before its own response headers exist.

Session keys never appear: a command line names a session by `coatcheck.session_id`
of its key (the public, one-way id the "Your sessions" page shows too).
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coatcheck import Delta, Forwarded, SessionMeta, StoredState, session_id
from coatcheck.sansio import cookie_values, forwards, indexes_subjects, is_async_store
from coatcheck_asgi import AnyStore, ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "RequestTrace",
    "TraceLog",
    "TraceMiddleware",
    "current_trace",
    "traced",
]

TRACE_SCOPE_KEY = "coatcheck_demo.trace"
"""Where `TraceMiddleware` puts the request's `RequestTrace` in the ASGI scope."""
PREVIOUS_SCOPE_KEY = "coatcheck_demo.previous"
"""Where it puts the trace of the response that set the cookie the request carries."""


@dataclass
class RequestTrace:
    """One request, as the teaching panel tells it."""

    method: str
    path: str
    commands: list[str] = field(default_factory=list)
    """The store commands and index calls, in order, with their answers."""
    status: int | None = None
    set_cookies: list[str] = field(default_factory=list)
    """The ``Set-Cookie`` headers of the session cookie the response carried."""
    rendered_at: int | None = None
    """How many of ``commands`` had run when the page was rendered (the rest ran when
    the response started: the commit), if a page was rendered."""


_current: contextvars.ContextVar[RequestTrace | None] = contextvars.ContextVar(
    "coatcheck_demo_trace", default=None
)


def current_trace() -> RequestTrace | None:
    """The trace of the request being served in this context, if any."""
    return _current.get()


def _name(key: str) -> str:
    return f"session {session_id(key)[:8]}…"


def _note(line: str) -> None:
    trace = _current.get()
    if trace is not None:
        trace.commands.append(line)


def _answer(result: object) -> str:
    if isinstance(result, Forwarded):
        return f"forwarded ({len(result.chain)} hop): it was renewed meanwhile"
    if isinstance(result, StoredState):
        hops = (
            f", reached through {len(result.forward)} forwarding record" if result.forward else ""
        )
        return f"{len(result.state)} value(s){hops}"
    if result is None:
        return "nothing"
    return result if isinstance(result, str) else repr(result)


def _delta(delta: Delta) -> str:
    changed = ", ".join(sorted(delta.changed)) or "-"
    removed = ", ".join(sorted(delta.removed)) or "-"
    return f"set [{changed}], removed [{removed}]"


_ACCOUNT_METHODS = ("renew", "cap", "list_sessions", "revoke", "revoke_all", "count_sessions")


def _describe(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    if method == "renew":
        key, new_key = args[0], args[1]
        return (
            f"RENEW {_name(key)} → {_name(new_key)} ({_delta(args[3])}, ttl {kwargs['ttl']} s, "
            f"old key forwards for {kwargs['grace']} s)"
        )
    if method == "cap":
        return f"CAP subject {args[0]!r} to {args[2]} session(s)"
    subject = args[0]
    if method == "revoke":
        return f"REVOKE session {str(args[1])[:8]}… of {subject!r}"
    if method == "revoke_all":
        keep = kwargs.get("keep")
        kept = f" but {str(keep)[:8]}…" if keep else ""
        return f"REVOKE_ALL of {subject!r}{kept}"
    return f"{method.upper()} {subject!r}"


class _Tracer:
    """What both wrappers share: the wrapped store and its capabilities."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.performs_io = bool(getattr(inner, "performs_io", True))

    def __getattr__(self, name: str) -> Any:
        # The account methods exist exactly when the wrapped store has them, so the core
        # detects the same capabilities (`indexes_subjects`, `forwards`).
        if name not in _ACCOUNT_METHODS:
            raise AttributeError(name)
        return self._wrap(name, getattr(self.inner, name))

    def _wrap(self, name: str, method: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


class _SyncTracer(_Tracer):
    def load(self, key: str, *, now: float) -> StoredState | None:
        result: StoredState | None = self.inner.load(key, now=now)
        _note(f"LOAD {_name(key)} → {_answer(result)}")
        return result

    def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        if meta is None:
            saved = bool(self.inner.save(key, state, ttl=ttl, now=now))
        else:
            saved = bool(self.inner.save(key, state, ttl=ttl, now=now, meta=meta))
        owner = f", indexed under {meta.subject!r}" if meta else ""
        _note(f"SAVE {_name(key)} ({len(state)} value(s), ttl {ttl} s{owner}) → {saved}")
        return saved

    def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        result: bool | Forwarded = self.inner.update(key, state, delta, ttl=ttl, now=now)
        _note(f"UPDATE {_name(key)} ({_delta(delta)}, ttl {ttl} s) → {_answer(result)}")
        return result

    def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        result: bool | Forwarded = self.inner.update_ttl(key, ttl=ttl, now=now)
        _note(f"UPDATE_TTL {_name(key)} (ttl {ttl} s) → {_answer(result)}")
        return result

    def delete(self, key: str) -> None:
        self.inner.delete(key)
        _note(f"DELETE {_name(key)}")

    def _wrap(self, name: str, method: Any) -> Any:
        def traced_call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            _note(f"{_describe(name, args, kwargs)} → {_answer(_short(result))}")
            return result

        return traced_call


class _AsyncTracer(_Tracer):
    async def load(self, key: str, *, now: float) -> StoredState | None:
        result: StoredState | None = await self.inner.load(key, now=now)
        _note(f"LOAD {_name(key)} → {_answer(result)}")
        return result

    async def save(
        self,
        key: str,
        state: Mapping[str, str],
        *,
        ttl: int,
        now: float,
        meta: SessionMeta | None = None,
    ) -> bool:
        if meta is None:
            saved = bool(await self.inner.save(key, state, ttl=ttl, now=now))
        else:
            saved = bool(await self.inner.save(key, state, ttl=ttl, now=now, meta=meta))
        owner = f", indexed under {meta.subject!r}" if meta else ""
        _note(f"SAVE {_name(key)} ({len(state)} value(s), ttl {ttl} s{owner}) → {saved}")
        return saved

    async def update(
        self, key: str, state: Mapping[str, str], delta: Delta, *, ttl: int, now: float
    ) -> bool | Forwarded:
        result: bool | Forwarded = await self.inner.update(key, state, delta, ttl=ttl, now=now)
        _note(f"UPDATE {_name(key)} ({_delta(delta)}, ttl {ttl} s) → {_answer(result)}")
        return result

    async def update_ttl(self, key: str, *, ttl: int, now: float) -> bool | Forwarded:
        result: bool | Forwarded = await self.inner.update_ttl(key, ttl=ttl, now=now)
        _note(f"UPDATE_TTL {_name(key)} (ttl {ttl} s) → {_answer(result)}")
        return result

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)
        _note(f"DELETE {_name(key)}")

    def _wrap(self, name: str, method: Any) -> Any:
        async def traced_call(*args: Any, **kwargs: Any) -> Any:
            result = await method(*args, **kwargs)
            _note(f"{_describe(name, args, kwargs)} → {_answer(_short(result))}")
            return result

        return traced_call


def _short(result: object) -> object:
    """A list of sessions as its length (the page shows the sessions themselves)."""
    return f"{len(result)} session(s)" if isinstance(result, list) else result


def traced(store: AnyStore) -> AnyStore:
    """``store``, recording its commands into the current request's trace.

    A `coatcheck.CookieStore` comes back as it is: it receives no commands (the state
    travels in the cookie).
    """
    if getattr(store, "state_in_cookie", False):
        return store
    wrapper = _AsyncTracer(store) if is_async_store(store) else _SyncTracer(store)
    assert indexes_subjects(wrapper) == indexes_subjects(store)
    assert forwards(wrapper) == forwards(store)
    return wrapper


def cookie_fingerprint(value: str) -> str:
    """A one-way name for a cookie value, to file traces under."""
    return hashlib.sha256(b"coatcheck demo trace\x00" + value.encode()).hexdigest()[:32]


class TraceLog:
    """The last finished trace per cookie a browser holds, for at most ``limit`` cookies."""

    def __init__(self, limit: int = 1000) -> None:
        self._limit = limit
        self._traces: OrderedDict[str, RequestTrace] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, cookie: str, trace: RequestTrace) -> None:
        """File ``trace`` under the cookie value the browser holds after it."""
        with self._lock:
            self._traces[cookie_fingerprint(cookie)] = trace
            self._traces.move_to_end(cookie_fingerprint(cookie))
            while len(self._traces) > self._limit:
                self._traces.popitem(last=False)

    def get(self, cookie: str | None) -> RequestTrace | None:
        """The trace of the response that left the browser with ``cookie``, if known."""
        if not cookie:
            return None
        with self._lock:
            return self._traces.get(cookie_fingerprint(cookie))


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _set_cookie_value(header: str, cookie_name: str) -> str | None:
    """The value a ``Set-Cookie`` header gives ``cookie_name`` ("" when it removes it)."""
    name, _, rest = header.partition("=")
    if name.strip() != cookie_name:
        return None
    value, _, attributes = rest.partition(";")
    removing = "max-age=0" in attributes.lower().replace(" ", "")
    return "" if removing else value.strip()


class TraceMiddleware:
    """Record every HTTP request's trace (outside the session middleware)."""

    def __init__(self, app: ASGIApp, *, cookie_name: str, log: TraceLog) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace = RequestTrace(scope.get("method", "GET"), scope.get("path", "/"))
        header = _header(scope, b"cookie")
        sent = cookie_values(header, self.cookie_name) if header else []
        held = sent[0] if sent else None
        scope[TRACE_SCOPE_KEY] = trace
        scope[PREVIOUS_SCOPE_KEY] = self.log.get(held)
        token = _current.set(trace)

        async def send_traced(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                trace.status = int(message["status"])
                for name, value in message.get("headers") or ():
                    if name.lower() != b"set-cookie":
                        continue
                    text = bytes(value).decode("latin-1")
                    given = _set_cookie_value(text, self.cookie_name)
                    if given is not None:
                        trace.set_cookies.append(text)
                        held = given or None
            await send(message)

        try:
            await self.app(scope, receive, send_traced)
        finally:
            _current.reset(token)
            if held:
                self.log.put(held, trace)


def trace_of(scope: Mapping[str, Any]) -> tuple[RequestTrace | None, RequestTrace | None]:
    """This request's trace and the one of the response before it (by cookie)."""
    return scope.get(TRACE_SCOPE_KEY), scope.get(PREVIOUS_SCOPE_KEY)


def clock_text(moment: float | None) -> str:
    """``moment`` (epoch seconds) as a UTC time of day, or "-"."""
    if moment is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))
