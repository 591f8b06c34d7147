"""Report periods: parse what the organizer asked for into local calendar days (pure).

A period is a run of whole local days (Asia/Shanghai by default), ``first`` to ``last``
inclusive. An activity belongs to a period when it *starts* inside it: that is the date
on the sign-in sheet, and it keeps every sum additive over days.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError
from volunteer_app.params import YEARS, parse_date, parse_int

KINDS = ("day", "month", "year", "range", "leifeng")
#: 学雷锋日: Learn-from-Lei-Feng Day.
LEIFENG_MONTH, LEIFENG_DAY = 3, 5
#: Longest custom range, so a typo cannot ask for a century of data.
MAX_RANGE_DAYS = 366 * 5
MIN_YEAR, MAX_YEAR = YEARS


class ReportError(DomainError):
    """The report's parameters were refused."""

    status = 400
    messages = {
        "period_invalid": _l("Please choose a period: day, month, year, range or Lei Feng Day."),
        "date_invalid": _l("Please enter a valid date, e.g. 2025-03-05."),
        "month_invalid": _l("Please enter a valid month, e.g. 2025-03."),
        "year_invalid": _l("Please enter a year between 2000 and 2100."),
        "range_reversed": _l("The end date is before the start date."),
        "range_too_long": _l("The range is too long (at most five years)."),
        "unit_invalid": _l("Please choose one of your units."),
    }


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``..``last`` (inclusive) and how the organizer named them."""

    kind: str
    first: date
    last: date

    @property
    def days(self) -> int:
        """Number of days covered."""
        return (self.last - self.first).days + 1

    @property
    def bucket(self) -> str:
        """Trend granularity: hours of one day, days of a month, months of longer spans."""
        if self.days == 1:
            return "hour"
        if self.days <= 62:
            return "day"
        return "month"

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as aware UTC ``[start, end)`` for queries."""
        start = datetime.combine(self.first, time(), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone).astimezone(UTC)
        return start, end

    def args(self) -> dict[str, str]:
        """Query-string arguments that name this period again (for links and exports)."""
        if self.kind == "day":
            return {"period": "day", "date": self.first.isoformat()}
        if self.kind == "month":
            return {"period": "month", "month": self.first.strftime("%Y-%m")}
        if self.kind == "year":
            return {"period": "year", "year": str(self.first.year)}
        if self.kind == "leifeng":
            return {"period": "leifeng", "year": str(self.first.year)}
        return {"period": "range", "start": self.first.isoformat(), "end": self.last.isoformat()}

    def shifted(self, step: int) -> Period | None:
        """The previous (-1) or next (+1) period of the same kind; None for custom ranges."""
        if self.kind == "day":
            return day_period(self.first + timedelta(days=step))
        if self.kind == "month":
            index = self.first.year * 12 + self.first.month - 1 + step
            return month_period(index // 12, index % 12 + 1)
        if self.kind in ("year", "leifeng") and MIN_YEAR <= self.first.year + step <= MAX_YEAR:
            make = year_period if self.kind == "year" else leifeng_period
            return make(self.first.year + step)
        return None

    def filename_part(self) -> str:
        """A short, file-name-safe name: 2025-03-05, 2025-03, 2025, 2025-03-01_2025-03-31."""
        if self.kind in ("day", "leifeng"):
            return self.first.isoformat()
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def day_period(day: date) -> Period:
    """One local day."""
    return Period("day", day, day)


def month_period(year: int, month: int) -> Period:
    """A calendar month."""
    last = calendar.monthrange(year, month)[1]
    return Period("month", date(year, month, 1), date(year, month, last))


def year_period(year: int) -> Period:
    """A calendar year."""
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def leifeng_period(year: int) -> Period:
    """学雷锋日, 5 March of ``year``."""
    day = date(year, LEIFENG_MONTH, LEIFENG_DAY)
    return Period("leifeng", day, day)


def latest_leifeng_year(today: date) -> int:
    """The year of the latest 学雷锋日 reached by ``today``: this year's from 5 March on,
    last year's before (a report of a day still ahead would be empty)."""
    if (today.month, today.day) >= (LEIFENG_MONTH, LEIFENG_DAY):
        return today.year
    return today.year - 1


def _parse_date(raw: str | None) -> date:
    day = parse_date((raw or "").strip())
    if day is None:
        raise ReportError("date_invalid")
    return day


def _parse_year(raw: str | None, default: int) -> int:
    if raw in (None, ""):
        return default
    year = parse_int(raw.strip(), MIN_YEAR, MAX_YEAR)
    if year is None:
        raise ReportError("year_invalid")
    return year


def parse_period(args: Mapping[str, str], today: date) -> Period:
    """Turn query arguments into a Period, or raise ReportError with a stable code.

    ``period`` is one of KINDS (default: this month); ``date`` (day), ``month``
    (YYYY-MM), ``year`` (year) and ``start``/``end`` (range) default to today; ``year`` of
    leifeng to the latest 5 March reached (``latest_leifeng_year``).
    """
    kind = args.get("period") or "month"
    if kind not in KINDS:
        raise ReportError("period_invalid")
    if kind == "day":
        raw = args.get("date")
        return day_period(_parse_date(raw) if raw else today)
    if kind == "month":
        raw = (args.get("month") or "").strip()
        if not raw:
            return month_period(today.year, today.month)
        parts = raw.split("-")
        month = parse_int(parts[1], 1, 12) if len(parts) == 2 else None
        if month is None or parse_int(parts[0], 0, 9999) is None:
            raise ReportError("month_invalid")
        return month_period(_parse_year(parts[0], today.year), month)
    if kind == "year":
        return year_period(_parse_year(args.get("year"), today.year))
    if kind == "leifeng":
        return leifeng_period(_parse_year(args.get("year"), latest_leifeng_year(today)))
    first = _parse_date(args.get("start")) if args.get("start") else today
    last = _parse_date(args.get("end")) if args.get("end") else first
    if last < first:
        raise ReportError("range_reversed")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ReportError("range_too_long")
    return Period("range", first, last)
