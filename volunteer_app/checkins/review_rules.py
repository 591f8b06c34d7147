"""Rules for reviewing hours after an activity: pure functions, time passed in.

- Records still open at the end are closed at the end time with 0 h and marked for
  review: a forgotten check-out is not evidence of service, so nothing is credited
  until an organizer looks (and adjusts, with a reason, if the person did serve).
- An adjustment sets one record's hours (0 to the activity's length, in half hours)
  and needs a reason; it makes the hours the organizer's (origin ``organizer``).
- Hours can also be added after the end for someone who served but has no record at
  all (no smartphone, forgot to scan): same limits and reason as an adjustment.
- Confirmation (志愿服务时长确认) is for an activity that has ended, with no record
  still open or awaiting review; confirmed hours count toward star levels.
- Optional minimum presence: scanned time counts only if the stay covered at least
  ``percent`` of the activity's length (0 switches the rule off).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from volunteer_app.checkins.rules import HOURS_STEP_MINUTES
from volunteer_app.errors import DomainError

#: The longest reason kept with an adjustment.
REASON_MAX_LENGTH = 500


class HoursError(DomainError):
    """A change to hours was refused; ``code`` says why."""

    status = 409
    messages = {
        "not_ended": _l("This can only be done after the activity has ended."),
        "not_held": _l("This activity is a draft or cancelled, so it has no hours."),
        "reason_required": _l("Please give a reason for the change."),
        "reason_too_long": _l("The reason is too long (at most 500 characters)."),
        "hours_invalid": _l("Enter the hours in steps of 0.5, e.g. 2 or 2.5."),
        "hours_exceed_duration": _l("The hours cannot be longer than the activity itself."),
        "still_open": _l("This volunteer has not checked out yet. Close open check-ins first."),
        "open_checkins": _l(
            "Some volunteers have not checked out yet. Close open check-ins first."
        ),
        "needs_review": _l("Some records are marked for review. Adjust or keep them first."),
        "nothing_to_confirm": _l("There are no pending hours to confirm."),
        "already_recorded": _l("This volunteer already has a record here. Adjust it instead."),
        "future_hours": _l(
            "The hours cannot be longer than the part of the activity that has already passed."
        ),
    }


def validate_held(status: str) -> None:
    """Refuse hours work on draft and cancelled activities."""
    if status in ("draft", "cancelled"):
        raise HoursError("not_held")


def validate_close(*, status: str, now: datetime, ends_at: datetime) -> None:
    """Open check-ins may be closed once the activity has ended."""
    validate_held(status)
    if now < ends_at:
        raise HoursError("not_ended")


def validate_adjustment(
    *,
    minutes: int,
    duration_minutes: int,
    reason: str,
    checked_out: bool,
    passed_minutes: int | None = None,
) -> str:
    """Check one adjustment; return the cleaned reason.

    ``passed_minutes`` is how much of the activity's schedule lies before now: hours
    beyond it would be time not served yet (``future_hours``).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise HoursError("reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise HoursError("reason_too_long")
    if minutes < 0 or minutes % HOURS_STEP_MINUTES:
        raise HoursError("hours_invalid")
    if minutes > duration_minutes:
        raise HoursError("hours_exceed_duration")
    if not checked_out:
        raise HoursError("still_open")
    if passed_minutes is not None and minutes > max(passed_minutes, 0):
        raise HoursError("future_hours")
    return reason


def validate_addition(
    *,
    status: str,
    now: datetime,
    ends_at: datetime,
    has_record: bool,
    minutes: int,
    duration_minutes: int,
    reason: str,
) -> str:
    """Check hours added after the end for a volunteer without a record; return the reason."""
    validate_held(status)
    if now < ends_at:
        raise HoursError("not_ended")
    if has_record:
        raise HoursError("already_recorded")
    return validate_adjustment(
        minutes=minutes, duration_minutes=duration_minutes, reason=reason, checked_out=True
    )


def compute_passed_minutes(starts_at: datetime, ends_at: datetime, now: datetime) -> int:
    """Minutes of the schedule [starts_at, ends_at] that lie before ``now`` (0 before start)."""
    end = min(ends_at, now)
    return max(int((end - starts_at).total_seconds() // 60), 0)


def compute_stay_minutes(
    checked_in_at: datetime, checked_out_at: datetime, starts_at: datetime, ends_at: datetime
) -> int:
    """Minutes of a stay within the schedule, not rounded: what the record's times cover."""
    begin, end = max(checked_in_at, starts_at), min(checked_out_at, ends_at)
    return max(int((end - begin).total_seconds() // 60), 0)


def hours_to_minutes(hours: float) -> int:
    """Hours entered by a person (e.g. 2.5) as minutes; HoursError if not a half-hour step."""
    minutes = round(hours * 60)
    if abs(hours * 60 - minutes) > 1e-6 or minutes < 0 or minutes % HOURS_STEP_MINUTES:
        raise HoursError("hours_invalid")
    return minutes


def validate_confirmation(
    *,
    status: str,
    now: datetime,
    ends_at: datetime,
    open_count: int,
    review_count: int,
    pending_count: int,
) -> None:
    """Raise HoursError unless an activity's pending hours may all be confirmed now."""
    validate_held(status)
    if now < ends_at:
        raise HoursError("not_ended")
    if open_count:
        raise HoursError("open_checkins")
    if review_count:
        raise HoursError("needs_review")
    if not pending_count:
        raise HoursError("nothing_to_confirm")


def meets_min_presence(
    checked_in_at: datetime,
    checked_out_at: datetime,
    starts_at: datetime,
    ends_at: datetime,
    percent: int,
) -> bool:
    """Whether the stay, clipped to the activity, covered ``percent`` of its length."""
    if percent <= 0:
        return True
    begin = max(checked_in_at, starts_at)
    end = min(checked_out_at, ends_at)
    present = max((end - begin).total_seconds(), 0)
    return present * 100 >= (ends_at - starts_at).total_seconds() * percent


def is_repeat_adjustment(
    *, minutes: int, new_minutes: int, by_organizer: bool, needs_review: bool, checked_out: bool
) -> bool:
    """Whether setting ``new_minutes`` repeats an adjustment already made (nothing to change,
    nothing to log twice): the record already holds these organizer's minutes, reviewed."""
    return minutes == new_minutes and by_organizer and not needs_review and checked_out


def is_repeat_keep(*, needs_review: bool, checked_out: bool) -> bool:
    """Whether keeping a record's hours repeats a keep already made (no review mark left)."""
    return not needs_review and checked_out
