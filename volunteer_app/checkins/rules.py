"""Check-in rules: pure functions of plain values. No Flask, no database, time passed in.

The hours rule, stated once
---------------------------
Credited time = check-out − check-in, after clipping both ends to the activity's
scheduled time [start, end], rounded *down* to a whole half hour. Arriving early or
leaving late earns nothing extra (travel and waiting are not service, Art. 7 of the
national rule); a stay of 29 minutes earns 0 h, 30–59 minutes earn 0.5 h.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError
from volunteer_app.params import year_in_range

#: Hours are credited in steps of this many minutes.
HOURS_STEP_MINUTES = 30


class CheckInError(DomainError):
    """A check-in or check-out was refused; ``code`` says why."""

    status = 409
    messages = {
        "draft": _l("This activity has not been published yet."),
        "cancelled": _l("This activity has been cancelled."),
        "not_open_yet": _l("Check-in has not opened yet."),
        "closed": _l("Check-in for this activity has closed."),
        "checkout_closed": _l("Check-out for this activity has closed."),
        "already_checked_in": _l("You have already checked in to this activity."),
        "not_checked_in": _l("You have not checked in to this activity yet."),
        "already_checked_out": _l("You have already checked out of this activity."),
        "correction_times": _l("The check-out time must be after the check-in time."),
        "account_deleted": _l("This volunteer's account has been deleted."),
        "not_on_this_phone": _l("Please tick the volunteers of this phone who are here."),
        "overlaps": _l(
            "This volunteer has another record at the same time. One person's service time "
            "cannot overlap itself: correct or void the other record first."
        ),
        "future": _l("A record cannot hold time that has not passed yet."),
        "outside_activity": _l("The times must lie within the activity's check-in window."),
        "before_check_in": _l("The check-out time cannot be before the check-in time."),
        "voided_here": _l(
            "This volunteer's record at this activity was voided. An organizer can restore it."
        ),
    }


class Action(enum.StrEnum):
    """What a volunteer can do next at an activity."""

    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    DONE = "done"


@dataclass(frozen=True)
class Window:
    """When check-in and check-out are accepted for one activity."""

    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    checkout_until: datetime


def compute_window(
    starts_at: datetime,
    ends_at: datetime,
    *,
    opens_before: timedelta,
    closes_after: timedelta = timedelta(0),
    checkout_grace: timedelta = timedelta(0),
) -> Window:
    """Build an activity's check-in window from its schedule and the configured margins."""
    return Window(
        starts_at=starts_at,
        ends_at=ends_at,
        opens_at=starts_at - opens_before,
        closes_at=ends_at + closes_after,
        checkout_until=ends_at + max(checkout_grace, closes_after),
    )


def validate_status(status: str) -> None:
    """Refuse any check-in or check-out at a draft or cancelled activity."""
    if status == "draft":
        raise CheckInError("draft")
    if status == "cancelled":
        raise CheckInError("cancelled")


def validate_check_in(
    *, status: str, window: Window, now: datetime, checked_in_at: datetime | None
) -> None:
    """Raise CheckInError unless a volunteer may check in now.

    ``checked_in_at`` is the volunteer's existing check-in at this activity, if any.
    """
    validate_status(status)
    if checked_in_at is not None:
        raise CheckInError("already_checked_in")
    if now < window.opens_at:
        raise CheckInError("not_open_yet")
    if now > window.closes_at:
        raise CheckInError("closed")


def validate_check_out(
    *,
    status: str,
    window: Window,
    now: datetime,
    checked_in_at: datetime | None,
    checked_out_at: datetime | None,
) -> None:
    """Raise CheckInError unless a volunteer who checked in may check out now."""
    validate_status(status)
    if checked_in_at is None:
        raise CheckInError("not_checked_in")
    if checked_out_at is not None:
        raise CheckInError("already_checked_out")
    if now > window.checkout_until:
        raise CheckInError("checkout_closed")


def compute_minutes(
    checked_in_at: datetime, checked_out_at: datetime, starts_at: datetime, ends_at: datetime
) -> int:
    """Credited minutes for one stay: clipped to [start, end], rounded down to 30 minutes."""
    begin = max(checked_in_at, starts_at)
    end = min(checked_out_at, ends_at)
    if end <= begin:
        return 0
    minutes = int((end - begin).total_seconds() // 60)
    return minutes - minutes % HOURS_STEP_MINUTES


def validate_record_times(
    checked_in_at: datetime, checked_out_at: datetime, *, window: Window, now: datetime
) -> None:
    """Raise CheckInError unless a closed record's times can be credited (corrections).

    No time from the future (``future``: either end after ``now``), none outside the
    activity's check-in window, which runs from check-in opening to the end of the
    check-out grace (``outside_activity``), and a check-out after the check-in
    (``correction_times``). Credited minutes are then clipped to the schedule
    (``compute_minutes``).
    """
    if checked_out_at <= checked_in_at:
        raise CheckInError("correction_times", status=400)
    if checked_in_at > now or checked_out_at > now:
        raise CheckInError("future", status=400)
    if checked_in_at < window.opens_at or checked_out_at > window.checkout_until:
        raise CheckInError("outside_activity", status=400)


def validate_check_out_time(checked_in_at: datetime, at: datetime) -> None:
    """Refuse a check-out recorded before its check-in (a queued upload's device time)."""
    if at < checked_in_at:
        raise CheckInError("before_check_in")


# --- one person's service time never overlaps itself -----------------------------------


@dataclass(frozen=True)
class Stay:
    """One of a volunteer's live records, as an interval [begins_at, ends_at).

    ``ends_at`` None means still checked in (the stay runs on). ``record_id`` and
    ``activity_id`` let the caller say which record it is.
    """

    record_id: int
    activity_id: int
    begins_at: datetime
    ends_at: datetime | None


def overlaps(
    begins_at: datetime,
    ends_at: datetime | None,
    other_begins: datetime,
    other_ends: datetime | None,
) -> bool:
    """Whether two half-open intervals share time (None as an end: open to the future).

    Touching ends (one stay ends at the minute the next begins) do not overlap.
    """
    first_before_second_ends = other_ends is None or begins_at < other_ends
    second_before_first_ends = ends_at is None or other_begins < ends_at
    return first_before_second_ends and second_before_first_ends


def find_overlap(
    begins_at: datetime, ends_at: datetime | None, others: Iterable[Stay]
) -> Stay | None:
    """The earliest of ``others`` that shares time with [begins_at, ends_at), or None."""
    hits = [s for s in others if overlaps(begins_at, ends_at, s.begins_at, s.ends_at)]
    return min(hits, key=lambda s: (s.begins_at, s.record_id), default=None)


def validate_no_overlap(
    begins_at: datetime, ends_at: datetime | None, others: Iterable[Stay]
) -> None:
    """Raise CheckInError("overlaps") if the interval shares time with another stay."""
    if find_overlap(begins_at, ends_at, others) is not None:
        raise CheckInError("overlaps")


def overlapping_pairs(stays: Iterable[Stay]) -> list[tuple[Stay, Stay]]:
    """Every pair of one person's stays that share time (``overlaps``), the earlier first.

    What the rule refuses today, found in records written before it existed
    (``flask check-overlaps``).
    """
    ordered = sorted(stays, key=lambda s: (s.begins_at, s.record_id))
    pairs = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if first.ends_at is not None and second.begins_at >= first.ends_at:
                break  # sorted by beginning: no later stay reaches back into ``first``
            if overlaps(first.begins_at, first.ends_at, second.begins_at, second.ends_at):
                pairs.append((first, second))
    return pairs


def shared_minutes(first: Stay, second: Stay, *, now: datetime) -> int:
    """The whole minutes two stays share; a stay still open runs until ``now``."""
    begins_at = max(first.begins_at, second.begins_at)
    ends_at = min(first.ends_at or now, second.ends_at or now)
    return max(0, int((ends_at - begins_at).total_seconds() // 60))


def plan_check_in(at: datetime, others: Iterable[Stay]) -> list[Stay]:
    """The open stays a check-in at ``at`` closes elsewhere ("check-in at B checks out of A").

    A check-in starts a stay [at, ...). An open stay that began before ``at`` is closed at
    ``at``: the person has left it. Anything else sharing time refuses the check-in with
    ``overlaps``: a closed stay that ends after ``at`` (a queued scan from the past landing
    inside another record), or an open stay that began at or after ``at``.
    """
    to_close: list[Stay] = []
    for stay in others:
        if stay.ends_at is None and stay.begins_at < at:
            to_close.append(stay)
        elif overlaps(at, None, stay.begins_at, stay.ends_at):
            raise CheckInError("overlaps")
    return sorted(to_close, key=lambda s: (s.begins_at, s.record_id))


def next_action(checked_in_at: datetime | None, checked_out_at: datetime | None) -> Action:
    """What the volunteer's next scan offers: check in, check out, or nothing more."""
    if checked_in_at is None:
        return Action.CHECK_IN
    if checked_out_at is None:
        return Action.CHECK_OUT
    return Action.DONE


def is_early_check_out(
    checked_in_at: datetime, now: datetime, starts_at: datetime, ends_at: datetime
) -> bool:
    """Whether checking out at ``now`` would credit less than the first hours step (a
    second scan a minute after the first, the back button): ask before doing it."""
    return compute_minutes(checked_in_at, now, starts_at, ends_at) < HOURS_STEP_MINUTES


# --- records queued offline: the device's time of a scan or tick -----------------------


class ScanTimeError(DomainError):
    """A queued scan's time could not be read."""

    status = 400
    messages = {
        "scan_time_invalid": _l("The scan time sent by the device could not be read."),
    }


def parse_scan_time(raw: str | None) -> datetime | None:
    """A device's scan time: ISO 8601 with a UTC offset (as JavaScript's toISOString gives).

    Empty means none. A time without an offset is refused: a phone's local time alone
    says nothing about the instant.
    """
    text = (raw or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScanTimeError("scan_time_invalid") from None
    if moment.tzinfo is None or moment.utcoffset() is None or not year_in_range(moment.year):
        raise ScanTimeError("scan_time_invalid")  # year 1 or 9999 would overflow in UTC
    return moment.astimezone(UTC)


def compute_scan_time(
    scanned_at: datetime | None, *, now: datetime, opens_at: datetime, closes_at: datetime
) -> tuple[datetime, bool]:
    """The time to record for an organizer's scan, and whether the device's time was refused.

    A scan queued offline carries the time the organizer's phone read the card. That time
    is kept only when it is plausible: not in the future (by the server's clock) and
    within the activity's check-in window [``opens_at``, ``closes_at``]. Otherwise the
    server's time is recorded and the second value is True, so the page can say so.
    A scan without a device time (sent at once, online) is recorded at server time.
    """
    if scanned_at is None:
        return now, False
    if scanned_at > now or scanned_at < opens_at or scanned_at > closes_at:
        return now, True
    return scanned_at, False


# --- activities run by a team for its members (指定志愿队伍招募) ---------------------------


class MembersOnlyError(CheckInError):
    """A volunteer who is not a member of the team asked to take part in an activity that
    is the team's members' only; the message names the team."""

    status = 403
    messages = {
        "members_only": _l("Only members of the team “%(team)s” may take part in this activity."),
    }

    def __init__(self, code: str, team: str) -> None:
        super().__init__(code)
        self.team = team
        self.details = {"team": team}

    @property
    def message(self) -> str:
        """The message, naming the team."""
        return str(self.messages[self.code]) % {"team": self.team}


def validate_members_only(*, members_only: bool, team_name: str | None, is_member: bool) -> None:
    """Refuse a volunteer's own sign-up or check-in at an activity open to its team's members
    only (``members_only``) unless they are an active member (``is_member``).

    Only the volunteer's own ways in are refused this way (sign-up, scan, self check-in by
    the API); an organizer at the desk decides for themselves, and a team leader records
    only members anyway. An activity without a team is open to everyone.
    """
    if members_only and team_name is not None and not is_member:
        raise MembersOnlyError("members_only", team=team_name)
