"""What the edge accepts as a number, an id or a date, wherever it comes from: the URL's
path, the query string, a form or a JSON body.

One definition, so that no value a database cannot hold or a time zone cannot convert
reaches a query: an id past PostgreSQL's INTEGER (2³¹−1; SQLite's 2⁶³ is wider) would
overflow there, and year 1 or 9999 overflows the conversion between UTC and local time.
"""

from __future__ import annotations

import re
from datetime import date

from werkzeug.routing import IntegerConverter

#: The largest id any table holds (PostgreSQL INTEGER; SQLite's 64-bit integers are wider).
ID_MAX = 2**31 - 1
#: Activities, records, reports and certificates lie within these years; anything else is
#: a typo (and year 1 or 9999 would not survive the conversion between time zones).
YEARS = (2000, 2100)

#: ASCII digits only: ``str.isdigit`` and ``\d`` also accept ``²`` (which ``int`` refuses)
#: and other scripts' digits (``١٢``), which are not how a link or a client spells a number.
_DIGITS = re.compile(r"[0-9]{1,12}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_int(raw: str | None, low: int = 1, high: int = ID_MAX) -> int | None:
    """``raw`` as an int in ``[low, high]`` if it is plain ASCII digits, else None."""
    if raw is None or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_id(raw: str | None) -> int | None:
    """``raw`` as a row id (1 … ID_MAX), else None."""
    return parse_int(raw, 1, ID_MAX)


def year_in_range(year: int) -> bool:
    """Whether ``year`` lies within YEARS."""
    return YEARS[0] <= year <= YEARS[1]


def parse_date(raw: str | None) -> date | None:
    """``raw`` as an ISO date (YYYY-MM-DD) within YEARS, else None."""
    if raw is None or not _ISO_DATE.fullmatch(raw):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if year_in_range(value.year) else None


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs: ASCII digits, 1 … ID_MAX, else the route does not match (404).

    Without the bound an id past 2³¹−1 would reach the database and overflow there (a 500)
    instead of being a plain "not found"; without the ASCII regex ``/activities/١٢`` would
    be activity 12.
    """

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)
