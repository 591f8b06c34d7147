"""District → centre → station hierarchy: the units, their pages and setting up a district."""

from flask import Blueprint

bp = Blueprint("stations", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("manage", "manage_import")
