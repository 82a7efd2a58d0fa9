"""`Exchange`: one request's conversation between the application, the cookie and the store.

Theory of operation
-------------------
An exchange is created by `SessionManager.begin` with the request's ``Cookie`` header and
one clock reading. It hands out store commands one at a time (`next_command`) and is fed
each command's result (`receive`); a driver (`run_commands`, `run_commands_async`) is the
loop that does this against a store. Its phases move only as `TRANSITIONS` says, in one
method (`_move`); anything else is an `ExchangeMisuseError`, after which the exchange is
FAILED for good (as in h11)::

    START ──LOAD──► LOADING ──LOADED──► READY ──COMMIT──► COMMITTING ──END──► DONE
      │                                   │                                   │  ▲
      ├──────LOADED (nothing to load)─────┘                              LOAD│  │LOADED
      ├──COMMIT (untouched, TTL moves)──► COMMITTING                          ▼  │
      └──END (untouched) ──────────────────────────────────────► DONE   LATE_LOADING
    any phase with a command out, or committing ──FAIL──► FAILED

- START: nothing decoded. The first `next_command` (an eager load, or the session's
  first use) decodes the cookie: no genuine cookie, or one past the absolute lifetime,
  means an empty session and no command (LOADED); otherwise a `Load` (LOAD). With the
  state in the cookie (`CookieStore`) there is never a command: decoding is loading.
- READY: the application uses `session`. The exchange keeps the state as loaded, to
  decide at the end, by value, what changed (`_changes`).
- `finish()` (the response is starting) freezes the session: a later change raises
  `SessionCommittedError`. The rules of `_decision` say what to write; it returns False
  when that needs no store (the common read), else the commit hands out the commands.
  Either way the adapter then reads `set_cookie` and `vary`.
- A session never loaded by then was never touched: it costs nothing, unless the TTL
  policy extends every request's session, which the cookie's visible header tells
  without decrypting it. A read after that (a streaming body) still loads: LATE_LOADING.
- A store failure is reported with `fail`, which logs it once and returns the
  `SessionStoreError` to raise; the exchange is then FAILED and sets no cookie.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Generator, Mapping
from types import MappingProxyType
from typing import Any

from ._accounts import USER_AGENT_LIMIT, SessionMeta
from ._changes import biggest_keys, flags_clean, key_changes, state_text, texts_of
from ._commands import Cap, Command, Delete, Load, Renew, Save, Update, UpdateTtl
from ._cookie_codec import COOKIE_SIZE_LIMIT, NOT_OURS, Envelope, peek_permanent
from ._cookie_header import cookie_values
from ._cookie_store import pack_record, unpack_record
from ._decision import (
    ABSENT,
    DELETE,
    LIVE,
    RENEW,
    SAVE,
    STALE,
    UPDATE,
    UPDATE_TTL,
    CookieOutcome,
    Decision,
    Incoming,
    SessionStatus,
    TtlPlan,
    classify,
    cookie_outcome,
    decide,
    decide_untouched,
    extension_due,
    keeps_old_key,
    lifetime,
    may_extend_untouched,
    nothing_to_do,
    persists,
    reissue_max_age,
    starts_over,
    status_of,
)
from ._driver import run_one
from ._errors import (
    ExchangeMisuseError,
    SessionError,
    SessionNotLoadedError,
    SessionStoreError,
    SessionTooLarge,
)
from ._finished import FinishedOwner
from ._forwarding import open_forward, seal_forward
from ._identity import family_of, session_id, subject_family, subject_of
from ._session import Session, hand_over
from ._settings import Settings
from ._store import Delta, Forwarded, SessionStore, StoredState

__all__ = ["TRANSITIONS", "CookieSource", "Event", "Exchange", "Phase"]

logger = logging.getLogger("coatcheck")
security_logger = logging.getLogger("coatcheck.security")

CookieSource = str | Callable[[], str | None] | None
"""A ``Cookie`` header value, ``None``, or a callable returning one of those."""
HeaderSource = str | Callable[[], str | None] | None
"""A request header's value, ``None``, or a callable returning one (``User-Agent``)."""

MAX_COOKIE_CANDIDATES = 4
"""Same-named cookies tried before giving up (see `_cookie_header` rule 5)."""
SAVE_ATTEMPTS = 4
"""A save with a fresh key, then at most three retries if the key turns out taken."""

_Commit = Generator[Command, Any, None]
_EMPTY: Mapping[Any, Any] = MappingProxyType({})


class Phase(str, enum.Enum):
    """Where an exchange is in its request (see the module documentation)."""

    START = "start"
    LOADING = "loading"
    READY = "ready"
    COMMITTING = "committing"
    DONE = "done"
    LATE_LOADING = "late_loading"
    """A first read after an untouched commit (a streaming body) is loading."""
    FAILED = "failed"


class Event(str, enum.Enum):
    """What moves an exchange from one phase to the next."""

    LOAD = "load"
    """A `Load` command went out."""
    LOADED = "loaded"
    """The state is in the session: the `Load` answered, or there was nothing to load."""
    COMMIT = "commit"
    """`finish` found store commands to run."""
    END = "end"
    """Nothing (more) to run: the response's cookie is known."""
    FAIL = "fail"
    """The store failed, or the commit raised."""


START, LOADING, READY, COMMITTING, DONE, LATE_LOADING, FAILED = Phase
LOAD, LOADED, COMMIT, END, FAIL = Event

_TABLE: dict[tuple[Phase, Event], Phase] = {
    (START, LOAD): LOADING,
    (START, LOADED): READY,
    (START, COMMIT): COMMITTING,
    (START, END): DONE,
    (START, FAIL): FAILED,
    (LOADING, LOADED): READY,
    (LOADING, FAIL): FAILED,
    (READY, COMMIT): COMMITTING,
    (READY, END): DONE,
    (READY, FAIL): FAILED,
    (COMMITTING, END): DONE,
    (COMMITTING, FAIL): FAILED,
    (DONE, LOAD): LATE_LOADING,
    (DONE, LOADED): DONE,
    (LATE_LOADING, LOADED): DONE,
    (LATE_LOADING, FAIL): FAILED,
    (FAILED, FAIL): FAILED,
}
TRANSITIONS: Mapping[tuple[Phase, Event], Phase] = MappingProxyType(_TABLE)
"""Every legal ``(phase, event) -> phase``; any other pair is a misuse."""

# The same table by phase, for the one lookup every request makes a few times (str-valued
# enums hash as fast as their strings; a tuple key would be built and hashed each time).
_NEXT: dict[Phase, dict[Event, Phase]] = {phase: {} for phase in Phase}
for (_phase, _event), _target in _TABLE.items():
    _NEXT[_phase][_event] = _target

_COMMITTED = frozenset({COMMITTING, DONE, LATE_LOADING})


class Exchange:
    """One request's session exchange. Create it with `SessionManager.begin`.

    ``session`` is the request's `Session`. After `finish` and the commit commands,
    ``set_cookie`` holds the ``Set-Cookie`` header value to send (or ``None``) and
    ``vary`` tells whether to add ``Cookie`` to the ``Vary`` header. The public
    attributes from ``loaded`` to ``expires_at`` are the session's records
    (`SessionOwner`): read them, leave writing them to the session.
    """

    __slots__ = (
        "_authenticated_loaded",
        "_cacheable",
        "_commit",
        "_cookie_source",
        "_decided",
        "_envelope",
        "_extended_loaded",
        "_forward_authenticated",
        "_forward_permanent",
        "_forwarded",
        "_incoming",
        "_inline_store",
        "_invalid",
        "_load_wanted",
        "_loaded_subject",
        "_loaded_text",
        "_loaded_texts",
        "_loaded_values",
        "_loader",
        "_misfiled",
        "_permanent_loaded",
        "_phase",
        "_record",
        "_result",
        "_session_key",
        "_settings",
        "_user_agent",
        "accessed",
        "all_handed_out",
        "authenticated_now",
        "created_at",
        "expires_at",
        "forced",
        "handed_out",
        "load_on_mark",
        "loaded",
        "modified",
        "now",
        "permanent",
        "purged",
        "renewed",
        "session",
        "set_cookie",
    )

    # Set only when needed (by `_decode`, `_install` or the commit), never read before.
    _envelope: Envelope | None
    _forwarded: bool
    _invalid: bool
    _user_agent: HeaderSource
    _session_key: str
    _record: tuple[float, str] | None
    _commit: _Commit
    _result: Any
    _decided: SessionStatus | None
    _loaded_texts: Mapping[str, str]
    _loaded_text: str
    _loaded_values: Mapping[str, Any]
    _permanent_loaded: bool
    _loaded_subject: str | None
    _authenticated_loaded: float | None
    _extended_loaded: float | None
    _forward_authenticated: float | None
    _forward_permanent: bool | None
    _misfiled: bool
    forced: bool
    purged: bool
    renewed: bool
    authenticated_now: bool
    all_handed_out: bool
    permanent: bool | None
    handed_out: set[str] | None
    created_at: float | None
    expires_at: float | None

    def __init__(
        self,
        settings: Settings,
        cookie_source: CookieSource,
        now: float,
        inline_store: SessionStore | None = None,
        user_agent: HeaderSource = None,
    ) -> None:
        self._settings = settings
        self._cookie_source = cookie_source
        if user_agent is not None:
            self._user_agent = user_agent
        self.now = now
        """The request's one clock reading (seconds since the epoch)."""
        self._phase = START
        self._incoming: Incoming | None = None
        self.set_cookie: str | None = None
        """The ``Set-Cookie`` value the response carries, once known (else ``None``)."""
        self._cacheable = True
        # How the session loads on first use (see `load_inline` and `set_loader`).
        self._inline_store = inline_store
        self._loader: Callable[[], None] | None = None
        self.load_on_mark = inline_store is not None or settings.state_in_cookie
        self.loaded = self.accessed = self.modified = self._load_wanted = False
        self.session: Session = settings.new_session(self)
        """The request's session."""
        # What only a decoded cookie needs is set when it is decoded (`_decode`) and what
        # only a loaded session needs when it loads (`_install`), so that a request that
        # never touches its session pays for none of it.

    # -- the phase table -----------------------------------------------------------------

    def _move(self, event: Event) -> None:
        """The one writer of the phase: follow `TRANSITIONS`, or fail for good."""
        try:
            phase = self._phase = _NEXT[self._phase][event]
        except KeyError:
            raise self._misuse(f"take {event.value!r}") from None
        if phase is DONE and self.loaded:
            self._let_go()

    def _let_go(self) -> None:
        """Done, and loaded (it can never load again): the session records on its final
        records from now on, so the two no longer reference each other (`_finished`)."""
        settings = self._settings
        decided = self._decided
        hand_over(
            self.session,
            FinishedOwner(
                status=self.status() if decided is None else decided,
                session_key=self._session_key if self._has_id() else None,
                authentication_time=(
                    None if settings.subject_key is None else self.authentication_time()
                ),
                now=self.now,
                subject_key=settings.subject_key,
                default_permanent=settings.default_permanent,
                accessed=self.accessed,
                modified=self.modified,
                forced=self.forced,
                purged=self.purged,
                renewed=self.renewed,
                authenticated_now=settings.subject_key is not None and self.authenticated_now,
                permanent=self.permanent,
                handed_out=self.handed_out,
                all_handed_out=self.all_handed_out,
                created_at=self.created_at,
                expires_at=self.expires_at,
            ),
        )

    def _misuse(self, attempt: str) -> ExchangeMisuseError:
        """Fail for good (the caller is at fault) and return the error to raise."""
        phase = self._phase
        self._phase = FAILED
        self.set_cookie = None
        return ExchangeMisuseError(
            f"an exchange in phase {phase.value!r} cannot {attempt}: "
            f"{_HINTS.get(phase, 'see coatcheck.sansio for the order of the calls')}"
        )

    @property
    def phase(self) -> Phase:
        """Where the exchange is (see `TRANSITIONS`)."""
        return self._phase

    @property
    def committed(self) -> bool:
        """The response headers went out: the session is frozen."""
        phase = self._phase
        return phase in _COMMITTED or (phase is FAILED and self.loaded)

    @property
    def default_permanent(self) -> bool:
        """`Session.permanent` of a session that never set it."""
        return self._settings.default_permanent

    @property
    def cookie_name(self) -> str:
        """The session cookie's name (the one `session_headers` must not duplicate)."""
        return self._settings.cookie_name

    @property
    def vary(self) -> bool:
        """Whether the response must vary on ``Cookie`` (it read or set the cookie)."""
        return self._cacheable and (self.accessed or self.set_cookie is not None)

    @property
    def done(self) -> bool:
        """True once the commit is complete (or failed): no more commands will come."""
        return self._phase is DONE or self._phase is FAILED

    @property
    def failed(self) -> bool:
        """True if the store failed or the commit raised; no cookie is set then."""
        return self._phase is FAILED

    @property
    def incoming(self) -> str | None:
        """How the request's cookie was classified, once it was decoded (else ``None``):
        ``"absent"`` (none sent), ``"invalid"`` (sent, but none genuine: tampered,
        foreign, expired format), ``"stale_absolute"`` (past the absolute lifetime),
        ``"stale"`` (the store had nothing for it) or ``"live"``; ``"forwarded"`` when
        the store answered with the session an old key was renewed into. For logs,
        metrics and teaching; decisions never read it."""
        incoming = self._incoming
        if incoming is None:
            return None
        if incoming is ABSENT and self._invalid:
            return "invalid"
        if incoming is LIVE and self._forwarded:
            return "forwarded"
        return incoming.value

    # -- accounts (read by the session) --------------------------------------------------

    @property
    def subject_key(self) -> str | None:
        """The session key holding the subject (``SessionConfig.subject_key``)."""
        return self._settings.subject_key

    def subject(self) -> str | None:
        """The subject the session holds now (a `TypeError` if its value is not one)."""
        key = self._settings.subject_key
        if key is None:
            return None
        return subject_of(dict.get(self.session, key), key)

    def authentication_time(self) -> float | None:
        """When the current subject was set or last confirmed: now, if that happened in
        this request (a subject set after a purge is a new login); else as the cookie
        (or the renewal that forwarded it) said."""
        subject = self.subject()
        if subject is None:
            return None
        if self.authenticated_now or self.purged or subject != self._loaded_subject:
            return self.now
        return self._authenticated_loaded

    def current_id(self) -> str | None:
        """The public id of the session's key as of now (`session_id`), if it has one."""
        return session_id(self._session_key) if self._has_id() else None

    def _has_id(self) -> bool:
        """Whether the session has a public id: a server-side session, saved."""
        return not self._settings.state_in_cookie and self.created_at is not None

    def _user_agent_text(self) -> str | None:
        source = getattr(self, "_user_agent", None)  # set only when given
        value = source() if callable(source) else source
        return None if value is None else value[:USER_AGENT_LIMIT]

    # -- the adapter's verbs -------------------------------------------------------------

    def load_inline(self, store: SessionStore) -> None:
        """Load from ``store`` inline, on the session's first use.

        Also when the session is merely marked accessed (``request.session`` in Starlette,
        ``flask.session``), so that C-level readers such as ``json.dumps`` see the loaded
        state. For stores that do no I/O in any adapter, and for every sync store under
        WSGI, where the request's thread may block.
        """
        self._inline_store = store
        self.load_on_mark = True

    def set_loader(self, loader: Callable[[], None], *, on_mark: bool) -> None:
        """Run ``loader`` on the session's first use (it must load it, or raise).

        With ``on_mark`` the loader also runs when the session is merely marked accessed;
        use that for loaders that can run inline. A lazy adapter installs a loader that
        raises `SessionNotLoadedError` saying how to load.
        """
        self._loader = loader
        self.load_on_mark = on_mark

    def request_load(self) -> None:
        """Ask for the session's state even after the commit (a read in a streaming body).

        Before the commit the first `next_command` loads anyway; after it, only a
        requested load does, so running a driver on a finished exchange is harmless.
        """
        self._load_wanted = True

    def next_command(self) -> Command | None:
        """The next store command to run, or ``None`` when there is nothing to do now."""
        phase = self._phase
        if phase is COMMITTING:
            return self._next_commit_command()
        if phase is START or (phase is DONE and self._load_wanted and not self.loaded):
            return self._start_load()
        if phase is LOADING or phase is LATE_LOADING:
            raise self._misuse("hand out another command")
        return None

    def receive(self, result: Any) -> None:
        """Feed the result of the command `next_command` returned last."""
        phase = self._phase
        if phase is COMMITTING:
            self._result = result
        elif phase is LOADING or phase is LATE_LOADING:
            self._install(result)
        else:
            raise self._misuse("receive a result")

    def fail(self, command: Command, error: BaseException) -> SessionStoreError:
        """Report that the store raised ``error`` running ``command``.

        Logs one error on the ``coatcheck`` logger, moves the exchange to its failed state
        (no cookie will be set) and returns the `SessionStoreError` for the caller to
        raise.
        """
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
        self._break(failure)
        return failure

    def finish(self, status_code: int | None = None, *, cacheable: bool = True) -> bool:
        """The response is starting: freeze the session and decide what to write.

        ``status_code`` is the response's HTTP status, when known. ``cacheable`` is False
        for a response no HTTP cache stores (a websocket handshake): it never varies on
        ``Cookie``. Returns True if there are store commands to run (run the driver, then
        read `set_cookie` and `vary`); False when the answer is already known, which is the
        case for every request that leaves the session as it was. Calling it again
        answers the same.
        """
        phase = self._phase
        self._cacheable = cacheable
        if phase is START and not self._settings.extends_untouched:
            self._move(END)  # never touched, and nothing moves by itself: no cost at all
            return False
        if phase is COMMITTING:
            return True
        if phase is DONE or phase is FAILED or phase is LATE_LOADING:
            return False
        if phase is LOADING:
            raise self._misuse("finish while a Load is out")
        if not persists(status_code):
            # A server error: the session stays as it was before the request.
            self._move(END)
            return False
        try:
            commit = self._finish_untouched() if not self.loaded else self._finish_loaded()
        except BaseException:
            self._break(None)
            raise
        if commit is None:
            self._move(END)
            return False
        self._commit = commit
        self._result = None
        self._move(COMMIT)
        return True

    def abandon(self) -> None:
        """The request ends without a response that could carry a cookie (a websocket
        refused before its handshake): nothing is committed, nothing is sent."""
        if self._phase is START or self._phase is READY:
            self._move(END)

    # -- loading -------------------------------------------------------------------------

    def load_now(self) -> None:
        """Load the session now: the session calls this on its first use.

        An installed loader (`set_loader`) runs; else the state in the cookie unseals,
        or the inline store is read; else `SessionNotLoadedError` says how to load.
        """
        loader = self._loader
        if loader is not None:
            loader()
            return
        store = self._inline_store
        if not self._settings.state_in_cookie and store is None:
            raise SessionNotLoadedError(
                "the session was used before it was loaded: run the exchange's commands "
                "(run_commands / run_commands_async) before the application, or install a "
                "loader (Exchange.load_inline, Exchange.set_loader)"
            )
        self._load_wanted = True
        command = self.next_command()
        if command is not None:
            assert store is not None
            run_one(self, store, command)

    def _decode(self) -> Envelope | None:
        """Decode the cookie once, and classify it (before the store is asked)."""
        if self._incoming is not None:
            return self._envelope
        settings = self._settings
        source = self._cookie_source
        header = source() if callable(source) else source
        envelope = None
        self._forwarded = self._invalid = False
        if header:
            values = cookie_values(header, settings.cookie_name)
            for value in values[:MAX_COOKIE_CANDIDATES]:
                envelope = settings.codec.decode(value)
                if envelope is not None and self._read_payload(envelope.payload):
                    break
                envelope = None
            else:
                if values:
                    self._invalid = True
                    logger.debug(
                        "ignoring %d invalid %r cookie(s)", len(values), settings.cookie_name
                    )
        self._envelope = envelope
        if envelope is None:
            self._incoming = ABSENT
        else:
            self._incoming = classify(envelope.created_at, self.now, settings.absolute_lifetime)
        return envelope

    def _read_payload(self, payload: bytes) -> bool:
        """Take in what a genuine cookie carries: a session key, or the sealed state.
        False when it is neither (an old format, say): the cookie is then invalid."""
        if self._settings.state_in_cookie:
            self._record = unpack_record(payload)
            return self._record is not None
        try:
            self._session_key = payload.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return False
        return True

    def _start_load(self) -> Load | None:
        self._load_wanted = False
        envelope = self._decode()
        if envelope is None or self._incoming is not LIVE:
            self._install(None)
            return None
        if self._settings.state_in_cookie:
            self._install(self._record)
            return None
        self._move(LOAD)
        return Load(self._session_key, self.now)

    def _install(self, loaded: StoredState | tuple[float, str] | None) -> None:
        """Fill the session from what was loaded (``None``, or garbage: stale)."""
        if type(loaded) is StoredState and loaded.forward and not self._follow(loaded.forward):
            loaded = None
        # The state as loaded, to decide by value what changed: per-key texts for a
        # server-side store, the whole text for the state in the cookie.
        self._loaded_texts = _EMPTY
        self._loaded_text = "{}"
        self._loaded_values = _EMPTY
        self._permanent_loaded = self._settings.default_permanent
        self._decided = None
        # The rest of the session's records (SessionOwner); it writes them only once loaded.
        self.forced = self.purged = self.renewed = self.all_handed_out = False
        self.permanent = None
        self.handed_out = None
        self.created_at = None
        self.expires_at = None
        self._extended_loaded = None
        subject_key = self._settings.subject_key
        if subject_key is not None:
            # What only accounts read (`authentication_time`, `_subject_change`).
            self.authenticated_now = self._misfiled = False
            self._loaded_subject = self._authenticated_loaded = None
        envelope = self._envelope
        if loaded is not None and envelope is not None:
            try:
                values = self._parse(loaded)
                if subject_key is not None:
                    self._load_subject(values.get(subject_key), subject_key, envelope)
            except Exception as exc:
                # The type only: a serializer's message may quote the stored data.
                logger.debug(
                    "treating an unreadable stored session as stale (%s)", type(exc).__name__
                )
            else:
                self.created_at = envelope.created_at
                self._extended_loaded = envelope.extended_at
                permanent = self._forward_permanent if self._forwarded else envelope.permanent
                if permanent is not None:
                    self.permanent = self._permanent_loaded = permanent
                dict.update(self.session, values)
        if self.created_at is None and self._incoming is LIVE:
            self._incoming = STALE
            security_logger.warning(
                "a stale session cookie was presented (the session expired, was revoked or "
                "logged out, or was renewed longer ago than its grace window)"
            )
        self.loaded = True
        self._move(LOADED)

    def _follow(self, chain: tuple[str, ...]) -> bool:
        """Take the key the store forwarded to, opening each sealed pointer in turn
        (false if one does not open: the store's answer is then no session)."""
        key = self._session_key
        successor = None
        for forward in chain:
            successor = open_forward(key, forward)
            if successor is None:
                logger.debug("ignoring a forwarding record that does not open")
                return False
            key = successor.key
        if successor is None:
            return True  # no hop: the session is where the cookie says
        self._session_key = key
        self._forwarded = True
        authenticated_at = self._forward_authenticated = successor.authenticated_at
        # The successor's cookie is as persistent as the renewal made it, whatever the
        # old cookie this request came with says.
        self._forward_permanent = successor.permanent
        if self.loaded and self._settings.subject_key is not None:
            # The successor's authentication time (a renewal may have confirmed it).
            self._authenticated_loaded = authenticated_at
        return True

    def _load_subject(self, value: Any, subject_key: str, envelope: Envelope) -> None:
        subject = self._loaded_subject = subject_of(value, subject_key)
        if subject is None:
            return
        self._authenticated_loaded = (
            self._forward_authenticated if self._forwarded else envelope.authenticated_at
        )
        # A session of a subject lives in that subject's family; one that does not (a
        # key from before subjects were configured) moves into it at its next write.
        settings = self._settings
        if settings.indexes and family_of(self._session_key) != subject_family(subject):
            self._misfiled = True

    def _parse(self, loaded: StoredState | tuple[float, str]) -> dict[str, Any]:
        settings = self._settings
        if isinstance(loaded, StoredState):
            texts = loaded.state
            values = settings.loads_many(texts)
            self._loaded_texts = texts
            self.expires_at = loaded.expires_at
        else:
            expires_at, text = loaded
            if self.now >= expires_at:
                raise ValueError("the sealed state has expired")
            values = settings.loads(text)
            if type(values) is not dict:
                raise ValueError("the sealed state is not a mapping")
            self._loaded_text = text
            self.expires_at = expires_at
        self._loaded_values = values
        return values

    def _break(self, failure: SessionError | None) -> None:
        """Fail for good; a session not loaded yet raises ``failure`` when used."""
        if self._phase is not FAILED:
            self._move(FAIL)
        self.set_cookie = None
        if failure is not None and not self.loaded:

            def broken() -> None:
                raise failure

            self._inline_store = None
            self._loader = broken
            self.load_on_mark = True

    # -- deciding ------------------------------------------------------------------------

    def _plan(self, permanent: bool | None) -> TtlPlan:
        settings = self._settings
        return settings.plans[settings.default_permanent if permanent is None else permanent]

    def _finish_untouched(self) -> _Commit | None:
        """A session never loaded: nothing to do, unless its TTL moves on every request."""
        settings = self._settings
        if not settings.extends_untouched or not self._may_extend():
            return None
        envelope = self._decode()
        if envelope is None:
            return None
        plan = self._plan(envelope.permanent)
        extend = extension_due(plan, envelope.extended_at, self.now)
        decision = decide_untouched(self._incoming or ABSENT, extend)
        if not decision.steps:
            return None
        if settings.state_in_cookie:
            self._seal_untouched(decision, envelope, plan)
            return None
        return self._commit_untouched(decision, envelope, plan)

    def _may_extend(self) -> bool:
        """Whether the cookie may name a session every request extends, judged from its
        visible header alone (several candidates: decoding tells which is ours)."""
        source = self._cookie_source
        header = source() if callable(source) else source
        if not header:
            return False
        settings = self._settings
        values = cookie_values(header, settings.cookie_name)
        if len(values) != 1:
            return bool(values)
        claimed = peek_permanent(values[0])
        if claimed is NOT_OURS:
            return False
        return may_extend_untouched(claimed, settings.default_permanent, settings.plans)

    def _finish_loaded(self) -> _Commit | None:
        """A loaded session: the decision table says what to write."""
        settings = self._settings
        incoming = self._incoming
        assert incoming is not None
        reissue = self._rotated or self._forwarded
        clean = flags_clean(self, self._permanent_loaded)
        extend = settings.extends_untouched and extension_due(
            self._plan(self._permanent_loaded), self._extended_loaded, self.now
        )
        with_subjects = settings.subject_key is not None
        if with_subjects and self._misfiled:
            clean = False
        if nothing_to_do(incoming, clean, extend, reissue):
            return None  # the common read
        empty = not dict.__len__(self.session)
        plan = self._plan(self.permanent)
        subject, resubjected = self._subject_change() if with_subjects else (None, False)
        if settings.state_in_cookie:
            text, changed = self._text_changes(clean, empty)
            status = self._decided = self._status(changed, empty, resubjected)
            self._seal(decide(incoming, status, empty, extend), plan, text, subject)
            return None
        texts, removed = self._key_changes(clean)
        changed = bool(texts or removed) or self._flagged_change()
        status = self._decided = self._status(changed, empty, resubjected)
        grace = keeps_old_key(
            grace=self._grace(),
            resubjected=resubjected,
            purged=self.purged,
            forwards=incoming is LIVE and family_of(self._session_key) is not None,
        )
        decision = decide(incoming, status, empty, extend, grace)
        if not decision.steps and (
            cookie_outcome(
                decision.cookie,
                persistent=False,
                moved=self._forwarded,
                rotated=self._rotated,
                vanished=False,
            )
            is CookieOutcome.NOTHING
        ):
            return None
        return self._commit_loaded(decision, plan, texts, removed, subject, resubjected)

    def _subject_change(self) -> tuple[str | None, bool]:
        """The subject now, and whether it differs from the loaded one (or the key is
        not in the subject's family yet): a change renews the session."""
        subject = self.subject()
        return subject, subject != self._loaded_subject or self._misfiled

    def _grace(self) -> int:
        """Seconds the old key may forward after a renewal now: ``renew_grace``, never
        past the session's absolute lifetime."""
        grace = self._settings.grace
        absolute = self._settings.absolute_lifetime
        if grace and absolute is not None and self.created_at is not None:
            grace = max(0, min(grace, int(self.created_at + absolute - self.now)))
        return grace

    def _flagged_change(self) -> bool:
        """A forced save, or a ``permanent`` set to another value than loaded."""
        permanent = self.permanent
        return self.forced or (permanent is not None and permanent != self._permanent_loaded)

    def _key_changes(self, clean: bool) -> tuple[dict[str, str], frozenset[str]]:
        if clean:
            return {}, frozenset()
        return key_changes(
            self.session, self, self._loaded_texts, self._loaded_values, self._settings.dumps
        )

    def _text_changes(self, clean: bool, empty: bool) -> tuple[str, bool]:
        """The whole state's text, and whether it changed (or a change was forced)."""
        if clean or empty:
            return self._loaded_text, not clean
        text = state_text(self.session, self._settings.dumps)
        return text, text != self._loaded_text or self._flagged_change()

    def _status(self, changed: bool, empty: bool, resubjected: bool) -> SessionStatus:
        return status_of(
            purged=self.purged,
            renewed=self.renewed,
            changed=changed,
            empty=empty,
            resubjected=resubjected,
        )

    def status(self) -> SessionStatus:
        """What the request has done to the session so far (decided by value)."""
        if not self.loaded:
            return SessionStatus.UNCHANGED
        clean = flags_clean(self, self._permanent_loaded)
        empty = not dict.__len__(self.session)
        if self._settings.state_in_cookie:
            changed = self._text_changes(clean, empty)[1]
        else:
            texts, removed = self._key_changes(clean)
            changed = bool(texts or removed) or self._flagged_change()
        resubjected = self._settings.subject_key is not None and self._subject_change()[1]
        return self._status(changed, empty, resubjected)

    @property
    def _rotated(self) -> bool:
        envelope = self._envelope
        return envelope is not None and envelope.key_index > 0

    def _extended_at(self, plan: TtlPlan, extended: bool) -> float | None:
        """The extension time a cookie carries: only throttled sessions carry one."""
        if plan.refresh_every is None:
            return None
        return self.now if extended else self._extended_loaded

    # -- committing to a store -----------------------------------------------------------

    def _next_commit_command(self) -> Command | None:
        commit = self._commit
        assert commit is not None
        try:
            command = commit.send(self._result)
        except StopIteration:
            self._move(END)
            return None
        except BaseException as exc:
            if isinstance(exc, SessionStoreError):
                logger.error("session store failed: %s", exc)
                self._break(exc)
            else:
                self._break(None)
            raise
        self._result = None
        return command

    def _landed(self, result: object) -> str | None:
        """The key an update landed on: the session's own, the successor the store
        forwarded it to, or ``None`` if the session vanished."""
        if type(result) is Forwarded:
            return self._session_key if self._follow(result.chain) else None
        return self._session_key if result else None

    def _commit_untouched(self, decision: Decision, envelope: Envelope, plan: TtlPlan) -> _Commit:
        key = self._session_key
        if decision.steps[0] is DELETE:
            yield Delete(key)
            self.set_cookie = self._settings.formatter.removal
            return
        ttl, max_age = lifetime(
            plan, envelope.created_at, self.now, self._settings.absolute_lifetime
        )
        landed = self._landed((yield UpdateTtl(key, ttl, self.now)))
        permanent = envelope.permanent
        if landed is not None and landed != key:
            # Forwarded to a renewal's successor: its permanence (so its lifetime) is the
            # one the renewal sealed, not the old cookie's.
            permanent = self._forward_permanent
            successor_plan = self._plan(permanent)
            if successor_plan != plan:
                plan = successor_plan
                ttl, max_age = lifetime(
                    plan, envelope.created_at, self.now, self._settings.absolute_lifetime
                )
                landed = self._landed((yield UpdateTtl(landed, ttl, self.now)))
        throttled = plan.refresh_every is not None
        outcome = cookie_outcome(
            decision.cookie,
            persistent=max_age is not None,
            moved=throttled or (landed is not None and landed != key),
            rotated=envelope.key_index > 0,
            vanished=landed is None,
        )
        if outcome is CookieOutcome.REMOVE:
            self.set_cookie = self._settings.formatter.removal
            self._log_vanished()
        elif outcome is CookieOutcome.SET:
            assert landed is not None
            self.expires_at = self.now + ttl
            authenticated_at = (
                self._forward_authenticated if landed != key else envelope.authenticated_at
            )
            self._set(
                landed.encode("utf-8", "surrogatepass"),
                envelope.created_at,
                permanent,
                max_age,
                authenticated_at,
                self.now if throttled else None,
            )

    def _commit_loaded(
        self,
        decision: Decision,
        plan: TtlPlan,
        changed: dict[str, str],
        removed: frozenset[str],
        subject: str | None,
        resubjected: bool,
    ) -> _Commit:
        settings = self._settings
        now = self.now
        envelope = self._envelope
        incoming = self._incoming
        assert incoming is not None
        created_at = (
            now if envelope is None or starts_over(incoming, self.purged) else envelope.created_at
        )
        ttl, max_age = lifetime(plan, created_at, now, settings.absolute_lifetime)
        state = texts_of(self.session, changed, self._loaded_texts)
        old_key = self._session_key if envelope is not None else ""
        key: str | None = old_key
        for step in decision.steps:
            if step is SAVE:
                meta = None
                if subject is not None and settings.indexes:
                    meta = SessionMeta(subject, created_at, self._user_agent_text())
                if subject is not None:
                    family: str | None = subject_family(subject)
                elif resubjected or self.purged or not old_key:
                    family = None  # a new session: a new family
                else:
                    family = family_of(old_key)
                key = yield from self._save(state, ttl, family, meta)
                self.created_at = created_at
                if meta is not None and resubjected and settings.max_sessions is not None:
                    yield from self._cap(meta.subject, key, settings.max_sessions)
            elif step is RENEW:
                new_key = settings.new_session_key(family_of(old_key))
                forward = seal_forward(old_key, new_key, self.authentication_time(), self.permanent)
                renewed = yield Renew(
                    old_key,
                    new_key,
                    state,
                    Delta(changed, removed),
                    ttl,
                    now,
                    self._grace(),
                    forward,
                )
                key = new_key if renewed is True else self._landed(renewed)
            elif step is UPDATE:
                key = self._landed(
                    (yield Update(old_key, state, Delta(changed, removed), ttl, now))
                )
            elif step is UPDATE_TTL:
                key = self._landed((yield UpdateTtl(old_key, ttl, now)))
            else:
                yield Delete(old_key)
        vanished = key is None
        if vanished:
            self._log_vanished()
        elif decision.steps and decision.steps[0] is not DELETE:
            self.expires_at = now + ttl
        extended = bool(decision.steps)
        outcome = cookie_outcome(
            decision.cookie,
            persistent=max_age is not None,
            moved=(key != old_key or self._forwarded)
            or (extended and plan.refresh_every is not None),
            rotated=self._rotated,
            vanished=vanished,
        )
        if (
            (
                outcome is CookieOutcome.REISSUE
                or (outcome is CookieOutcome.SET and not decision.steps)
            )
            and max_age is not None
            and self.expires_at
        ):
            # Nothing was written (a re-seal, or the successor a forwarded request was
            # served): the cookie expires with the stored state, not with a fresh TTL.
            max_age = reissue_max_age(self.expires_at, now)
        if outcome is CookieOutcome.REMOVE:
            self.set_cookie = settings.formatter.removal
        elif outcome is not CookieOutcome.NOTHING:
            assert key is not None
            self._session_key = key
            self._set(
                key.encode("utf-8", "surrogatepass"),
                created_at,
                self.permanent,
                max_age,
                self.authentication_time(),
                self._extended_at(plan, extended),
            )

    def _save(
        self, state: Mapping[str, str], ttl: int, family: str | None, meta: SessionMeta | None
    ) -> Generator[Command, Any, str]:
        settings = self._settings
        for _ in range(SAVE_ATTEMPTS):
            key = settings.new_session_key(family)
            if (yield Save(key, state, ttl, self.now, meta)):
                self._session_key = key
                return key
        raise SessionStoreError(
            f"the store reported {SAVE_ATTEMPTS} freshly drawn session keys as taken; "
            "is its save() returning false for free keys?"
        )

    def _cap(self, subject: str, key: str, limit: int) -> Generator[Command, Any, None]:
        ended = yield Cap(subject, session_id(key), limit, self.now)
        if ended:
            security_logger.warning(
                "subject %r reached max_sessions_per_subject=%d: its %d least recently "
                "active other session(s) ended",
                subject,
                limit,
                ended,
            )

    def _log_vanished(self) -> None:
        security_logger.warning(
            "the session was deleted while this request used it (logged out elsewhere, "
            "revoked or expired); the request's changes are dropped and its cookie removed"
        )

    # -- sealing the state into the cookie -----------------------------------------------

    def _seal_untouched(self, decision: Decision, envelope: Envelope, plan: TtlPlan) -> None:
        record = self._record
        if decision.steps[0] is DELETE or record is None or self.now >= record[0]:
            self.set_cookie = self._settings.formatter.removal
            return
        created_at = envelope.created_at
        ttl, max_age = lifetime(plan, created_at, self.now, self._settings.absolute_lifetime)
        self.expires_at = self.now + ttl
        self._set(
            pack_record(self.expires_at, record[1]),
            created_at,
            envelope.permanent,
            max_age,
            envelope.authenticated_at,
            self.now if plan.refresh_every is not None else None,
        )

    def _seal(self, decision: Decision, plan: TtlPlan, text: str, subject: str | None) -> None:
        envelope = self._envelope
        incoming = self._incoming
        assert incoming is not None
        created_at = (
            self.now
            if envelope is None or starts_over(incoming, self.purged)
            else envelope.created_at
        )
        ttl, max_age = lifetime(plan, created_at, self.now, self._settings.absolute_lifetime)
        steps = decision.steps
        outcome = cookie_outcome(
            decision.cookie,
            persistent=max_age is not None,
            moved=bool(steps),  # every write seals a new expiry into the cookie
            rotated=self._rotated,
            vanished=False,
        )
        authenticated_at = self.authentication_time() if subject is not None else None
        if outcome is CookieOutcome.SET:
            self.expires_at = self.now + ttl
            self._set(
                pack_record(self.expires_at, text),
                created_at,
                self.permanent,
                max_age,
                authenticated_at,
                self._extended_at(plan, True),
            )
        elif outcome is CookieOutcome.REISSUE:
            expires_at = self.expires_at or self.now
            if max_age is not None:
                max_age = reissue_max_age(expires_at, self.now)
            payload = pack_record(expires_at, self._loaded_text)
            self._set(
                payload,
                created_at,
                self.permanent,
                max_age,
                authenticated_at,
                self._extended_at(plan, False),
            )
        elif outcome is CookieOutcome.REMOVE:
            self.set_cookie = self._settings.formatter.removal

    # -- the cookie ----------------------------------------------------------------------

    def _set(
        self,
        payload: bytes,
        created_at: float,
        permanent: bool | None,
        max_age: int | None,
        authenticated_at: float | None,
        extended_at: float | None,
    ) -> None:
        settings = self._settings
        value = settings.codec.encode(payload, created_at, permanent, authenticated_at, extended_at)
        size = len(settings.cookie_name) + 1 + len(value)
        if size > COOKIE_SIZE_LIMIT:
            raise SessionTooLarge(
                size, COOKIE_SIZE_LIMIT, biggest_keys(self.session, settings.dumps)
            )
        self.set_cookie = settings.formatter.set(value, max_age, self.now)


_HINTS = {
    LOADING: "receive() the result of the Load command first",
    LATE_LOADING: "receive() the result of the Load command first",
    DONE: "the exchange is finished; no command is waiting for a result",
    FAILED: "the exchange failed; begin a new one for the next request",
    READY: "no command is waiting for a result",
    START: "no command is waiting for a result",
}
