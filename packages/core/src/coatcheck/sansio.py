"""coatcheck.sansio: the per-request machinery, for adapter and framework authors.

Like ``werkzeug.sansio``, this is what an integrator needs to put coatcheck into a
server or framework of their own; an application needs none of it. One request goes::

    exchange = manager.begin(cookie_header)     # nothing is decoded yet
    exchange.load_inline(store)                 # or: run_commands(exchange, store) now
    ...the application uses exchange.session...
    if exchange.finish(status_code):            # the response is starting
        run_commands(exchange, store)           # Save / Update / Delete ... as decided
    headers = session_headers(headers, exchange.set_cookie, exchange.vary, cookie_name)

`Exchange` moves through the phases of `TRANSITIONS`; driving it out of order raises
`ExchangeMisuseError`. With `coatcheck.CookieStore` an exchange hands out no commands at
all (the state travels in the cookie), so the same loop serves every store.
"""

from __future__ import annotations

from ._accounts import MAX_FORWARDS, forwards, indexes_subjects, subject_text
from ._commands import Cap, Command, Delete, Load, Renew, Save, Update, UpdateTtl
from ._cookie_header import cookie_values
from ._driver import CommandSource, run_commands, run_commands_async, run_one
from ._errors import ExchangeMisuseError
from ._exchange import TRANSITIONS, CookieSource, Event, Exchange, HeaderSource, Phase
from ._finished import FinishedOwner
from ._forwarding import Successor, open_forward, seal_forward
from ._headers import merge_vary, session_headers, sets_cookie
from ._identity import family_of, subject_family
from ._session import Session, SessionOwner, owner_of
from ._set_cookie import CookieSpelling
from ._settings import Settings
from ._store import AnyStore, is_async_store, performs_io, state_in_cookie

__all__ = [
    "MAX_FORWARDS",
    "AnyStore",
    "Cap",
    "Command",
    "CommandSource",
    "CookieSource",
    "CookieSpelling",
    "Delete",
    "Event",
    "Exchange",
    "ExchangeMisuseError",
    "HeaderSource",
    "Load",
    "Phase",
    "Renew",
    "Save",
    "SessionOwner",
    "Settings",
    "Successor",
    "TRANSITIONS",
    "Update",
    "UpdateTtl",
    "cookie_values",
    "exchange_of",
    "family_of",
    "forwards",
    "indexes_subjects",
    "is_async_store",
    "is_finished",
    "merge_vary",
    "open_forward",
    "performs_io",
    "run_commands",
    "run_commands_async",
    "run_one",
    "seal_forward",
    "session_headers",
    "sets_cookie",
    "state_in_cookie",
    "subject_family",
    "subject_text",
]


def exchange_of(session: object) -> Exchange | None:
    """The `Exchange` a session belongs to, or ``None`` (a detached session, or not a
    coatcheck session at all). For integrators whose framework hands the session, not
    the exchange, to the code that saves it (Flask's ``save_session``).

    Also ``None`` once the exchange of a loaded session is done: the session then lets
    go of it, so that the two do not keep each other alive (`is_finished` tells that
    case apart). Keep the exchange itself if you need it after the commit."""
    if not isinstance(session, Session):
        return None
    owner = owner_of(session)
    return owner if isinstance(owner, Exchange) else None


def is_finished(session: object) -> bool:
    """True for a session whose exchange is done and has let it go: its request is
    committed and there is nothing left to save. Reading it still works; a change
    raises `coatcheck.SessionCommittedError`."""
    return isinstance(session, Session) and isinstance(owner_of(session), FinishedOwner)
