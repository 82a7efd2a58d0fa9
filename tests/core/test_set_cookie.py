"""The ``Set-Cookie`` header: attributes as configured, spelt as the adapter's framework."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coatcheck import SessionConfig
from coatcheck._set_cookie import SetCookieFormatter, http_date
from coatcheck.sansio import CookieSpelling

FULL = SessionConfig(
    cookie_name="sid",
    cookie_path="/app",
    cookie_domain=".example.com",
    cookie_same_site="none",
    cookie_partitioned=True,
)
NOW = 1_700_000_000.0


def test_title_case_is_werkzeugs_spelling() -> None:
    formatter = SetCookieFormatter(FULL, CookieSpelling.TITLE)
    assert formatter.set("v", 60, NOW) == (
        "sid=v; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; Path=/app; "
        "Domain=.example.com; Secure; HttpOnly; SameSite=None; Partitioned"
    )
    assert formatter.removal == (
        "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/app; "
        "Domain=.example.com; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def test_lower_case_is_starlettes_spelling() -> None:
    formatter = SetCookieFormatter(FULL, CookieSpelling.LOWER)
    assert formatter.set("v", None, NOW) == (
        "sid=v; path=/app; domain=.example.com; secure; httponly; samesite=none; partitioned"
    )
    assert formatter.set("v", 60, NOW).startswith(
        "sid=v; expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; path=/app;"
    )
    assert "; Max-Age=0; " in formatter.removal


@pytest.mark.parametrize("spelling", list(CookieSpelling))
def test_spellings_differ_only_in_case(spelling: CookieSpelling) -> None:
    ours = SetCookieFormatter(FULL, spelling).set("v", 60, NOW)
    title = SetCookieFormatter(FULL, CookieSpelling.TITLE).set("v", 60, NOW)
    assert ours.lower() == title.lower()


@given(st.integers(0, 253402300799))
def test_http_dates_match_the_standard_library(timestamp: int) -> None:
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    assert http_date(timestamp) == format_datetime(moment, usegmt=True)
