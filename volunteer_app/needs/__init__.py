"""Residents order services (点单): the order, its review, dispatch, service and rating."""

from flask import Blueprint

bp = Blueprint("needs", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("public", "manage", "deadlines", "notices", "menu_manage")
