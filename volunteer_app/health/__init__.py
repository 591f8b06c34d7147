"""Health check for load balancers."""

from flask import Blueprint

bp = Blueprint("health", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("routes",)
