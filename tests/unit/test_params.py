"""What the edge accepts as an id, a number or a date (volunteer_app/params.py), the id
converter of the URLs, the select boxes' ids and the redirect targets."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from volunteer_app.forms import coerce_id
from volunteer_app.links import safe_next
from volunteer_app.params import ID_MAX, IdConverter, parse_date, parse_id, parse_int

NOT_NUMBERS = [
    "",
    " 1",
    "1 ",
    "+1",
    "-1",
    "1.0",
    "1e3",
    "²",
    "١٢",
    "１２",
    "0x1f",
    "1_000",
    "9" * 40,
]


@pytest.mark.parametrize("raw", NOT_NUMBERS)
def test_only_plain_ascii_digits_are_numbers(raw):
    assert parse_int(raw, 0, 10**50) is None
    assert parse_id(raw) is None


def test_ids_stay_within_the_databases_integer():
    assert parse_id("1") == 1
    assert parse_id(str(ID_MAX)) == ID_MAX == 2**31 - 1
    assert parse_id(str(2**31)) is None
    assert parse_id(str(2**63)) is None
    assert parse_id("0") is None
    assert parse_id(None) is None
    assert parse_int("7", 1, 5) is None and parse_int("5", 1, 5) == 5


@pytest.mark.parametrize(
    "raw", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "20250305", "2025-02-29", "²"]
)
def test_dates_outside_the_years_or_not_iso_are_refused(raw):
    assert parse_date(raw) is None


def test_dates_within_the_years():
    assert parse_date("2000-01-01") == date(2000, 1, 1)
    assert parse_date("2100-12-31") == date(2100, 12, 31)


def test_the_url_converter_refuses_what_is_not_an_id():
    urls = Map([Rule("/a/<int:item>", endpoint="a")], converters={"int": IdConverter}).bind("x")
    assert urls.match("/a/12") == ("a", {"item": 12})
    assert urls.match(f"/a/{ID_MAX}") == ("a", {"item": ID_MAX})
    for path in (f"/a/{ID_MAX + 1}", f"/a/{2**63}", "/a/0", "/a/١٢", "/a/²", "/a/-1", "/a/1e3"):
        with pytest.raises(NotFound):
            urls.match(path)


def test_select_box_ids():
    assert coerce_id("12") == 12 and coerce_id(12) == 12
    for bad in ("", "²", "１２", str(2**31), None, True, "x"):
        with pytest.raises(ValueError):
            coerce_id(bad)


@pytest.mark.parametrize(
    "target",
    [
        "/a\r\nSet-Cookie: x=1",
        "/a\nb",
        "/a\rb",
        "/a\tb",
        "/a\x00b",
        "/a\x85b",
        "/a\u2028b",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "evil",
        "/" + "a" * 3000,
        "",
        None,
    ],
)
def test_next_is_refused_with_control_characters_or_off_site(target):
    assert safe_next(target) is None


def test_next_on_this_site_is_kept():
    assert safe_next("/activities/3?tab=people") == "/activities/3?tab=people"
    assert safe_next("/discover?station=名") == "/discover?station=名"
