"""Volunteer identity, remembered devices, personal pages, certificates."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

from . import discover, manage, routes  # noqa: E402,F401
