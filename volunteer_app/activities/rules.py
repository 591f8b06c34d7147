"""Activity rules: pure functions of plain values. No Flask, no database, time passed in.

Lifecycle
---------
::

    draft ──publish──▶ published ──finish──▶ finished
      │                   │
      └────cancel─────────┴──cancel──▶ cancelled

A draft can also be cancelled; a published activity may go back to draft only while
nobody has checked in. Finished and cancelled are final. An activity can be finished
only once it has ended, and cancelled only while nobody has checked in (cancelling
would silently drop the hours of those who came).

Recording deadline
------------------
Hours must be recorded within 10 working days after the activity ends (Art. 11 of the
national rule). Working days here are Monday to Friday in local time; public holidays
and their swapped working weekends are not modelled, so the deadline errs early.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError

DRAFT, PUBLISHED, FINISHED, CANCELLED = "draft", "published", "finished", "cancelled"

#: Allowed status changes (target statuses by current status).
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({PUBLISHED, CANCELLED}),
    PUBLISHED: frozenset({DRAFT, FINISHED, CANCELLED}),
    FINISHED: frozenset(),
    CANCELLED: frozenset(),
}

#: Working days after the end within which hours must be recorded.
RECORDING_DEADLINE_WORKING_DAYS = 10


class LifecycleError(DomainError):
    """A change to an activity's status or details was refused."""

    status = 409
    messages = {
        "invalid_transition": _l("This change of status is not possible."),
        "not_ended": _l("This can only be done after the activity has ended."),
        "has_checkins": _l(
            "Volunteers have already checked in, so this activity cannot be cancelled "
            "or turned back into a draft."
        ),
        "locked": _l("A finished or cancelled activity can no longer be edited."),
    }


def validate_transition(
    current: str, target: str, *, now: datetime, ends_at: datetime, checkin_count: int
) -> None:
    """Raise LifecycleError unless ``current`` may become ``target`` now."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise LifecycleError("invalid_transition")
    if target == FINISHED and now < ends_at:
        raise LifecycleError("not_ended")
    if target in (CANCELLED, DRAFT) and checkin_count > 0:
        raise LifecycleError("has_checkins")


def validate_editable(status: str) -> None:
    """Raise LifecycleError("locked") for finished and cancelled activities."""
    if status in (FINISHED, CANCELLED):
        raise LifecycleError("locked")


def validate_team_settings(
    *, team_found: bool | None, team_active: bool, team_unchanged: bool, members_only: bool
) -> None:
    """Raise ActivityTeamError unless an activity's team settings may be saved.

    ``team_found`` is None when no team is named, else whether the team belongs to the
    activity's unit or a unit above it (a team of another station is ``team_not_allowed``,
    as is an id that names no team). A disabled team takes no new activities
    (``team_disabled``) but stays on those it already runs (``team_unchanged``). "Members
    only" needs a team (``members_only_needs_team``).
    """
    if team_found is None:
        if members_only:
            raise ActivityTeamError("members_only_needs_team")
        return
    if not team_found:
        raise ActivityTeamError("team_not_allowed")
    if not team_active and not team_unchanged:
        raise ActivityTeamError("team_disabled")


class ActivityTeamError(DomainError):
    """An activity's team settings were refused."""

    status = 400
    messages = {
        "team_not_allowed": _l("Please choose a team of this station or of a unit above it."),
        "team_disabled": _l("This team is disabled and takes no new activities."),
        "members_only_needs_team": _l(
            "Choose the team first: only an activity run by a team can be limited to its members."
        ),
    }


def allowed_targets(current: str) -> list[str]:
    """The statuses an activity may move to from ``current``, in a stable order."""
    order = [PUBLISHED, FINISHED, DRAFT, CANCELLED]
    return [s for s in order if s in TRANSITIONS.get(current, frozenset())]


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days (Mon–Fri) after ``start``."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def recording_deadline(ended_on: date) -> date:
    """The last day on which an activity that ended on ``ended_on`` should have its hours."""
    return add_working_days(ended_on, RECORDING_DEADLINE_WORKING_DAYS)


def is_recording_overdue(*, ended_on: date, today: date, pending_count: int) -> bool:
    """True when hours are still unconfirmed after the recording deadline."""
    return pending_count > 0 and today > recording_deadline(ended_on)


def shift_to_new_start(
    starts_at: datetime, ends_at: datetime, new_starts_at: datetime
) -> tuple[datetime, datetime]:
    """A duplicate's schedule: the same length, starting at ``new_starts_at``."""
    return new_starts_at, new_starts_at + (ends_at - starts_at)
