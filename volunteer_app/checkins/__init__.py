"""Every way an attendance record is made or changed, split by audience.

- the volunteer's own scan page (``routes``: ``/c/<token>``, a correction request);
- the organizer's manual and group check-in desk, card scanner, projector and kiosk
  (``manage_desk``, ``manage_scanner``, ``manage_projector``);
- records queued offline on an organizer's phone (``offline``, ``queued``);
- hours review and corrections after the activity (``manage_hours``, ``manage_corrections``),
  and a paper sign-in sheet entered in one go (``manage_sheet``).
"""

from flask import Blueprint

bp = Blueprint("checkins", __name__)

#: The modules that attach views to ``bp``; ``create_app`` imports them.
VIEWS = (
    "routes",
    "manage_desk",
    "manage_scanner",
    "manage_projector",
    "manage_hours",
    "manage_corrections",
    "manage_sheet",
)
