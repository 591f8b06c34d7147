"""Organizer accounts: login, roles, and the scoping every query for a person goes through."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("routes", "accounts", "manage_invites")
