"""Records queued on an organizer's phone while it was offline, uploaded when it is back.

Two pages queue records: the scanner (a volunteer's card was read) and the manual
check-in page (a volunteer was ticked and "Check in ticked" or "Check out ticked" was
pressed). Both go through ``record_queued``, the one path for queued records.

The phone decides what each queued record means (the scanner: the first scan of a card
checks its volunteer in, the next one out; the manual page: the button pressed) and sends
that action with the time of the scan or tick. Uploading the same record twice is
harmless: a second check-in is refused as ``already_checked_in`` and a second check-out
as ``already_checked_out``, which the page counts as done. The device's time is used only
when it is plausible (``rules.compute_scan_time``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.auth import scoping
from volunteer_app.auth.models import User
from volunteer_app.checkins import organizer, rules
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.notes import closed_elsewhere_note
from volunteer_app.checkins.rules import Action
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.volunteers.cards import volunteer_for_card
from volunteer_app.volunteers.models import Volunteer

#: Audit actions of queued records, by the page that queued them.
SOURCES = {"scan": "scan.queued", "tick": "manual.queued"}


class QueuedRecordError(DomainError):
    """A queued record names no volunteer that can be recorded."""

    status = 400
    messages = {
        "unknown_volunteer": _l("This volunteer is not registered (any more)."),
    }


@dataclass(frozen=True)
class QueuedRecord:
    """The result of one uploaded record."""

    volunteer: Volunteer
    action: Action
    recorded_at: datetime
    #: The device's time was implausible, so the server's time was recorded instead.
    time_refused: bool
    minutes: int = 0
    over_capacity: bool = False
    #: What the check-in closed elsewhere, said to the organizer ("" if nothing).
    note: str = ""


def record_queued(
    activity: Activity,
    user: User,
    volunteer: Volunteer,
    *,
    action: Action,
    acted_at: datetime | None,
    now: datetime,
    source: str,
) -> QueuedRecord:
    """Check a volunteer in or out (as the device decided) at the device's time of action.

    ``acted_at`` is when the phone scanned the card or the organizer ticked the volunteer;
    it is kept when plausible, else the upload time ``now`` is recorded. CheckInError when
    the rules refuse at the recorded time (e.g. ``closed``, ``not_checked_in``,
    ``already_checked_in``), with the volunteer's name attached as ``volunteer_name``.
    ``source`` (``scan`` or ``tick``) names the page, for the audit log.
    """
    return record_queued_by(
        activity,
        organizer.Recorder.organizer(user),
        volunteer,
        action=action,
        acted_at=acted_at,
        now=now,
        source=source,
    )


def record_queued_by(
    activity: Activity,
    by: organizer.Recorder,
    volunteer: Volunteer,
    *,
    action: Action,
    acted_at: datetime | None,
    now: datetime,
    source: str,
) -> QueuedRecord:
    """``record_queued`` for any recorder (an organizer or a team leader)."""
    window = checkins.window_for(activity)
    at, refused = rules.compute_scan_time(
        acted_at, now=now, opens_at=window.opens_at, closes_at=window.checkout_until
    )
    try:
        record, over = organizer.check_one_on_behalf(activity, by, volunteer, action, now=at)
    except DomainError as error:
        error.volunteer_name = volunteer.name  # the page lists refusals by name
        raise
    audit.record(
        SOURCES[source],
        now=now,
        **by.actor(),
        activity_id=activity.id,
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        new={
            "action": action.value,
            "scanned_at": acted_at.isoformat() if acted_at else None,
            "recorded_at": at.isoformat(),
            "device_time_refused": refused,
        },
    )
    db.session.flush()
    note = closed_elsewhere_note(record)
    return QueuedRecord(volunteer, action, at, refused, record.minutes or 0, over, note)


def record_queued_scan(
    activity: Activity,
    user: User,
    code: str,
    *,
    action: Action,
    scanned_at: datetime | None,
    now: datetime,
) -> QueuedRecord:
    """Record a scan of a volunteer's card queued on the scanner page.

    CardError for a forged or unknown card, or one of someone ``user`` may not record here
    (the same answer); otherwise as ``record_queued``.
    """
    return record_queued_scan_within(
        activity,
        organizer.Recorder.organizer(user),
        scoping.volunteer_may_be_recorded(user, activity),
        code,
        action=action,
        scanned_at=scanned_at,
        now=now,
    )


def record_queued_scan_within(
    activity: Activity,
    by: organizer.Recorder,
    within: ColumnElement[bool],
    code: str,
    *,
    action: Action,
    scanned_at: datetime | None,
    now: datetime,
) -> QueuedRecord:
    """``record_queued_scan`` for any recorder: a card of someone outside ``within`` gets
    the answer a forged or unknown card gets."""
    volunteer = volunteer_for_card(
        current_app.config["SECRET_KEY"], organizer.card_code_from(code), within
    )
    return record_queued_by(
        activity, by, volunteer, action=action, acted_at=scanned_at, now=now, source="scan"
    )


def record_queued_tick(
    activity: Activity,
    user: User,
    volunteer_id: int,
    *,
    action: Action,
    ticked_at: datetime | None,
    now: datetime,
) -> QueuedRecord:
    """Record a tick queued on the manual check-in page (one volunteer per record).

    QueuedRecordError("unknown_volunteer") when the volunteer does not exist, deleted
    their account since the phone downloaded its roster, or is no one ``user`` may record
    here (``scoping.recordable_volunteers``: the same answer); otherwise as
    ``record_queued``.
    """
    volunteer = db.session.scalar(
        scoping.recordable_volunteers(user, activity).where(Volunteer.id == volunteer_id)
    )
    if volunteer is None:
        raise QueuedRecordError("unknown_volunteer")
    return record_queued(
        activity, user, volunteer, action=action, acted_at=ticked_at, now=now, source="tick"
    )
