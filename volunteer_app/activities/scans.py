"""Scans queued on an organizer's phone while it was offline, uploaded when it is back.

The phone decides what each queued scan means (the first scan of a card checks its
volunteer in, the next one out: it remembers the cards it has seen) and sends that
action with the time it read the card. Uploading the same scan twice is harmless: a
second check-in is refused as ``already_checked_in`` and a second check-out as
``already_checked_out``, which the page counts as done. The device's time is used only
when it is plausible (``rules.compute_scan_time``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ..audit import services as audit
from ..auth.models import User
from ..checkins import organizer
from ..checkins import services as checkins
from ..checkins.rules import Action
from ..errors import DomainError
from ..extensions import db
from ..volunteers.cards import CardError, verify_card
from ..volunteers.models import Volunteer
from . import rules
from .models import Activity


@dataclass(frozen=True)
class QueuedScan:
    """The result of one uploaded scan."""

    volunteer: Volunteer
    action: Action
    recorded_at: datetime
    #: The device's time was implausible, so the server's time was recorded instead.
    time_refused: bool
    minutes: int = 0
    over_capacity: bool = False


def record_queued_scan(
    activity: Activity,
    user: User,
    code: str,
    *,
    action: Action,
    scanned_at: datetime | None,
    now: datetime,
) -> QueuedScan:
    """Check the card's volunteer in or out (as the device decided) at the scan's time.

    CardError for a forged or unknown card; CheckInError when the rules refuse at the
    recorded time (e.g. ``closed``, ``not_checked_in``, ``already_checked_in``), with the
    volunteer's name attached as ``volunteer_name``.
    """
    volunteer_id = verify_card(current_app.config["SECRET_KEY"], organizer.card_code_from(code))
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise CardError("invalid")
    window = checkins.window_for(activity)
    at, refused = rules.compute_scan_time(
        scanned_at, now=now, opens_at=window.opens_at, closes_at=window.checkout_until
    )
    try:
        record, over = organizer.check_one(activity, user, volunteer, action, now=at)
    except DomainError as error:
        error.volunteer_name = volunteer.name  # the page lists refusals by name
        raise
    audit.record(
        "scan.queued",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        new={
            "action": action.value,
            "scanned_at": scanned_at.isoformat() if scanned_at else None,
            "recorded_at": at.isoformat(),
            "device_time_refused": refused,
        },
    )
    db.session.flush()
    return QueuedScan(volunteer, action, at, refused, record.minutes or 0, over)
