"""Organizer accounts: login, roles and the scoping every organizer query goes through."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import accounts, routes  # noqa: E402,F401
