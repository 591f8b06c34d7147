"""Activities: the organizer's list, creation form and activity page with its QR code."""

from flask import Blueprint

bp = Blueprint("activities", __name__)

from . import attendance, manage, projector, routes, scanner  # noqa: E402,F401
