"""Activities: the organizer's list, creation form, activity page, lifecycle and poster;
volunteers' discovery of upcoming activities and their sign-ups."""

from flask import Blueprint

bp = Blueprint("activities", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("routes", "manage", "discover")
