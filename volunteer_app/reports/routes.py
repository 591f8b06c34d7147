"""Report pages: the dashboard of a unit and period, and the Excel/CSV exports.

Every route resolves the unit through scoping (404 for units and activities the
organizer may not see) before any figure is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton
from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth import scoping
from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.database import utcnow
from volunteer_app.jobs import services as jobs
from volunteer_app.localtime import local_zone, utc_to_local
from volunteer_app.needs import services as need_services
from volunteer_app.params import parse_id
from volunteer_app.reports import background, bp, charts, exports
from volunteer_app.reports import dashboard as board_queries
from volunteer_app.reports import rows as export_rows
from volunteer_app.reports.hours import bucket_label, to_hours
from volunteer_app.reports.periods import (
    KINDS,
    Period,
    ReportError,
    day_period,
    latest_leifeng_year,
    leifeng_period,
    month_period,
    parse_period,
    year_period,
)
from volunteer_app.spreadsheets import send_spreadsheet
from volunteer_app.stations.models import Unit
from volunteer_app.transactions import after_commit

#: Ranked stations shown on the dashboard (the export lists them all).
RANKED_ROWS = 20


@dataclass
class Scope:
    """What a report request is about: a unit the user may see, its units, and a period."""

    unit: Unit
    unit_ids: list[int]
    period: Period
    start: datetime
    end: datetime

    def args(self, **extra) -> dict:
        """Query arguments naming this unit and period (plus ``extra``)."""
        return {"unit": self.unit.id, **self.period.args(), **extra}


def _today() -> date:
    return utc_to_local(utcnow()).date()


def _scope() -> Scope:
    """Parse ``unit`` and the period from the query string (400 or 404 on bad input)."""
    raw_unit = request.args.get("unit")
    unit_id = None
    if raw_unit not in (None, ""):
        unit_id = parse_id(raw_unit)
        if unit_id is None:
            raise ReportError("unit_invalid")
    unit = scoping.unit_or_404(current_user, unit_id)
    period = parse_period(request.args, _today())
    start, end = period.bounds(local_zone())
    return Scope(unit, scoping.scope_unit_id_list(current_user, unit), period, start, end)


def _offset_minutes(moment: datetime) -> int:
    """The local zone's UTC offset at ``moment``, in minutes (for trend buckets)."""
    offset = utc_to_local(moment).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _breadcrumbs(unit: Unit) -> list[Unit]:
    """The unit's ancestors the user manages, top first (at most two lookups)."""
    trail, node = [], unit
    while node.id != current_user.unit_id and node.parent is not None:
        node = node.parent
        trail.append(node)
    return list(reversed(trail))


def period_label(period: Period) -> str:
    """The period in words, in the UI language: 2025年3月, 2025年3月5日, 学雷锋日 …"""
    locale = get_locale()
    if period.kind == "month":
        return format_skeleton("yMMMM", period.first, locale=locale)
    if period.kind == "year":
        return format_skeleton("y", period.first, locale=locale)
    if period.kind == "day":
        return format_date(period.first, "long")
    if period.kind == "leifeng":
        return _("Lei Feng Day, %(date)s", date=format_date(period.first, "long"))
    return f"{format_date(period.first, 'long')} – {format_date(period.last, 'long')}"


def _quick_periods(today: date) -> list[tuple[str, Period]]:
    """The shortcuts above the period's name; 学雷锋日 is the latest one reached (the
    arrows beside the name step to the years before and after, the form picks any)."""
    year = latest_leifeng_year(today)
    return [
        (_("Today"), day_period(today)),
        (_("This month"), month_period(today.year, today.month)),
        (_("This year"), year_period(today.year)),
        (_("Lei Feng Day %(year)s", year=year), leifeng_period(year)),
    ]


@bp.get("/")
@login_required
def dashboard():
    """A unit's dashboard for a period: totals, categories, trend, ranking, drill-down."""
    scope = _scope()
    lang = str(get_locale())
    board = board_queries.dashboard(
        scope.unit,
        scope.unit_ids,
        scope.period,
        scope.start,
        scope.end,
        _offset_minutes(scope.start),
        ranked_limit=RANKED_ROWS,
    )
    latest, activity_total = board_queries.latest_activities(scope.unit_ids, scope.start, scope.end)
    category_names = {
        c.category_id: (c.name_en if lang.startswith("en") else c.name_zh) for c in board.categories
    }
    category_chart = charts.hbar_chart(
        [(category_names[c.category_id], c.activities, str(c.activities)) for c in board.categories]
    )
    trend_chart = charts.column_chart(
        [
            (
                bucket_label(key, scope.period.bucket),
                to_hours(s.confirmed_minutes),
                to_hours(s.pending_minutes),
            )
            for key, s in board.trend
        ],
        top_text_for=lambda top: f"{top:g}",
    )
    top_stations = board.stations[:RANKED_ROWS]
    station_chart = charts.hbar_chart(
        [
            (s.name, to_hours(s.sums.confirmed_minutes), f"{to_hours(s.sums.confirmed_minutes):g}")
            for s in top_stations[:10]
        ]
    )
    teams, team_total = board_queries.team_lines(scope.unit_ids, scope.start, scope.end)
    team_chart = charts.hbar_chart(
        [
            (t.team_name, to_hours(t.confirmed), f"{to_hours(t.confirmed):g}")
            for t in teams[:10]
            if t.confirmed
        ]
    )
    today = _today()
    return render_template(
        "reports/dashboard.html",
        orders=need_services.figures(scope.unit_ids, scope.start, scope.end),
        teams=teams,
        team_total=team_total,
        team_chart=team_chart,
        scope=scope,
        board=board,
        latest=latest,
        activity_total=activity_total,
        category_names=category_names,
        category_chart=category_chart,
        trend_chart=trend_chart,
        station_chart=station_chart,
        top_stations=top_stations,
        breadcrumbs=_breadcrumbs(scope.unit),
        previous=scope.period.shifted(-1),
        next=scope.period.shifted(+1),
        quick=_quick_periods(today),
        period_label=period_label,
        kinds=KINDS,
        today=today,
        to_hours=to_hours,
        colours=(charts.PRIMARY, charts.SECONDARY),
    )


def _send(fmt: str, spec: background.ExportSpec) -> Response:
    """Answer with the export as CSV or xlsx (its rows are read inside the answer's context)."""
    export = spec.export
    rows = spec.rows
    return send_spreadsheet(
        fmt, spec.filename, spec.title, export.columns, lambda: export.lines(rows())
    )


def _answer(fmt: str, spec: background.ExportSpec):
    """A small export at once; a large one (above EXPORT_JOB_THRESHOLD rows) as a job.

    GET of a large export shows its size and a button; the POST of that button creates the
    job (limited per user) and leads to its progress page, where the file waits.
    """
    if request.method == "POST":
        locale = str(get_locale())
        job = jobs.create(
            current_user,
            spec.kind,
            spec.unit_id,
            background.job_params(spec, fmt, locale),
            limit=current_app.config["JOBS_PER_USER"],
            now=utcnow(),
        )
        job_id = job.id
        after_commit(lambda: background.run_export(job_id))
        return redirect(url_for("jobs.show", job_id=job_id), 303)
    rows = spec.count()
    if rows <= current_app.config["EXPORT_JOB_THRESHOLD"]:
        return _send(fmt, spec)
    return render_template("reports/export_job.html", spec=spec, rows=rows, fmt=fmt)


_FORMATS = "<any(xlsx, csv):fmt>"


@bp.route(f"/activities/<int:activity_id>/attendance.{_FORMATS}", methods=["GET", "POST"])
@login_required
def attendance_export(activity_id: int, fmt: str):
    """Download the attendance of one activity (a large one as a job)."""
    return _answer(fmt, background.attendance(activity_or_404(current_user, activity_id)))


def _period_export(which: str, fmt: str):
    scope = _scope()
    spec = background.period_export(
        which, scope.unit, scope.unit_ids, scope.period, scope.start, scope.end, str(get_locale())
    )
    return _answer(fmt, spec)


@bp.route(f"/hours.{_FORMATS}", methods=["GET", "POST"])
@login_required
def hours_export(fmt: str):
    """Download hours per volunteer for the unit and period."""
    return _period_export("hours", fmt)


@bp.route(f"/activities.{_FORMATS}", methods=["GET", "POST"])
@login_required
def activities_export(fmt: str):
    """Download the activity list of the unit and period."""
    return _period_export("activities", fmt)


@bp.route(f"/checkins.{_FORMATS}", methods=["GET", "POST"])
@login_required
def checkins_export(fmt: str):
    """Download every check-in of the unit and period (the service record detail)."""
    return _period_export("checkins", fmt)


@bp.get(f"/teams.{_FORMATS}")
@login_required
def teams_export(fmt: str):
    """Download the figures per volunteer team of the unit's scope for the period."""
    scope = _scope()
    filename = f"{_('Volunteer teams')}_{scope.unit.name}_{scope.period.filename_part()}"
    export = exports.teams_export()  # a line per team: always small enough to send at once
    return send_spreadsheet(
        fmt,
        filename,
        _("Volunteer teams"),
        export.columns,
        lambda: export.lines(export_rows.team_rows(scope.unit_ids, scope.start, scope.end)),
    )


@bp.get(f"/orders.{_FORMATS}")
@login_required
def orders_export(fmt: str):
    """Download the residents' order figures per unit of the scope's drill-down for the
    period (the dashboard's "群众点单" figures, a line per unit and the total)."""
    scope = _scope()
    title = _("Residents' orders")
    filename = f"{title}_{scope.unit.name}_{scope.period.filename_part()}"
    export = exports.orders_export()  # a line per unit below the scope: always small
    lines = export_rows.order_lines(scope.unit, scope.unit_ids, scope.start, scope.end)
    return send_spreadsheet(fmt, filename, title, export.columns, lambda: export.lines(lines))
