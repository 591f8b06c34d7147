"""How values are shown: hours, an activity's time span, masked phone numbers.

Registered as template filters and globals (``|hours``, ``|masked``, ``timespan()``), so
templates and Python format them the same way.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from babel import dates as babel_dates
from flask import Flask
from flask_babel import format_decimal

from volunteer_app.i18n import locale_name
from volunteer_app.localtime import utc_to_local


def format_span(starts_at: datetime, ends_at: datetime) -> str:
    """An activity's time as one phrase in the local zone, e.g. "2021年3月5日 08:30–11:30"."""
    return _span(utc_to_local(starts_at), utc_to_local(ends_at), locale_name())


@lru_cache(maxsize=1024)
def _span(start: datetime, end: datetime, locale: str) -> str:
    """Formatted once per activity time and language (every check-in page shows it)."""
    text = f"{babel_dates.format_date(start, 'medium', locale=locale)} "
    text += f"{babel_dates.format_time(start, 'HH:mm', locale=locale)}–"
    if start.date() == end.date():
        return text + babel_dates.format_time(end, "HH:mm", locale=locale)
    return text + (
        f"{babel_dates.format_date(end, 'medium', locale=locale)} "
        f"{babel_dates.format_time(end, 'HH:mm', locale=locale)}"
    )


def format_hours(minutes: int) -> str:
    """Minutes as localized hours with one decimal, e.g. 150 → "2.5"."""
    return format_decimal(minutes / 60, format="0.#")


def mask_phone(phone: str) -> str:
    """Show a phone number as 138****1234 ("—" when there is none: a deleted account)."""
    if not phone:
        return "—"
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


#: What makes a spreadsheet (Excel, WPS, LibreOffice) read a cell as a formula: = + - @,
#: their full-width forms (a Chinese input method types ＝ ＋ － ＠, and WPS and Excel
#: take them as the ASCII ones), a tab, a carriage return or a line feed.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r", "\n")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula, prefixed with ``'`` (OWASP's advice
    against CSV injection); other values unchanged. Every CSV and Excel export uses it."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def init_app(app: Flask) -> None:
    """Register the template filters and globals."""
    app.add_template_filter(format_hours, "hours")
    app.add_template_filter(mask_phone, "masked")
    app.add_template_global(format_span, "timespan")
