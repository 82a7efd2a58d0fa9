"""A device name from a ``User-Agent`` header, for "Your sessions" pages.

Deliberately simple: a browser and a platform, found by substrings in the order that
matters (Edge and Opera claim to be Chrome, Chrome claims to be Safari). Good enough to
tell "Firefox on Windows" from "Safari on iPhone"; not a user-agent database.
"""

from __future__ import annotations

__all__ = ["device_of"]

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx/", "httpx"),
    ("python-requests/", "requests"),
)
_PLATFORMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str | None) -> str:
    """``"Firefox on Windows"``, ``"Chrome on Linux"``, ... or ``"Unknown device"``."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    platform = next((name for mark, name in _PLATFORMS if mark in user_agent), None)
    if browser and platform:
        return f"{browser} on {platform}"
    return browser or platform or "Unknown device"
