"""Reports: dashboards per unit and period, SVG charts, and Excel/CSV exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import models, routes  # noqa: E402,F401
