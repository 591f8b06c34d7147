"""Translated labels of statuses, origins and audit actions, shared by the console pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from volunteer_app.audit.labels import MENU_AUDIT_LABELS, TEAM_AUDIT_LABELS
from volunteer_app.checkins.models import HoursOrigin, HoursStatus

STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "finished": _l("Finished"),
    "cancelled": _l("Cancelled"),
}

#: The button that moves an activity to each status.
TRANSITION_LABELS = {
    "published": _l("Publish"),
    "finished": _l("Mark as finished"),
    "draft": _l("Back to draft"),
    "cancelled": _l("Cancel activity"),
}

ORIGIN_LABELS = {
    HoursOrigin.SCAN.value: _l("Own scan"),
    HoursOrigin.ORGANIZER.value: _l("By organizer"),
}

HOURS_STATUS_LABELS = {
    HoursStatus.PENDING.value: _l("Pending"),
    HoursStatus.CONFIRMED.value: _l("Confirmed"),
}

AUDIT_LABELS = {
    "activity.status": _l("Status changed"),
    "checkin.close_at_end": _l("Closed at the end (no check-out)"),
    "hours.adjust": _l("Hours adjusted"),
    "hours.add": _l("Hours added after the activity"),
    "hours.sheet": _l("Paper sign-in sheet entered"),
    "hours.review_keep": _l("Hours kept after review"),
    "hours.confirm": _l("Hours confirmed"),
    "checkin.by_organizer": _l("Checked in by organizer"),
    "checkout.by_organizer": _l("Checked out by organizer"),
    "checkin.by_leader": _l("Checked in by the team leader"),
    "checkout.by_leader": _l("Checked out by the team leader"),
    "checkout.auto": _l("Checked out automatically: checked in at another activity"),
    "checkin.void": _l("Record voided"),
    "checkin.restore": _l("Voided record restored"),
    "volunteer.walk_in": _l("Walk-in registered"),
    "volunteer.void_registration": _l("Registration voided (registered by mistake)"),
    "scan.queued": _l("Scan uploaded after being offline"),
    "manual.queued": _l("Check-in by organizer uploaded after being offline"),
    "activity.create": _l("Activity created"),
    "activity.update": _l("Activity edited"),
    "correction.request": _l("Correction requested by the volunteer"),
    "correction.accept": _l("Correction accepted"),
    "correction.decline": _l("Correction declined"),
    "activity.checkin_code_renewed": _l("Check-in QR code replaced (the old one no longer works)"),
    "activity.kiosk_link_renewed": _l("Kiosk link replaced (the old links no longer work)"),
    "checkin.merge": _l("Record moved to the same person's other registration"),
    "volunteer.member_added": _l("Added to a household's phone with its PIN at the desk"),
}

#: The teams' actions, in every change log that lists them (audit/labels.py).
AUDIT_LABELS.update(TEAM_AUDIT_LABELS)
AUDIT_LABELS.update(MENU_AUDIT_LABELS)

#: The activity's fields as the change log names them ("activity.update").
ACTIVITY_FIELD_LABELS = {
    "title": _l("Title"),
    "category_id": _l("Category"),
    "unit_id": _l("Station"),
    "place": _l("Place"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "capacity": _l("Volunteers needed"),
    "description": _l("Description"),
    "rotate_seconds": _l("Projector code changes every (seconds)"),
    "allow_static_code": _l("Poster code accepted"),
    "team_id": _l("Team in charge"),
    "members_only": _l("Sign-ups for the team's members only"),
}

#: Actions whose entries carry a typed reason (in the entry's personal values).
AUDIT_REASON_ACTIONS = frozenset(
    {"hours.adjust", "hours.add", "correction.request", "correction.accept", "correction.decline"}
)
