"""The Cookie-header parser: never raises, and agrees with werkzeug and Starlette."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import cookie_parser
from werkzeug.http import parse_cookie

from coatcheck._cookie_header import cookie_pairs
from coatcheck.sansio import cookie_values

# RFC 6265: token names and cookie-octet values (no space, quote, comma, semicolon, backslash).
TOKEN = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=12,
)
OCTETS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\')
VALUE = st.text(alphabet=OCTETS, max_size=40)
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def well_formed_headers(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    pairs = draw(st.lists(st.tuples(TOKEN, VALUE), max_size=8))
    pieces = []
    for name, value in pairs:
        quoted = draw(st.booleans()) and value
        shown = f'"{value}"' if quoted else value
        pieces.append(f"{draw(SPACE)}{name}={shown}{draw(SPACE)}")
    return ";".join(pieces), pairs


@given(well_formed_headers())
def test_agrees_with_werkzeug_on_well_formed_headers(
    case: tuple[str, list[tuple[str, str]]],
) -> None:
    header, pairs = case
    assert cookie_pairs(header) == pairs
    # werkzeug's MultiDict groups duplicates by name, keeping their order.
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    assert dict(parse_cookie(header).lists()) == grouped


@given(well_formed_headers())
def test_agrees_with_starlette_on_well_formed_headers(
    case: tuple[str, list[tuple[str, str]]],
) -> None:
    header, _ = case
    # Starlette keeps the last of duplicate names; so does a dict built from our pairs.
    assert dict(cookie_pairs(header)) == {k: v for k, v in cookie_parser(header).items() if k}


@given(st.text(max_size=300), st.sampled_from(["session", "a", "__Host-id"]))
def test_never_raises_and_values_match_pairs(header: str, name: str) -> None:
    pairs = cookie_pairs(header)
    assert cookie_values(header, name) == [value for found, value in pairs if found == name]


@given(st.binary(max_size=300))
def test_latin1_decoded_bytes_never_raise(raw: bytes) -> None:
    header = raw.decode("latin-1")
    cookie_pairs(header)
    cookie_values(header, "session")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", [("a", "1"), ("b", "2")]),
        ("a=1;b=2;", [("a", "1"), ("b", "2")]),
        (" a = 1 ;\tb=2", [("a", "1"), ("b", "2")]),
        ('a="quoted value"', [("a", "quoted value")]),
        (r'a="with \"escapes\" \\ \073"', [("a", 'with "escapes" \\ ;')]),
        ("a=x=y", [("a", "x=y")]),
        ("noequals; b=2", [("b", "2")]),
        ("=nameless; b=2", [("b", "2")]),
        ("a=1; a=2", [("a", "1"), ("a", "2")]),
        ("a=", [("a", "")]),
        ('a="', [("a", '"')]),
        ("", []),
        (";;;", []),
        ("caf\u00e9=cr\u00e8me", [("caf\u00e9", "cr\u00e8me")]),
    ],
)
def test_documented_rules(header: str, expected: list[tuple[str, str]]) -> None:
    assert cookie_pairs(header) == expected


def test_duplicates_are_kept_in_order_and_other_names_do_not_match() -> None:
    header = "xsession=no; session=first; session_id=no; session=second"
    assert cookie_values(header, "session") == ["first", "second"]
    assert cookie_values("other=1", "session") == []


def test_huge_headers_are_linear_and_safe() -> None:
    header = "; ".join(f"c{i}={'v' * 50}" for i in range(2000)) + "; session=found"
    assert cookie_values(header, "session") == ["found"]
    assert cookie_values("session=" + "x" * 1_000_000, "session") == ["x" * 1_000_000]


def test_several_headers_joined_as_rule_1_says_are_read_as_one() -> None:
    assert cookie_values("; ".join(["a=1", "session=2"]), "session") == ["2"]
