"""Volunteer identity, the device session, my page, certificates, stars and privacy."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("routes", "manage", "roster", "manage_import")
