"""`Exchange`: one request's conversation between the application, the cookie and the store.

Theory of operation
-------------------
An exchange is created by `SessionManager.begin` with the request's ``Cookie`` header and
one clock reading. It hands out store commands one at a time (`next_command`) and is fed
each command's result (`receive`); a driver (`run_commands`, `run_commands_async`) is the
loop that does this against a store. It goes through these phases::

    START ──next_command()──► LOADING ──receive(state)──► READY ──finish()──► COMMITTING ──► DONE
      │                                                     ▲                     │
      └──────────── no genuine cookie: nothing to load ─────┘         any failure ▼
                                                                                FAILED

- START: nothing decoded yet. The first `next_command` (an eager load, or the session's
  loader on first access) decodes the cookie: no genuine cookie, or one past the
  absolute lifetime, means an empty session and no command; otherwise a `Load`.
- READY: the application runs and uses `session`. The exchange keeps the state as
  loaded (each key's serialized text and value) to decide later, by value, what changed.
- `finish()` (the response is starting) freezes the session: a later change raises
  `SessionCommittedError`. It compares the session with what was loaded and looks the
  outcome up in the decision table (`_decision`); it returns False when the answer needs
  no store (the common read), else the commit hands out the commands the table calls
  for. Either way the adapter then reads `set_cookie` and `vary`.
- A session never loaded by then was never touched: it costs nothing, except an
  `UpdateTtl` when the TTL policy says every request extends it, which the cookie's
  visible header tells without decrypting it.
- A store failure is reported with `fail`, which logs it once and raises
  `SessionStoreError`; the exchange then sets no cookie.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Callable, Generator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._commands import Command, Delete, Load, Save, Update, UpdateTtl
from ._config import TtlExtensionPolicy
from ._cookie_codec import COOKIE_SIZE_LIMIT, Envelope, _NotOurs, peek_permanent
from ._cookie_header import cookie_values
from ._decision import CookieAction, Decision, Incoming, Step, decide
from ._errors import (
    SessionError,
    SessionNotLoadedError,
    SessionSerializationError,
    SessionStoreError,
    SessionTooLarge,
)
from ._session import IMMUTABLE_TYPES, Session, SessionStatus
from ._store import Delta, SessionStore, StoredState

if TYPE_CHECKING:
    from ._manager import SessionManager, TtlPlan

__all__ = ["CookieSource", "Exchange"]

logger = logging.getLogger("coatcheck")

CookieSource = str | Callable[[], str | None] | None
"""A ``Cookie`` header value, ``None``, or a callable returning one of those."""

MAX_COOKIE_CANDIDATES = 4
"""Same-named cookies tried before giving up (see `_cookie_header` rule 5)."""
SAVE_ATTEMPTS = 4
"""A save with a fresh key, then at most three retries if the key turns out taken."""

_Commit = Generator[Command, Any, None]
_new_tuple = tuple.__new__
_EMPTY: Mapping[Any, Any] = MappingProxyType({})


class _Phase(enum.Enum):
    START = "start"
    LOADING = "loading"
    READY = "ready"
    COMMITTING = "committing"
    DONE = "done"
    FAILED = "failed"


# Enum members bound to module globals: on Python 3.11 an attribute lookup on an enum
# class costs as much as the rest of a read request's commit decision.
_START, _LOADING, _READY = _Phase.START, _Phase.LOADING, _Phase.READY
_COMMITTING, _DONE, _FAILED = _Phase.COMMITTING, _Phase.DONE, _Phase.FAILED
_NO_COOKIE, _STALE, _LIVE = Incoming.NONE, Incoming.STALE, Incoming.LIVE
_STALE_ABSOLUTE = Incoming.STALE_ABSOLUTE
_STEP_SAVE, _STEP_UPDATE, _STEP_UPDATE_TTL = Step.SAVE, Step.UPDATE, Step.UPDATE_TTL
_STEP_DELETE = Step.DELETE
_COOKIE_NOTHING, _COOKIE_SET, _COOKIE_REMOVE = (
    CookieAction.NOTHING,
    CookieAction.SET,
    CookieAction.REMOVE,
)
_COOKIE_SET_IF_MOVED, _COOKIE_SET_IF_ROTATED = (
    CookieAction.SET_IF_MOVED,
    CookieAction.SET_IF_ROTATED,
)
_EVERY_REQUEST = TtlExtensionPolicy.ON_EVERY_REQUEST
_UNCHANGED, _CHANGED = SessionStatus.UNCHANGED, SessionStatus.CHANGED
_RENEWED, _PURGED = SessionStatus.RENEWED, SessionStatus.PURGED


class Exchange:
    """One request's session exchange. Create it with `SessionManager.begin`.

    ``session`` is the request's `Session`. After `finish` and the commit commands,
    ``set_cookie`` holds the ``Set-Cookie`` header value to send (or ``None``) and
    ``vary`` tells whether to add ``Cookie`` to the ``Vary`` header.
    """

    __slots__ = (
        "__weakref__",
        "_after_load",
        "_commit",
        "_committed",
        "_cookie_source",
        "_created_at",
        "_custom_loader",
        "_envelope",
        "_expires_at",
        "_incoming",
        "_inline_store",
        "_load_on_mark",
        "_load_requested",
        "_loaded",
        "_loaded_text",
        "_loaded_values",
        "_manager",
        "_permanent_loaded",
        "_phase",
        "_result",
        "now",
        "session",
        "set_cookie",
        "vary",
    )

    def __init__(
        self,
        manager: SessionManager,
        cookie_source: CookieSource,
        now: float,
        inline_store: SessionStore | None = None,
    ) -> None:
        self._manager = manager
        self._cookie_source = cookie_source
        self.now = now
        self._phase = _START
        self._after_load = _READY
        self._envelope: Envelope | None = None
        self._incoming: Incoming | None = None
        self._loaded = False
        self._load_requested = False
        self._committed = False
        self._commit: _Commit | None = None
        self._result: Any = None
        self.set_cookie: str | None = None
        self.vary = False
        # How the session loads on first use (see `load_inline` and `set_loader`).
        self._inline_store = inline_store
        self._custom_loader: Callable[[], None] | None = None
        self._load_on_mark = inline_store is not None
        # The state as loaded: the serialized text and the value of every key, for
        # deciding by value what changed; and what the store and the cookie said.
        self._loaded_text: Mapping[str, str] = _EMPTY
        self._loaded_values: Mapping[str, Any] = _EMPTY
        self._permanent_loaded = False
        self._created_at: float | None = None
        self._expires_at: float | None = None
        # __new__ skips the Python-level __init__ that detached sessions need.
        session_class = manager.session_class
        session: Session = session_class.__new__(session_class)
        session._exchange = self
        self.session = session

    # -- the adapter's verbs -----------------------------------------------------------

    def load_inline(self, store: SessionStore) -> None:
        """Load from ``store`` inline, on the session's first use.

        Also when the session is merely marked accessed (``request.session`` in Starlette,
        ``flask.session``), so that C-level readers such as ``json.dumps`` see the loaded
        state. For stores that do no I/O in any adapter, and for every sync store under
        WSGI, where the request's thread may block.
        """
        self._inline_store = store
        self._load_on_mark = True

    def set_loader(self, loader: Callable[[], None], *, on_mark: bool) -> None:
        """Run ``loader`` on the session's first use (it must load it, or raise).

        With ``on_mark`` the loader also runs when the session is merely marked accessed;
        use that for loaders that can run inline. A lazy adapter installs a loader that
        raises `SessionNotLoadedError` saying how to load.
        """
        self._custom_loader = loader
        self._load_on_mark = on_mark

    def _load_on_first_use(self) -> None:
        """Load the session now: the session calls this when it is first used."""
        store = self._inline_store
        if store is not None:
            self._load_requested = True
            command = self.next_command()
            if command is not None:
                try:
                    result = command.run(store)
                except Exception as exc:
                    raise self.fail(command, exc) from exc
                self.receive(result)
            return
        loader = self._custom_loader
        if loader is None:
            raise SessionNotLoadedError(
                "the session was used before it was loaded: run the exchange's commands "
                "(run_commands / run_commands_async) before the application, or install a "
                "loader (Exchange.load_inline, Exchange.set_loader)"
            )
        loader()

    def next_command(self) -> Command | None:
        """The next store command to run, or ``None`` when there is nothing to do now."""
        phase = self._phase
        if phase is _COMMITTING:
            return self._next_commit_command()
        if phase is _LOADING:
            raise RuntimeError("receive() the result of the Load command first")
        if phase is _FAILED or self._loaded:
            return None
        if phase is _START or self._load_requested:
            return self._start_load()
        return None

    def request_load(self) -> None:
        """Ask for the session's state even after the commit (a read in a streaming body).

        Before the commit the first `next_command` loads anyway; after it, only a
        requested load does, so running a driver on a finished exchange is harmless.
        """
        self._load_requested = True

    def receive(self, result: Any) -> None:
        """Feed the result of the command `next_command` returned last."""
        if self._phase is _LOADING:
            self._phase = self._after_load
            self._install(result)
        elif self._phase is _COMMITTING:
            self._result = result
        else:
            raise RuntimeError(f"no command is waiting for a result (phase {self._phase.value})")

    def fail(self, command: Command, error: BaseException) -> SessionStoreError:
        """Report that the store raised ``error`` running ``command``.

        Logs one error on the ``coatcheck`` logger, moves the exchange to its failed state
        (no cookie will be set) and returns the `SessionStoreError` for the caller to
        raise.
        """
        self._phase = _FAILED
        self.set_cookie = None
        if isinstance(error, SessionStoreError):
            failure = error
        else:
            failure = SessionStoreError(
                f"session store failed during {type(command).__name__}: {error!r}"
            )
            failure.__cause__ = error
        logger.error(
            "session store failed during %s: %s",
            type(command).__name__,
            error,
            exc_info=(type(error), error, error.__traceback__),
        )
        self._break_loader(failure)
        return failure

    def finish(self) -> bool:
        """The response is starting: freeze the session and decide what to write.

        Returns True if there are store commands to run (run the driver, then read
        `set_cookie` and `vary`); False when the answer is already known, which is the
        case for every request that leaves the session as it was.
        """
        phase = self._phase
        if phase is _COMMITTING:
            return True
        if phase is _DONE or phase is _FAILED:
            return False
        if phase is _LOADING:
            raise RuntimeError("finish() while a Load is in flight")
        self._committed = True
        if not self._loaded:
            if self._manager.extends_untouched and self._may_extend_untouched():
                return self._start_commit(self._commit_untouched())
            return self._end()
        session = self.session
        if (
            self._incoming is _LIVE
            and self._clean()
            and self._manager.plan(self._permanent_loaded).policy is not _EVERY_REQUEST
            and not self._rotated
        ):
            # The common read: a live session left as it was, nothing to write or send.
            return self._end()
        try:
            status, changed, removed = self._outcome()
        except BaseException:
            self._phase = _FAILED
            raise
        empty = not dict.__len__(session)
        permanent = (
            self._manager.default_permanent if session._permanent is None else session._permanent
        )
        plan = self._manager.plan(permanent)
        incoming = self._incoming
        assert incoming is not None
        decision = decide(incoming, status, empty, plan.policy)
        cookie = decision.cookie
        if not decision.steps and (
            cookie is _COOKIE_NOTHING or (cookie is _COOKIE_SET_IF_ROTATED and not self._rotated)
        ):
            return self._end()
        return self._start_commit(self._commit_loaded(decision, plan, changed, removed))

    def _start_commit(self, commit: _Commit) -> bool:
        self._commit = commit
        self._result = None
        self._phase = _COMMITTING
        return True

    def _end(self) -> bool:
        self._phase = _DONE
        self.vary = self.session._accessed or self.set_cookie is not None
        return False

    @property
    def _rotated(self) -> bool:
        envelope = self._envelope
        return envelope is not None and envelope.key_index > 0

    @property
    def done(self) -> bool:
        """True once the commit is complete (or failed): no more commands will come."""
        return self._phase in (_DONE, _FAILED)

    @property
    def failed(self) -> bool:
        """True if the store failed or the commit raised; no cookie is set then."""
        return self._phase is _FAILED

    # -- loading -------------------------------------------------------------------------

    def _decode(self) -> Envelope | None:
        if self._incoming is not None:
            return self._envelope
        manager = self._manager
        source = self._cookie_source
        header = source() if callable(source) else source
        envelope = None
        if header:
            values = cookie_values(header, manager.config.cookie_name)
            for value in values[:MAX_COOKIE_CANDIDATES]:
                envelope = manager.codec.decode(value)
                if envelope is not None:
                    break
            else:
                if values:
                    logger.debug(
                        "ignoring %d invalid %r cookie(s)", len(values), manager.config.cookie_name
                    )
        self._envelope = envelope
        if envelope is None:
            self._incoming = _NO_COOKIE
        elif self._past_absolute_lifetime(envelope.created_at):
            self._incoming = _STALE_ABSOLUTE
        else:
            # Live or stale: the store decides.
            self._incoming = _LIVE
        return envelope

    def _past_absolute_lifetime(self, created_at: float) -> bool:
        lifetime = self._manager.absolute_lifetime
        return lifetime is not None and self.now >= created_at + lifetime

    def _start_load(self) -> Load | None:
        envelope = self._decode()
        if self._phase is _START:
            self._phase = _READY
        if envelope is None or self._incoming is not _LIVE:
            self._install(None)
            return None
        # Usually READY; DONE for a first read after an untouched commit.
        self._after_load = self._phase
        self._phase = _LOADING
        # tuple.__new__ skips the NamedTuple's Python-level constructor (hot path).
        return _new_tuple(Load, (envelope.session_key, self.now))

    def _install(self, stored: StoredState | None) -> None:
        """Fill the session from a `Load` result (``None`` or garbage: stale)."""
        session = self.session
        envelope = self._envelope
        if stored is not None and envelope is not None:
            texts = stored.state
            try:
                values = self._manager.loads_many(texts)
            except Exception as exc:
                logger.debug("treating an unreadable stored session as stale: %r", exc)
                stored = None
            else:
                self._loaded_text = texts
                self._loaded_values = values
                self._created_at = envelope.created_at
                self._expires_at = stored.expires_at
                if envelope.permanent is not None:
                    session._permanent = envelope.permanent
                dict.update(session, values)
        if stored is None and self._incoming is _LIVE:
            self._incoming = _STALE
        permanent = session._permanent
        self._permanent_loaded = self._manager.default_permanent if permanent is None else permanent
        self._loaded = True

    def _break_loader(self, failure: SessionError) -> None:
        def broken() -> None:
            raise failure

        if not self._loaded:
            self._inline_store = None
            self._custom_loader = broken

    # -- deciding by value --------------------------------------------------------------

    def _changes(self) -> tuple[dict[str, str], frozenset[str]]:
        """Keys whose serialized value differs from the loaded one, and keys removed."""
        session = self.session
        dumps = self._manager.config.serializer.dumps
        loaded_text = self._loaded_text
        loaded_values = self._loaded_values
        handed_out = session._handed_out or ()
        all_handed_out = session._all_handed_out
        changed: dict[str, str] = {}
        for key, value in dict.items(session):
            if (
                key in loaded_values
                and loaded_values[key] is value
                and (type(value) in IMMUTABLE_TYPES or not (all_handed_out or key in handed_out))
            ):
                # The very object loaded, and either immutable or never handed out: the
                # loaded text still describes it.
                continue
            if not isinstance(key, str):
                raise SessionSerializationError(key, "session keys must be strings")
            try:
                text = dumps(value)
            except Exception as exc:
                raise SessionSerializationError(key, exc) from exc
            if loaded_text.get(key) != text:
                changed[key] = text
        if not session._modified:
            # Removing a key takes a mutating call; without one, only in-place changes count.
            return changed, frozenset()
        removed = frozenset(key for key in loaded_text if not dict.__contains__(session, key))
        return changed, removed

    def _clean(self) -> bool:
        """True if nothing can have changed: no mutating call, no in-place change.

        Cheaper than `_outcome`: values of immutable types are skipped without
        serializing, and only a value of another type is compared by its text.
        """
        session = self.session
        if session._modified or session._forced or session._purged or session._renewed:
            return False
        if session._permanent is not None and session._permanent != self._permanent_loaded:
            return False
        if session._all_handed_out or session._handed_out:
            return not self._changes()[0]
        return True

    def _outcome(self) -> tuple[SessionStatus, dict[str, str], frozenset[str]]:
        """The status so far, and the keys changed and removed since loading."""
        session = self.session
        changed: dict[str, str] = {}
        removed: frozenset[str] = frozenset()
        if session._accessed and self._loaded:
            changed, removed = self._changes()
        if session._purged:
            status = _RENEWED if dict.__len__(session) else _PURGED
        elif session._renewed:
            status = _RENEWED
        elif changed or removed or session._forced or self._permanent_changed():
            status = _CHANGED
        else:
            status = _UNCHANGED
        return status, changed, removed

    def _permanent_changed(self) -> bool:
        permanent = self.session._permanent
        return permanent is not None and permanent != self._permanent_loaded

    # -- committing ----------------------------------------------------------------------

    def _next_commit_command(self) -> Command | None:
        commit = self._commit
        assert commit is not None
        try:
            command = commit.send(self._result)
        except StopIteration:
            self._end()
            return None
        except BaseException as exc:
            self._phase = _FAILED
            self.set_cookie = None
            if isinstance(exc, SessionStoreError):
                logger.error("session store failed: %s", exc)
            raise
        self._result = None
        return command

    def _may_extend_untouched(self) -> bool:
        """Whether an untouched request's cookie may name a session to extend.

        Judged from the cookie's visible header, without decrypting: a session whose
        persistence picks a plan that does not extend untouched requests costs nothing.
        """
        source = self._cookie_source
        header = source() if callable(source) else source
        if not header:
            return False
        values = cookie_values(header, self._manager.config.cookie_name)
        if len(values) != 1:
            return bool(values)  # several candidates: decoding tells which is ours
        claimed = peek_permanent(values[0])
        if isinstance(claimed, _NotOurs):
            return False
        manager = self._manager
        permanent = manager.default_permanent if claimed is None else claimed
        return manager.plan(permanent).policy is _EVERY_REQUEST

    def _commit_untouched(self) -> _Commit:
        """An untouched session under a policy that extends every request's TTL."""
        envelope = self._decode()
        if envelope is None:
            return
        if self._incoming is _STALE_ABSOLUTE:
            yield Delete(envelope.session_key)
            self.set_cookie = self._manager.formatter.removal
            return
        permanent = (
            self._manager.default_permanent if envelope.permanent is None else envelope.permanent
        )
        plan = self._manager.plan(permanent)
        if plan.policy is not _EVERY_REQUEST:
            return
        ttl = self._capped(plan.ttl, envelope.created_at)
        result = yield UpdateTtl(envelope.session_key, ttl, self.now)
        if result is None:
            self.set_cookie = self._manager.formatter.removal
        elif plan.max_age is not None or result != envelope.session_key or envelope.key_index:
            self._set(result, envelope.created_at, envelope.permanent, plan.max_age, ttl, {})

    def _commit_loaded(
        self,
        decision: Decision,
        plan: TtlPlan,
        changed: dict[str, str],
        removed: frozenset[str],
    ) -> _Commit:
        session = self.session
        manager = self._manager
        envelope = self._envelope
        incoming = self._incoming
        empty = not dict.__len__(session)

        # A session that starts over (new, stale or purged) starts its lifetime now.
        if envelope is None or incoming is not _LIVE or session._purged:
            created_at = self.now
        else:
            created_at = envelope.created_at
        ttl = self._capped(plan.ttl, created_at)
        state: dict[str, str] = {}
        if not empty:
            loaded_text = self._loaded_text
            state = {
                key: changed[key] if key in changed else loaded_text[key]
                for key in dict.keys(session)
            }
        old_key = envelope.session_key if envelope is not None else ""
        session_key: str | None = old_key
        for step in decision.steps:
            if step is _STEP_SAVE:
                session_key = yield from self._save(state, ttl)
            elif step is _STEP_UPDATE:
                # tuple.__new__ skips the NamedTuples' Python-level constructors (hot path).
                delta = _new_tuple(Delta, (changed, removed))
                session_key = yield _new_tuple(Update, (old_key, state, delta, ttl, self.now))
                if session_key is None:
                    # The session expired or was deleted meanwhile: keep the state anyway.
                    session_key = yield from self._save(state, ttl)
            elif step is _STEP_UPDATE_TTL:
                session_key = yield UpdateTtl(old_key, ttl, self.now)
            else:
                yield Delete(old_key)
        if session_key is not None and decision.steps and decision.steps[0] is not _STEP_DELETE:
            self._expires_at = self.now + ttl

        rotated = self._rotated
        cookie = decision.cookie
        if cookie is _COOKIE_REMOVE or session_key is None:
            self.set_cookie = manager.formatter.removal
        elif cookie is _COOKIE_SET or (
            cookie is _COOKIE_SET_IF_MOVED
            and (plan.max_age is not None or session_key != old_key or rotated)
        ):
            self._set(session_key, created_at, session._permanent, plan.max_age, ttl, state)
        elif cookie is _COOKIE_SET_IF_ROTATED and rotated:
            max_age = plan.max_age
            if max_age is not None and self._expires_at is not None:
                # The cookie follows the stored expiry, rounded up: rounded down (here or
                # by the absolute-lifetime cap) it would die before its session, and with
                # under a second left, Max-Age=0 would delete a live session's cookie.
                max_age = ttl = max(0, math.ceil(self._expires_at - self.now))
            self._set(session_key, created_at, session._permanent, max_age, ttl, state)

    def _save(self, state: Mapping[str, str], ttl: int) -> Generator[Command, Any, str]:
        for _ in range(SAVE_ATTEMPTS):
            result = yield Save(self._manager.new_session_key(), state, ttl, self.now)
            if result is not None:
                return str(result)
        raise SessionStoreError(
            f"the store reported {SAVE_ATTEMPTS} freshly drawn session keys as taken; "
            "is its save() returning None for free keys?"
        )

    def _capped(self, ttl: int, created_at: float) -> int:
        """``ttl``, shortened so the session never outlives its absolute lifetime."""
        lifetime = self._manager.absolute_lifetime
        if lifetime is None:
            return ttl
        remaining = int(created_at + lifetime - self.now)
        return max(0, min(ttl, remaining))

    def _set(
        self,
        session_key: str,
        created_at: float,
        permanent: bool | None,
        max_age: int | None,
        ttl: int,
        state: Mapping[str, str],
    ) -> None:
        manager = self._manager
        if max_age is not None:
            max_age = min(max_age, ttl)
        value = manager.codec.encode(session_key, created_at, permanent)
        header = manager.formatter.set(value, max_age, self.now)
        size = len(manager.config.cookie_name) + 1 + len(value)
        if size > COOKIE_SIZE_LIMIT:
            biggest = sorted(state, key=lambda key: len(state[key]), reverse=True)[:3]
            raise SessionTooLarge(size, COOKIE_SIZE_LIMIT, biggest)
        self.set_cookie = header
