"""Background jobs: long exports and large imports run by a task queue (huey), their
progress pages, files and outcomes, and the periodic tasks that replace cron (closing
forgotten check-outs, expiring files)."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("routes",)
