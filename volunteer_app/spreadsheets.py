"""Spreadsheet files that stream with flat memory: xlsx and csv, for every export.

- xlsx: an openpyxl *write-only* workbook (rows go to a temporary file as they come),
  headers in bold, a frozen header row, column widths, and real date and number cells
  (times in the local zone, since Excel has no time zones).
- csv: UTF-8 with a byte-order mark so Excel shows Chinese, produced by a generator in
  batches of lines.
- Text that starts with ``= + - @`` (or their full-width forms), a tab or a line break is
  prefixed with ``'`` (``formatting.spreadsheet_safe``) so
  that a volunteer named ``=HYPERLINK(...)`` stays text in Excel and WPS (CSV/formula
  injection, OWASP's recommendation).

What goes into the columns (masked phone numbers included) is each export's business:
``reports.exports`` and the volunteer roster build their lines and call these.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote

from flask import Response, send_file, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from volunteer_app.formatting import spreadsheet_safe
from volunteer_app.localtime import utc_to_local

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
CSV_BATCH = 500
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


#: Every cell of every export goes through formatting.spreadsheet_safe.
escape_cell = spreadsheet_safe


@dataclass(frozen=True)
class ColumnSpec:
    """An export column: header, width in characters, and kind
    (text/int/hours/percent/datetime/date; a percent is a fraction, 0.75 for 75%)."""

    header: str
    width: int
    kind: str = "text"


NUMBER_FORMATS = {
    "hours": "0.0",
    "int": "0",
    "percent": "0.0%",
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
}


def local_naive(value: datetime | None) -> datetime | None:
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
    if kind == "percent":
        return f"{value:.1%}"
    return str(value)


def write_xlsx(
    title: str,
    columns: list[ColumnSpec],
    rows: Iterable[list[Any]],
    *,
    target: IO[bytes] | None = None,
) -> IO[bytes]:
    """Write rows to a write-only workbook in ``target`` (default: a temporary file);
    return it rewound."""
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
    try:
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
    except BaseException:
        # Rows that stop mid-way (a cancelled or failed job) leave the sheet's stream and its
        # temporary file open; close them now rather than leave them to the garbage collector,
        # whose finalizers would warn from inside whatever code happens to be running then.
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    # Not a context manager: the response streams the file and closes it when done.
    handle = target if target is not None else tempfile.TemporaryFile()  # noqa: SIM115
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


def send_spreadsheet(
    fmt: str,
    filename: str,
    title: str,
    columns: list[ColumnSpec],
    lines: Callable[[], Iterable[list[Any]]],
) -> Response:
    """Answer with a CSV (streamed) or an xlsx (built in a temporary file) download.

    ``lines`` is called, not passed: a CSV body is produced after the view has returned
    and Flask has torn its context down (ending the transaction and, on PostgreSQL,
    the server-side cursor), so the query must start inside the re-entered context.
    """
    headers = {"Cache-Control": "private, no-store"}
    if fmt == "csv":

        def body():
            yield from csv_chunks(columns, lines())

        headers["Content-Disposition"] = content_disposition(filename + ".csv")
        return Response(stream_with_context(body()), mimetype=CSV_MIMETYPE, headers=headers)
    handle = write_xlsx(title, columns, lines())
    response = send_file(
        handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename + ".xlsx"
    )
    response.headers.update(headers)
    return response
