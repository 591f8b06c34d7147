"""Volunteer teams (志愿服务队): their management, members, join links and leaders."""

from flask import Blueprint

bp = Blueprint("teams", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = ("manage",)
