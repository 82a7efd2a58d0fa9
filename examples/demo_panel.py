"""The demo's teaching panel: what coatcheck did for this request, in plain words.

Rendered at the bottom of every page from public information only: the request's
`coatcheck.sansio.Exchange` (found with `coatcheck.sansio.exchange_of`), its
configuration, and the traces `examples.demo_trace` recorded. A page is rendered before
its response starts, so the panel tells this request's story up to the page (how the
cookie was classified, what was loaded) and the whole story of the response before it
(its commit commands and the ``Set-Cookie`` it returned, attributes included).
"""

from __future__ import annotations

import html
from datetime import timedelta

from coatcheck import PersistentSession, Session, SessionConfig, TtlExtensionPolicy
from coatcheck.sansio import exchange_of
from examples.demo_trace import RequestTrace, clock_text

__all__ = ["INCOMING", "render_panel"]

INCOMING = {
    None: "not decoded: this request never touched its session, so the cookie was not "
    "even read (lazy loading)",
    "absent": "no session cookie came with the request",
    "invalid": "a cookie came, but not a genuine one (tampered, sealed with another key, "
    "or garbled): it was ignored",
    "stale": "genuine, but the store has no session for it any more (expired, logged out, "
    "or ended from another device): the response removes the cookie",
    "stale_absolute": "genuine, but past the absolute lifetime: the session is over",
    "live": "genuine, and the store had the session",
    "forwarded": "an old key, renewed moments ago: the store followed its forwarding "
    "record (the grace window) and the response sets the new cookie",
}
"""What each `coatcheck.sansio.Exchange.incoming` classification means."""


def _span(seconds: float) -> str:
    delta = timedelta(seconds=round(seconds))
    if delta >= timedelta(days=1) and delta.seconds == 0:
        return f"{delta.days} days"
    if delta >= timedelta(hours=1) and delta.seconds % 3600 == 0 and not delta.days:
        return f"{delta.seconds // 3600} h"
    if delta >= timedelta(minutes=1) and delta.seconds % 60 == 0 and not delta.days:
        return f"{delta.seconds // 60} min"
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def expiry_text(session: Session, config: SessionConfig) -> str:
    """When the session expires and why, in one sentence."""
    exchange = exchange_of(session)
    if exchange is not None and not exchange.loaded:
        return "Not read: whatever the store holds was left alone, its expiry unchanged."
    if exchange is None or (not session and exchange.expires_at is None):
        return (
            "Nothing is stored: an empty session costs no store write and sets no cookie; "
            "the first value written creates it."
        )
    permanent = session.permanent and config.permanent_lifecycle is not None
    lifecycle = config.permanent_lifecycle if permanent else config.lifecycle
    assert lifecycle is not None
    ttl = _span(lifecycle.ttl_seconds)
    until = clock_text(exchange.expires_at)
    if isinstance(lifecycle, PersistentSession):
        cookie = f"the cookie carries Max-Age={lifecycle.ttl_seconds} ({ttl}, 'remember me')"
    else:
        cookie = "the cookie has no Max-Age, so it ends when the browser closes"
    if lifecycle.ttl_extension_policy is TtlExtensionPolicy.ON_EVERY_REQUEST:
        extension = "every request extends it"
        if lifecycle.refresh_after is not None:
            throttle = _span(lifecycle.refresh_after * lifecycle.ttl_seconds)
            extension += f", at most once per {throttle} (throttled refresh: requests in "
            extension += "between write nothing and set no cookie)"
    else:
        extension = "only a change extends it"
    absolute = config.absolute_lifetime
    ends = "" if absolute is None else f" It ends {_span(absolute.total_seconds())} after login."
    return (
        f"The store keeps the state until {until}: {ttl} after the last extension, and "
        f"{extension}; {cookie}.{ends}"
    )


def _commands(lines: list[str], none: str, list_id: str) -> str:
    if not lines:
        return f'<p class="none" id="{list_id}">{html.escape(none)}</p>'
    items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
    return f'<ol id="{list_id}">{items}</ol>'


def _previous(previous: RequestTrace | None, server_side: bool) -> str:
    if previous is None:
        return (
            "<p>The response before this page left no session cookie in the browser "
            "(or this is the first page): nothing to show.</p>"
        )
    split = previous.rendered_at
    commit = previous.commands if split is None else previous.commands[split:]
    title = f"{previous.method} {previous.path} → {previous.status}"
    if previous.set_cookies:
        cookies = "".join(
            f'<li><code class="set-cookie">{html.escape(header)}</code></li>'
            for header in previous.set_cookies
        )
        cookie = f'<p>It returned <code>Set-Cookie</code>:</p><ul id="set-cookie">{cookies}</ul>'
    else:
        cookie = (
            '<p id="set-cookie">It returned no <code>Set-Cookie</code>: the browser '
            "already held the right cookie, so nothing was sent.</p>"
        )
    if server_side:
        sent = "all its store commands" if split is None else "the commands it sent as it finished"
        commands = f"<p>{sent.capitalize()}:</p>" + _commands(
            commit, "none: nothing changed, so nothing was written", "commit-commands"
        )
    else:
        commands = ""
    return f"<h3>The response before: <code>{html.escape(title)}</code></h3>{commands}{cookie}"


def render_panel(
    session: Session,
    config: SessionConfig,
    trace: RequestTrace | None,
    previous: RequestTrace | None,
    *,
    server_side: bool,
) -> str:
    """The panel's HTML for the request whose session is ``session``."""
    exchange = exchange_of(session)
    incoming = None if exchange is None else exchange.incoming
    if trace is not None:
        trace.rendered_at = len(trace.commands)
    if server_side:
        loads = _commands(
            [] if trace is None else list(trace.commands),
            "none so far",
            "request-commands",
        )
        store = f"<p>Store commands before this page was rendered:</p>{loads}"
    else:
        store = (
            "<p>CookieStore: the state travels sealed in the cookie; the core sends no "
            "store commands at all.</p>"
        )
    if exchange is not None and not exchange.loaded:
        who = "not loaded: this page never asked for it"
    else:
        subject = session.subject
        who = "anonymous" if subject is None else f"subject {html.escape(subject)}"
        who += f'; id <code id="session-id">{session.id or "none yet"}</code>'
    return f"""
<aside id="coatcheck-panel">
<h2>What coatcheck did</h2>
<h3>This request</h3>
<p>The cookie: <strong id="incoming">{incoming or "not decoded"}</strong>:
  {html.escape(INCOMING.get(incoming, incoming or ""))}.</p>
<p>The session: {who}.</p>
{store}
<p id="expiry">{html.escape(expiry_text(session, config))}</p>
{_previous(previous, server_side)}
</aside>
"""
