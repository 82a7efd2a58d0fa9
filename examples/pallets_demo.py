"""What the Flask and Quart demos share: the pages, the settings (the two frameworks read
the same ones) and the rows of "Your sessions".

The user's name is the session's subject (``SESSION_SUBJECT_KEY``): logging in renews the
session key on its own, and with a store that keeps the session index (memory, SQLite,
Redis) "Your sessions" lists the user's sessions and ends one, or all the others.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from typing import Any

from coatcheck import SessionInfo
from examples.demo_trace import clock_text
from examples.user_agents import device_of

__all__ = ["MAX_DEVICES", "PAGE", "SESSIONS_PAGE", "demo_settings", "session_rows"]

MAX_DEVICES = 5
"""Sessions a user may have at once (with a store that keeps the index)."""

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>coatcheck demo ({{ framework }})</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; }
    .flashes { padding: 0; list-style: none; }
    .flashes li { padding: .5rem .75rem; margin-bottom: .5rem; background: #eef6ee; }
    .flashes li.warning { background: #fbf1dc; }
    form { margin: 1rem 0; }
  </style>
</head>
<body>
  <h1>coatcheck demo <small>({{ framework }})</small></h1>
  {% with messages = get_flashed_messages(with_categories=true) %}
    {% if messages %}
      <ul class="flashes">
        {% for category, message in messages %}
          <li class="{{ category }}">{{ message }}</li>
        {% endfor %}
      </ul>
    {% endif %}
  {% endwith %}
  {% if user %}
    <p>Hello, <strong id="user">{{ user }}</strong>.
      {% if remembered %}This browser remembers you.{% else %}You are logged in until
      the browser closes.{% endif %}</p>
    <p>Counter: <span id="counter">{{ counter }}</span></p>
    <form method="post" action="{{ url_for('count') }}"><button id="count">Count</button></form>
    <p><a href="{{ url_for('sessions') }}" id="sessions-link">Your sessions</a></p>
    <form method="post" action="{{ url_for('logout') }}"><button id="logout">Log out</button></form>
  {% else %}
    <form method="post" action="{{ url_for('login') }}">
      <p><label>Name <input id="name" name="name" required maxlength="64" autofocus></label></p>
      <p><label><input id="remember" type="checkbox" name="remember"> Remember me</label></p>
      <p><button id="login">Log in</button></p>
    </form>
  {% endif %}
</body>
</html>
"""


SESSIONS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Your sessions: coatcheck demo ({{ framework }})</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; }
    .flashes { padding: 0; list-style: none; }
    .flashes li { padding: .5rem .75rem; margin-bottom: .5rem; background: #eef6ee; }
    table { border-collapse: collapse; width: 100%; }
    td, th { border-bottom: 1px solid #ddd; padding: .3rem; text-align: left; }
    form.inline { display: inline; margin: 0; }
  </style>
</head>
<body>
  <h1>Your sessions, {{ user }}</h1>
  {% with messages = get_flashed_messages() %}
    {% if messages %}
      <ul class="flashes">{% for message in messages %}<li>{{ message }}</li>{% endfor %}</ul>
    {% endif %}
  {% endwith %}
  {% if rows is none %}
    <p id="no-index">This store keeps no session index, so it cannot list or end sessions
    (the cookie store keeps no server-side state at all): serve the demo with
    <code>--store memory</code>, <code>--store sqlite</code> or <code>--redis URL</code>.</p>
  {% else %}
    <table id="sessions">
      <tr><th>Device</th><th>Started</th><th>Last active</th><th></th></tr>
      {% for row in rows %}
        <tr class="session" data-id="{{ row.id }}">
          <td class="device">{{ row.device }}{% if row.this %}
            <strong class="this-device">(this device)</strong>{% endif %}</td>
          <td>{{ row.started }}</td><td>{{ row.active }}</td>
          <td>{% if row.this %}
            <form method="post" action="{{ url_for('logout') }}" class="inline">
              <button>Log out</button></form>
          {% else %}
            <form method="post" action="{{ url_for('revoke') }}" class="inline">
              <input type="hidden" name="id" value="{{ row.id }}">
              <button class="revoke">Log out</button></form>
          {% endif %}</td>
        </tr>
      {% endfor %}
    </table>
    <form method="post" action="{{ url_for('revoke_others') }}">
      <button id="revoke-others">Log out all other devices</button>
    </form>
  {% endif %}
  <p><a href="{{ url_for('index') }}">Back</a></p>
</body>
</html>
"""


def session_rows(listed: list[SessionInfo], current: str | None) -> list[dict[str, Any]]:
    """The rows of "Your sessions" (Jinja escapes every value)."""
    return [
        {
            "id": info.id,
            "device": device_of(info.user_agent),
            "this": info.id == current,
            "started": clock_text(info.created_at),
            "active": clock_text(info.last_active),
        }
        for info in listed
    ]


def demo_settings(*, indexed: bool = False) -> dict[str, Any]:
    """The app settings of both demos, served over plain http on 127.0.0.1. The user's
    name is the session's subject; with a store that keeps the index (``indexed``), a
    user has at most `MAX_DEVICES` sessions."""
    return {
        "SECRET_KEY": os.environ.get("COATCHECK_DEMO_SECRET") or secrets.token_urlsafe(32),
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "SESSION_SUBJECT_KEY": "user",
        "SESSION_MAX_PER_SUBJECT": MAX_DEVICES if indexed else None,
    }
