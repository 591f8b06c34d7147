"""Excel (.xlsx) and CSV exports that stream with flat memory.

- xlsx: an openpyxl *write-only* workbook (rows go to a temporary file as they come),
  Chinese headers in bold, a frozen header row, column widths, and real date and number
  cells (times in the local zone, since Excel has no time zones).
- csv: UTF-8 with a byte-order mark so Excel shows Chinese, produced by a generator in
  batches of lines.
- Text that starts with ``= + - @`` (or their full-width forms), a tab or a line break is
  prefixed with ``'`` (``formatting.spreadsheet_safe``) so
  that a volunteer named ``=HYPERLINK(...)`` stays text in Excel and WPS (CSV/formula
  injection, OWASP's recommendation).
- Phone numbers are masked (138****1234): an export leaves the app, personal data must not.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from volunteer_app.checkins.models import HoursOrigin, HoursStatus
from volunteer_app.formatting import mask_phone, spreadsheet_safe
from volunteer_app.localtime import utc_to_local

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
CSV_BATCH = 500
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


#: The cells of every export go through formatting.spreadsheet_safe.
escape_cell = spreadsheet_safe


@dataclass(frozen=True)
class ColumnSpec:
    """An export column: header, width in characters, and kind (text/int/hours/datetime/date)."""

    header: str
    width: int
    kind: str = "text"


NUMBER_FORMATS = {"hours": "0.0", "int": "0", "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd"}


def _local(value: datetime | None) -> datetime | None:
    """An aware UTC datetime as naive local wall-clock time (what Excel can hold)."""
    return utc_to_local(value).replace(tzinfo=None) if value is not None else None


def _text(value: Any, kind: str) -> str:
    """A value as CSV text."""
    if value is None:
        return ""
    if kind == "datetime":
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == "date":
        return value.strftime("%Y-%m-%d")
    if kind == "hours":
        return f"{value:.1f}"
    return str(value)


def write_xlsx(title: str, columns: list[ColumnSpec], rows: Iterable[list[Any]]) -> IO[bytes]:
    """Write rows to a write-only workbook in a temporary file; return it rewound."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_SHEET_TITLE_BAD.sub(" ", title)[:31] or "Sheet1")
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMATS.get(column.kind) for column in columns]
    for row in rows:
        cells = []
        for number_format, value in zip(formats, row, strict=True):
            if number_format is None or value is None:
                cells.append(escape_cell(value))  # plain values are much cheaper than cells
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    # Not a context manager: the response streams the file and closes it when done.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def csv_chunks(columns: list[ColumnSpec], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM, header first, yielded in batches of lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(c.header) for c in columns])
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([escape_cell(_text(v, c.kind)) for c, v in zip(columns, row, strict=True)])
        pending += 1
        if pending >= CSV_BATCH:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("_") or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- the exports: columns and how a query row becomes a line ---------------------------


def _labels() -> dict[Any, str]:
    """Translated names of the hours' origin and status, looked up once per export."""
    return {
        HoursOrigin.SCAN: _("Scan"),
        HoursOrigin.ORGANIZER: _("Organizer"),
        HoursStatus.CONFIRMED: _("Confirmed"),
        HoursStatus.PENDING: _("Pending"),
    }


def _hours(minutes: int | None) -> float:
    return (minutes or 0) / 60


@dataclass(frozen=True)
class Export:
    """The columns of one export and the function turning a query row into a line."""

    columns: list[ColumnSpec]
    line: Callable[[Any], list[Any]]

    def lines(self, rows: Iterable[Any]) -> Iterator[list[Any]]:
        """Lines for ``rows``, lazily."""
        return (self.line(row) for row in rows)


def attendance_export() -> Export:
    """Attendance of one activity."""
    label = _labels()
    return Export(
        [
            ColumnSpec(_("Name"), 14),
            ColumnSpec(_("Mobile number"), 15),
            ColumnSpec(_("Checked in at"), 18, "datetime"),
            ColumnSpec(_("Checked out at"), 18, "datetime"),
            ColumnSpec(_("Service hours (h)"), 10, "hours"),
            ColumnSpec(_("Hours recorded by"), 12),
            ColumnSpec(_("Hours status"), 10),
        ],
        lambda r: [
            r.name,
            mask_phone(r.phone),
            _local(r.checked_in_at),
            _local(r.checked_out_at),
            _hours(r.minutes) if r.checked_out_at is not None else None,
            label[r.origin],
            label[r.status],
        ],
    )


def hours_export() -> Export:
    """Hours per volunteer for a period."""
    return Export(
        [
            ColumnSpec(_("Name"), 14),
            ColumnSpec(_("Mobile number"), 15),
            ColumnSpec(_("Activities attended"), 8, "int"),
            ColumnSpec(_("Confirmed hours (h)"), 12, "hours"),
            ColumnSpec(_("Pending hours (h)"), 12, "hours"),
            ColumnSpec(_("Hours from scans (h)"), 12, "hours"),
            ColumnSpec(_("Hours added by organizers (h)"), 14, "hours"),
            ColumnSpec(_("First activity"), 12, "date"),
            ColumnSpec(_("Last activity"), 12, "date"),
        ],
        lambda r: [
            r.name,
            mask_phone(r.phone),
            r.activities,
            _hours(r.confirmed),
            _hours(r.pending),
            _hours(r.scan),
            _hours(r.organizer),
            _local(r.first_at),
            _local(r.last_at),
        ],
    )


def activities_export(locale: str) -> Export:
    """The activity list of a period, with attendance figures."""
    english = locale.startswith("en")
    statuses = {
        "draft": _("Draft"),
        "published": _("Published"),
        "finished": _("Finished"),
        "cancelled": _("Cancelled"),
    }
    return Export(
        [
            ColumnSpec(_("Starts at"), 18, "datetime"),
            ColumnSpec(_("Ends at"), 18, "datetime"),
            ColumnSpec(_("Activity name"), 28),
            ColumnSpec(_("Category"), 12),
            ColumnSpec(_("Unit"), 20),
            ColumnSpec(_("Place"), 24),
            ColumnSpec(_("Status"), 9),
            ColumnSpec(_("Check-ins"), 9, "int"),
            ColumnSpec(_("Volunteers"), 9, "int"),
            ColumnSpec(_("Confirmed hours (h)"), 12, "hours"),
            ColumnSpec(_("Pending hours (h)"), 12, "hours"),
            ColumnSpec(_("Not checked out"), 10, "int"),
        ],
        lambda r: [
            _local(r.starts_at),
            _local(r.ends_at),
            r.title,
            r.name_en if english else r.name_zh,
            r.unit_name,
            r.place,
            statuses.get(r.status.value, r.status.value),
            # A cancelled activity's figures count nowhere; blank cells keep column sums
            # equal to the dashboard's totals.
            *(
                [None] * 5
                if r.status.value == "cancelled"
                else [r.checkins, r.volunteers, _hours(r.confirmed), _hours(r.pending), int(r.open)]
            ),
        ],
    )


def checkins_export() -> Export:
    """Every check-in of a period, one line each (service record detail)."""
    label = _labels()
    return Export(
        [
            ColumnSpec(_("Date"), 12, "date"),
            ColumnSpec(_("Activity name"), 28),
            ColumnSpec(_("Unit"), 20),
            ColumnSpec(_("Name"), 14),
            ColumnSpec(_("Mobile number"), 15),
            ColumnSpec(_("Checked in at"), 18, "datetime"),
            ColumnSpec(_("Checked out at"), 18, "datetime"),
            ColumnSpec(_("Service hours (h)"), 10, "hours"),
            ColumnSpec(_("Hours recorded by"), 12),
            ColumnSpec(_("Hours status"), 10),
        ],
        lambda r: [
            _local(r.starts_at),
            r.title,
            r.unit_name,
            r.name,
            mask_phone(r.phone),
            _local(r.checked_in_at),
            _local(r.checked_out_at),
            _hours(r.minutes) if r.checked_out_at is not None else None,
            label[r.origin],
            label[r.status],
        ],
    )
