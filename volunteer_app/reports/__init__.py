"""Reports: dashboards per unit and period, SVG charts, and Excel/CSV exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("routes",)
