"""The reports' Excel (.xlsx) and CSV exports: their columns and how a query row becomes a line.

The files themselves (streaming, formula neutralisation, headers) are written by
``volunteer_app.spreadsheets``. Phone numbers are masked (138****1234): an export leaves
the app, personal data must not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from volunteer_app.checkins.models import HoursOrigin, HoursStatus
from volunteer_app.formatting import mask_phone
from volunteer_app.spreadsheets import (  # noqa: F401  (the reports' names for them)
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    ColumnSpec,
    content_disposition,
    csv_chunks,
    escape_cell,
    write_xlsx,
)
from volunteer_app.spreadsheets import local_naive as _local

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
            # last, so that the columns before keep their places for whoever reads them
            ColumnSpec(_("Volunteer team"), 20),
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
            r.team_name or "",
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
            ColumnSpec(_("Volunteer team"), 20),  # last, as in the activity list
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
            r.team_name or "",
        ],
    )


def teams_export() -> Export:
    """Per volunteer team of the scope: activities, volunteers, check-ins and hours."""
    return Export(
        [
            ColumnSpec(_("Volunteer team"), 28),
            ColumnSpec(_("Unit"), 20),
            ColumnSpec(_("Activities"), 9, "int"),
            ColumnSpec(_("Volunteers"), 9, "int"),
            ColumnSpec(_("Check-ins"), 9, "int"),
            ColumnSpec(_("Confirmed hours (h)"), 12, "hours"),
            ColumnSpec(_("Pending hours (h)"), 12, "hours"),
        ],
        lambda r: [
            r.team_name,
            r.unit_name,
            r.activities,
            r.volunteers,
            r.checkins,
            _hours(r.confirmed),
            _hours(r.pending),
        ],
    )


def orders_export() -> Export:
    """Residents' orders per unit of the scope's drill-down (``rows.order_lines``): the
    counts, the three rates the districts report and the median hours of each stage."""
    return Export(
        [
            ColumnSpec(_("Unit"), 28),
            ColumnSpec(_("Orders received"), 9, "int"),
            ColumnSpec(_("Rejected"), 9, "int"),
            ColumnSpec(_("Dispatched"), 9, "int"),
            ColumnSpec(_("Taken"), 9, "int"),
            ColumnSpec(_("Completed"), 9, "int"),
            ColumnSpec(_("Rated"), 9, "int"),
            ColumnSpec(_("Take rate"), 9, "percent"),
            ColumnSpec(_("Completion rate"), 9, "percent"),
            ColumnSpec(_("Satisfaction rate"), 9, "percent"),
            ColumnSpec(_("Median hours to accept (h)"), 14, "hours"),
            ColumnSpec(_("Median hours to dispatch (h)"), 14, "hours"),
            ColumnSpec(_("Median hours to complete (h)"), 14, "hours"),
        ],
        lambda line: [
            line.name,
            line.figures.received,
            line.figures.rejected,
            line.figures.dispatched,
            line.figures.taken,
            line.figures.completed,
            line.figures.rated,
            line.figures.take_rate,
            line.figures.completion_rate,
            line.figures.satisfaction_rate,
            line.figures.hours_to_accept,
            line.figures.hours_to_dispatch,
            line.figures.hours_to_complete,
        ],
    )
