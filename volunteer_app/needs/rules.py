"""The status machine of a resident's order (点单 → 审单 → 派单 → 接单 → 服务 → 评单), its
deadlines and its figures: pure functions, plain values in, a value out or a ``NeedError``
with a stable code.

Each step (``Step``) names who may take it (``Role``) and the statuses it starts from; the
services (``needs/services.py``) find the actor's role for the order (the organizers of the
unit that holds it, the leaders of the team it was dispatched to, the resident by the
tracking link) and log every step as a ``NeedEvent``.

- 审单: the holding unit accepts a new or escalated order, rejects it (a reason, shown to
  the resident alone), or passes it up the tree (上报, again and again up to the district).
- 派单: an accepted (or escalated) order goes to a team, with a deadline to take it.
- 接单: the team's leader, or an organizer, takes it (its activity is made then), or declines
  it with a reason ("不方便接单"), which sends it back to be dispatched again.
- 服务 → 办结: its activity running puts it in service; the team completes it with a note.
- 评单: the resident rates a completed order once: 服务质量 and 服务态度, 1–5 stars.
- The resident may withdraw (撤单) an order until it is taken, and urge it (催单) once a
  calendar day while it waits.
"""

from __future__ import annotations

import enum
import re
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError
from volunteer_app.needs.models import (
    ADDRESS_MAX,
    COMMENT_MAX,
    CONTACT_MAX,
    DESCRIPTION_MAX,
    NOTES_MAX,
    REASON_MAX,
    TITLE_MAX,
    NeedStatus,
)

S = NeedStatus


class NeedError(DomainError):
    """An order's rule said no."""

    status = 409
    messages = {
        "not_allowed": _l("You may not take this step for this order."),
        "wrong_status": _l("This order has moved on: reload the page to see where it stands."),
        "reason_required": _l("Please give a reason."),
        "reason_too_long": _l("The reason is too long (at most 200 characters)."),
        "note_required": _l("Please write a short note on how the service went."),
        "no_unit_above": _l("There is no level above to pass this order to."),
        "team_required": _l("Please choose the team to dispatch the order to."),
        "deadline_past": _l("The deadline to take the order must be later than now."),
        "stars_invalid": _l("Please give 1 to 5 stars for quality and for attitude."),
        "comment_too_long": _l("The comment is too long (at most 200 characters)."),
        "urged_today": _l("You have urged this order today already; try again tomorrow."),
        "not_ended": _l(
            "Your details are needed while the order runs: withdraw it first, or wait until "
            "it is completed."
        ),
        "already_erased": _l("Your details have already been erased from this order."),
    }


class Role(enum.StrEnum):
    """Who takes a step on an order."""

    RESIDENT = "resident"  # by the tracking link
    ORGANIZER = "organizer"  # of the unit holding the order (or one above it)
    LEADER = "leader"  # of the team the order is dispatched to
    SYSTEM = "system"  # the app itself (its activity starts running)


class Step(enum.StrEnum):
    """The steps of an order, by the names its log keeps."""

    ACCEPT = "accept"
    REJECT = "reject"
    ESCALATE = "escalate"
    DISPATCH = "dispatch"
    TAKE = "take"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"
    RATE = "rate"
    WITHDRAW = "withdraw"


#: Before it is taken: what a resident may still withdraw, and urge.
WAITING = frozenset({S.SUBMITTED, S.ACCEPTED, S.ESCALATED, S.DISPATCHED})

#: Each step: the statuses it starts from, the roles that may take it, and where it leads.
MACHINE: dict[Step, tuple[frozenset[NeedStatus], frozenset[Role], NeedStatus]] = {
    Step.ACCEPT: (frozenset({S.SUBMITTED, S.ESCALATED}), frozenset({Role.ORGANIZER}), S.ACCEPTED),
    Step.REJECT: (frozenset({S.SUBMITTED, S.ESCALATED}), frozenset({Role.ORGANIZER}), S.REJECTED),
    Step.ESCALATE: (
        frozenset({S.SUBMITTED, S.ESCALATED, S.ACCEPTED}),
        frozenset({Role.ORGANIZER}),
        S.ESCALATED,
    ),
    Step.DISPATCH: (
        frozenset({S.ACCEPTED, S.ESCALATED}),
        frozenset({Role.ORGANIZER}),
        S.DISPATCHED,
    ),
    Step.TAKE: (frozenset({S.DISPATCHED}), frozenset({Role.LEADER, Role.ORGANIZER}), S.TAKEN),
    Step.DECLINE: (
        frozenset({S.DISPATCHED}),
        frozenset({Role.LEADER, Role.ORGANIZER}),
        S.ACCEPTED,
    ),
    Step.START: (
        frozenset({S.TAKEN}),
        frozenset({Role.SYSTEM, Role.LEADER, Role.ORGANIZER}),
        S.IN_SERVICE,
    ),
    Step.COMPLETE: (
        frozenset({S.TAKEN, S.IN_SERVICE}),
        frozenset({Role.LEADER, Role.ORGANIZER}),
        S.COMPLETED,
    ),
    Step.RATE: (frozenset({S.COMPLETED}), frozenset({Role.RESIDENT}), S.RATED),
    Step.WITHDRAW: (WAITING, frozenset({Role.RESIDENT}), S.WITHDRAWN),
}

#: Statuses an order ends in: no step leads anywhere from them.
FINAL = frozenset({S.REJECTED, S.RATED, S.WITHDRAWN})

#: Statuses the public board shows (never a rejected or withdrawn order, nor a new one).
PUBLIC = frozenset({S.DISPATCHED, S.TAKEN, S.IN_SERVICE, S.COMPLETED, S.RATED})


def steps_from(status: NeedStatus, role: Role) -> list[Step]:
    """The steps ``role`` may take from ``status``, in the machine's order (the buttons)."""
    return [
        step
        for step, (sources, roles, _to) in MACHINE.items()
        if status in sources and role in roles
    ]


def _text(value: str, *, required: str | None, too_long: str, limit: int) -> str:
    """A trimmed free text, or the error for an empty (when required) or long one."""
    value = (value or "").strip()
    if required and not value:
        raise NeedError(required, status=400)
    if len(value) > limit:
        raise NeedError(too_long, status=400)
    return value


def compute_step(
    status: NeedStatus,
    step: Step,
    role: Role,
    *,
    note: str = "",
    has_unit_above: bool = True,
    team_id: int | None = None,
    take_by: datetime | None = None,
    now: datetime | None = None,
) -> tuple[NeedStatus, str]:
    """Where ``step`` by ``role`` leads an order in ``status``, and its note (trimmed).

    NeedError("not_allowed") when the role never takes that step, "wrong_status" when the
    order is not where the step starts (someone else moved it first: the page is stale);
    then each step's own checks: a reason to reject or decline, a completion note, a unit
    above to escalate to, a team and a deadline still ahead to dispatch.
    """
    sources, roles, target = MACHINE[step]
    if role not in roles:
        raise NeedError("not_allowed", status=403)
    if status not in sources:
        raise NeedError("wrong_status")
    required = {
        Step.REJECT: "reason_required",
        Step.DECLINE: "reason_required",
        Step.COMPLETE: "note_required",
    }.get(step)
    kept = _text(note, required=required, too_long="reason_too_long", limit=REASON_MAX)
    if step == Step.ESCALATE and not has_unit_above:
        raise NeedError("no_unit_above", status=400)
    if step == Step.DISPATCH:
        if team_id is None:
            raise NeedError("team_required", status=400)
        if take_by is None or now is None or take_by <= now:
            raise NeedError("deadline_past", status=400)
    return target, kept


@dataclass(frozen=True)
class Rating:
    """A resident's rating after validation."""

    quality: int
    attitude: int
    comment: str


def validate_rating(quality: int | None, attitude: int | None, comment: str = "") -> Rating:
    """1–5 stars each for 服务质量 and 服务态度, and a comment of at most 200 characters."""
    if quality not in range(1, 6) or attitude not in range(1, 6):
        raise NeedError("stars_invalid", status=400)
    kept = _text(comment, required=None, too_long="comment_too_long", limit=COMMENT_MAX)
    return Rating(quality, attitude, kept)


def validate_urge(status: NeedStatus, *, last_urged_on: date | None, today: date) -> None:
    """Whether the resident may urge (催单) now: the order waits, and was not urged on the
    same calendar day (both dates local, Asia/Shanghai)."""
    if status not in WAITING:
        raise NeedError("wrong_status")
    if last_urged_on is not None and last_urged_on >= today:
        raise NeedError("urged_today", status=429)


# --- deadlines --------------------------------------------------------------------------


def compute_due(
    status: NeedStatus,
    *,
    changed_at: datetime,
    take_by: datetime | None,
    respond_hours: int,
    dispatch_hours: int,
) -> datetime | None:
    """When the order's current wait is due (None when nothing waits on the station):
    a new or escalated order must be answered within ``respond_hours`` of arriving where it
    is, an accepted one dispatched within ``dispatch_hours``, a dispatched one taken by its
    ``take_by``."""
    if status in (S.SUBMITTED, S.ESCALATED):
        return changed_at + timedelta(hours=respond_hours)
    if status == S.ACCEPTED:
        return changed_at + timedelta(hours=dispatch_hours)
    if status == S.DISPATCHED:
        return take_by
    return None


def is_overdue(due: datetime | None, *, now: datetime) -> bool:
    """Whether a wait is past its due time."""
    return due is not None and now > due


# --- deadlines (need_policies) ------------------------------------------------------------
# No national value exists: each centre (所) sets its own, or the district sets one for its
# centres; a station follows its centre's. Only centres and the district hold a policy, so a
# station's organizers see their deadlines but never set them (docs/needs.md).

#: The deadlines before any centre or district sets its own.
DEFAULT_RESPOND_HOURS, DEFAULT_DISPATCH_HOURS, DEFAULT_TAKE_HOURS = 24, 48, 48
#: The longest deadline that may be set: 30 days, in whole hours.
POLICY_MAX_HOURS = 720
#: The unit levels that may hold a policy.
POLICY_LEVELS = frozenset({"centre", "district"})
#: The fields of a policy, in the order the page shows them.
POLICY_FIELDS = ("respond_hours", "dispatch_hours", "take_hours")

_WHOLE = re.compile(r"^[+-]?\d+$")


class PolicyError(DomainError):
    """A problem with the deadlines an organizer typed, or the unit they set them for."""

    status = 400
    messages = {
        "hours_required": _l("Please enter a number of hours."),
        "hours_not_whole": _l("Please enter whole hours, e.g. 24."),
        "hours_out_of_range": _l("Please enter between 1 and 720 hours (30 days)."),
        "unit_level": _l(
            "Only a centre or the district sets deadlines; a station follows its centre's."
        ),
    }


@dataclass(frozen=True)
class PolicyHours:
    """A policy's three deadlines, in whole hours, after validation."""

    respond_hours: int
    dispatch_hours: int
    take_hours: int


def _hours_of(text: str | int | None) -> int | str:
    """Whole hours typed into a field, or the code of what is wrong with them."""
    text = str(text if text is not None else "").strip()
    if not text:
        return "hours_required"
    if not _WHOLE.match(text):
        return "hours_not_whole"
    digits = text.lstrip("+-").lstrip("0") or "0"
    if text.startswith("-") or len(digits) > 4:  # never int() of a thousand digits
        return "hours_out_of_range"
    hours = int(digits)
    return hours if 1 <= hours <= POLICY_MAX_HOURS else "hours_out_of_range"


def compute_policy_problems(**fields: str | int | None) -> dict[str, PolicyError]:
    """Every problem of the deadlines form, by field (empty when all is well): each of
    ``POLICY_FIELDS`` must be whole hours from 1 to ``POLICY_MAX_HOURS``."""
    problems: dict[str, PolicyError] = {}
    for name in POLICY_FIELDS:
        hours = _hours_of(fields.get(name))
        if isinstance(hours, str):
            problems[name] = PolicyError(hours)
    return problems


def validate_policy(
    *,
    respond_hours: str | int | None,
    dispatch_hours: str | int | None,
    take_hours: str | int | None,
) -> PolicyHours:
    """The deadlines as whole hours, or a PolicyError carrying every field's problem at once
    (``problems``, by field)."""
    fields = {
        "respond_hours": respond_hours,
        "dispatch_hours": dispatch_hours,
        "take_hours": take_hours,
    }
    problems = compute_policy_problems(**fields)
    if problems:
        error = next(iter(problems.values()))
        error.problems = problems
        raise error
    return PolicyHours(**{name: _hours_of(value) for name, value in fields.items()})


def validate_policy_holder(level: str) -> None:
    """Whether a unit of ``level`` may hold a policy: a centre or the district."""
    if level not in POLICY_LEVELS:
        raise PolicyError("unit_level")


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A unit's order figures for a period, and the rates the districts report."""

    received: int
    rejected: int
    accepted: int
    withdrawn: int
    dispatched: int
    taken: int
    completed: int
    rated: int
    satisfied: int  # ratings with 4–5 stars for both quality and attitude
    hours_to_accept: float | None  # medians, in hours
    hours_to_dispatch: float | None
    hours_to_complete: float | None

    @property
    def take_rate(self) -> float | None:
        """接单率 = taken / dispatched."""
        return _ratio(self.taken, self.dispatched)

    @property
    def completion_rate(self) -> float | None:
        """办结率 = completed / (accepted − withdrawn)."""
        return _ratio(self.completed, self.accepted - self.withdrawn)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 = ratings of 4–5 stars / rated orders."""
        return _ratio(self.satisfied, self.rated)


def _ratio(part: int, whole: int) -> float | None:
    """``part / whole``, None when there is no whole to divide by."""
    return part / whole if whole > 0 else None


def is_satisfied(quality: int, attitude: int) -> bool:
    """Whether a rating counts as satisfied: 4 or 5 stars for both."""
    return quality >= 4 and attitude >= 4


def median_hours(spans: list[timedelta]) -> float | None:
    """The median of the spans in hours, None for none."""
    if not spans:
        return None
    return statistics.median(span.total_seconds() / 3600 for span in spans)


# --- the order form -----------------------------------------------------------------------

_MOBILE = re.compile(r"^1\d{10}$")

#: When an order's activity starts by the part of the day the resident chose (local time);
#: none chosen: the morning.
DAY_PART_STARTS = {None: time(9, 0), "morning": time(9, 0), "afternoon": time(14, 30)}
DAY_PART_STARTS["evening"] = time(19, 0)
#: An order's activity lasts what the resident expects, or an hour; at most a day.
DEFAULT_MINUTES, MAX_MINUTES = 60, 24 * 60


class OrderError(DomainError):
    """A problem with what a resident typed into the order form."""

    status = 400
    messages = {
        "contact_required": _l("Please enter a contact name."),
        "contact_too_long": _l("The contact name is too long (at most 50 characters)."),
        "phone_required": _l("Please enter a mobile number we can call."),
        "phone_invalid": _l("Please enter an 11-digit mobile number."),
        "title_required": _l("Please say in a few words what you need."),
        "title_too_long": _l("The title is too long (at most 30 characters)."),
        "description_too_long": _l("The description is too long (at most 200 characters)."),
        "address_too_long": _l("The address is too long (at most 200 characters)."),
        "notes_too_long": _l("The notes are too long (at most 200 characters)."),
        "date_past": _l("The date you would like has already passed."),
        "date_too_far": _l("Please choose a date within the next 90 days."),
        "minutes_invalid": _l("The expected length must be between 1 minute and a day."),
        "proxy_note_required": _l(
            "Please say who is ordering for whom, e.g. 网格员王芳 for a neighbour."
        ),
        "proxy_note_too_long": _l("The note is too long (at most 50 characters)."),
    }


@dataclass(frozen=True)
class OrderFields:
    """An order's fields after validation (trimmed, the phone's digits only)."""

    contact_name: str
    contact_phone: str
    title: str
    description: str
    address: str
    notes: str
    wanted_date: date | None
    expected_minutes: int | None
    #: Who placed it for whom, for an order by proxy (代点单); empty otherwise.
    proxy_note: str = ""


def compute_order_problems(
    *,
    contact_name: str,
    contact_phone: str,
    title: str,
    description: str = "",
    address: str = "",
    notes: str = "",
    wanted_date: date | None = None,
    expected_minutes: int | None = None,
    proxy_note: str | None = None,
    today: date,
) -> dict[str, OrderError]:
    """Every problem of the order form, by field (empty when all is well). An order placed
    by proxy (代点单; ``proxy_note`` not None) says who placed it for whom."""
    problems: dict[str, OrderError] = {}
    if proxy_note is not None:
        note = proxy_note.strip()
        if not note:
            problems["proxy_note"] = OrderError("proxy_note_required")
        elif len(note) > CONTACT_MAX:
            problems["proxy_note"] = OrderError("proxy_note_too_long")
    limits = (
        ("contact_name", contact_name, CONTACT_MAX, "contact_required", "contact_too_long"),
        ("title", title, TITLE_MAX, "title_required", "title_too_long"),
        ("address", address, ADDRESS_MAX, None, "address_too_long"),
        ("description", description, DESCRIPTION_MAX, None, "description_too_long"),
        ("notes", notes, NOTES_MAX, None, "notes_too_long"),
    )
    for field, value, limit, required, too_long in limits:
        value = (value or "").strip()
        if required and not value:
            problems[field] = OrderError(required)
        elif len(value) > limit:
            problems[field] = OrderError(too_long)
    phone = re.sub(r"[\s-]", "", contact_phone or "")
    if not phone:
        problems["contact_phone"] = OrderError("phone_required")
    elif not _MOBILE.match(phone):
        problems["contact_phone"] = OrderError("phone_invalid")
    if wanted_date is not None:
        if wanted_date < today:
            problems["wanted_date"] = OrderError("date_past")
        elif wanted_date > today + timedelta(days=90):
            problems["wanted_date"] = OrderError("date_too_far")
    if expected_minutes is not None and not 0 < expected_minutes <= MAX_MINUTES:
        problems["expected_minutes"] = OrderError("minutes_invalid")
    return problems


def validate_order(**fields) -> OrderFields:
    """The order's fields, cleaned, or an OrderError carrying every problem at once."""
    problems = compute_order_problems(**fields)
    if problems:
        error = next(iter(problems.values()))
        error.problems = problems
        raise error
    return OrderFields(
        contact_name=fields["contact_name"].strip(),
        contact_phone=re.sub(r"[\s-]", "", fields["contact_phone"]),
        title=fields["title"].strip(),
        description=(fields.get("description") or "").strip(),
        address=(fields.get("address") or "").strip(),
        notes=(fields.get("notes") or "").strip(),
        wanted_date=fields.get("wanted_date"),
        expected_minutes=fields.get("expected_minutes"),
        proxy_note=(fields.get("proxy_note") or "").strip(),
    )


def compute_service_time(
    wanted_date: date | None,
    wanted_part: str | None,
    expected_minutes: int | None,
    *,
    taken_on: date,
) -> tuple[date, time, int]:
    """The local day, start time and minutes of the activity an order becomes when taken:
    the day the resident wanted (or the day after it was taken, when none or already
    past), at the start of the part of the day they chose, for as long as they expect."""
    day = wanted_date if wanted_date is not None and wanted_date > taken_on else None
    day = day or taken_on + timedelta(days=1)
    return day, DAY_PART_STARTS[wanted_part], expected_minutes or DEFAULT_MINUTES


#: Statuses in which the resident may erase their details from an order: it has ended.
ERASABLE = frozenset({S.REJECTED, S.WITHDRAWN, S.COMPLETED, S.RATED})


def validate_erase(status: NeedStatus, *, erased: bool) -> None:
    """Whether the resident may erase their name, number and address from the order now:
    once it has ended (a running order still needs them to be served), and once."""
    if erased:
        raise NeedError("already_erased")
    if status not in ERASABLE:
        raise NeedError("not_ended")
