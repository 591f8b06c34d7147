"""Translated labels of statuses, origins and audit actions, shared by the console pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    "hours.review_keep": _l("Hours kept after review"),
    "hours.confirm": _l("Hours confirmed"),
    "checkin.by_organizer": _l("Checked in by organizer"),
    "checkout.by_organizer": _l("Checked out by organizer"),
    "volunteer.walk_in": _l("Walk-in registered"),
    "scan.queued": _l("Scan uploaded after being offline"),
    "manual.queued": _l("Check-in by organizer uploaded after being offline"),
    "activity.checkin_code_renewed": _l("Check-in QR code replaced (the old one no longer works)"),
    "activity.kiosk_link_renewed": _l("Kiosk link replaced (the old links no longer work)"),
}
