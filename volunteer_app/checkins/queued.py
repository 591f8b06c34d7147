"""The one edge for records queued offline: the scanner and the manual check-in page both
upload each queued record as a form post and get the same JSON answer back.

``{"ok": true, "action", "name", "recorded_at", "time_refused", "over_capacity",
"message"}`` when recorded; ``{"ok": false, "code", "name", "message"}`` with the
refusal's HTTP status otherwise. The pages' script (static/js/offline-queue.js) treats
``already_checked_in`` / ``already_checked_out`` as done: that is what makes an upload
repeated after a lost answer harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import jsonify, request
from flask_babel import format_datetime
from flask_babel import gettext as _

from volunteer_app.checkins import rules
from volunteer_app.checkins.offline import QueuedRecord
from volunteer_app.checkins.rules import Action
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.formatting import format_hours

#: Records one queued item: (the device's time of the scan or tick, now) → the result.
Recorder = Callable[[datetime | None, datetime], QueuedRecord]


def wants_json() -> bool:
    """The page's script asked for JSON (a form post without it gets a page)."""
    return request.accept_mimetypes.best == "application/json"


def refuse(code: str, message: str, status: int = 400):
    """A JSON refusal of a queued record that could not be read."""
    return jsonify(ok=False, code=code, name=None, message=message), status


def answer(record: Recorder, raw_time: str | None):
    """Record one queued item at its (plausible) device time, commit, and answer in JSON."""
    now = utcnow()
    try:
        acted_at = rules.parse_scan_time(raw_time)
        result = record(acted_at, now)
    except DomainError as error:
        message, name = error.message, getattr(error, "volunteer_name", None)
        if name:
            message = _("%(name)s: %(reason)s", name=name, reason=message)
        return jsonify(ok=False, code=error.code, name=name, message=message), error.status
    name, at = result.volunteer.name, format_datetime(result.recorded_at, "HH:mm")
    if result.action == Action.CHECK_IN:
        message = _("%(name)s: checked in at %(time)s", name=name, time=at)
    else:
        message = _(
            "%(name)s: checked out at %(time)s, %(hours)s h",
            name=name,
            time=at,
            hours=format_hours(result.minutes),
        )
    if result.time_refused:
        message += " · " + _(
            "The phone's clock did not match the activity, so the upload time was recorded."
        )
    if result.over_capacity:
        message += " · " + _("Over capacity")
    if result.note:
        message += " · " + result.note
    return jsonify(
        ok=True,
        action=result.action.value,
        name=name,
        recorded_at=result.recorded_at.isoformat(),
        time_refused=result.time_refused,
        over_capacity=result.over_capacity,
        message=message,
    )
