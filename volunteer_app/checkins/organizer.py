"""Check-ins recorded by an organizer: search, walk-in registration, group check-in/out.

For volunteers without a smartphone (many are elderly) and for families and school
classes arriving together. Every record made here carries ``origin=organizer`` and the
organizer's id, and goes into the audit log.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, select

from volunteer_app.activities.models import Activity, Signup
from volunteer_app.audit import services as audit
from volunteer_app.auth import scoping
from volunteer_app.auth.models import User
from volunteer_app.checkins import services
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.notes import closed_elsewhere_note
from volunteer_app.checkins.rules import Action, CheckInError, is_early_check_out, next_action
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.formatting import mask_phone
from volunteer_app.transactions import begin_writing
from volunteer_app.volunteers import identity
from volunteer_app.volunteers import services as volunteers
from volunteer_app.volunteers.cards import volunteer_for_card
from volunteer_app.volunteers.models import Household, Volunteer
from volunteer_app.volunteers.rules import normalize_name, normalize_phone

#: At most this many search results: enough for a family name, too few to browse everyone.
SEARCH_LIMIT = 20
#: The offline roster holds at most this many of the station's past volunteers (the most
#: recent), besides everyone signed up for or checked in to the activity itself.
ROSTER_RECENT_LIMIT = 300
_NON_DIGITS = re.compile(r"[\s\-()（）+]")


class SearchError(DomainError):
    """A search the desk refuses to run."""

    status = 400
    messages = {
        "number_search": _l(
            "Search by the full mobile number (11 digits) or exactly its last 4 digits."
        ),
    }


def search_volunteers(user: User, query: str) -> list[Volunteer]:
    """``user``'s volunteers (``scoping.scoped_volunteers``) matching a name fragment, a full
    number, or exactly its last 4 digits; at most ``SEARCH_LIMIT``, by name.

    A number is matched whole or by exactly 4 trailing digits, never by 5 to 10: a match
    on a longer tail would let someone who sees a masked number (138****1234) recover it
    digit by digit. Such a query raises SearchError("number_search"); an invalid full
    number finds nobody.
    """
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not text:
        return []
    digits = _NON_DIGITS.sub("", text)
    if digits.isdigit():
        if len(digits) == 4:
            condition = Household.phone.like(f"%{digits}")
        elif len(digits) >= 11:
            try:
                condition = Household.phone == normalize_phone(digits)
            except DomainError:
                return []
        else:
            raise SearchError("number_search")
    else:
        pattern = text.replace("\\", "").replace("%", "").replace("_", "")
        if not pattern:
            return []
        condition = func.lower(Volunteer.name).contains(pattern.lower())
    return list(
        db.session.scalars(
            scoping.scoped_volunteers(user)
            .join(Volunteer.household)
            .where(condition)
            .order_by(Volunteer.name, Volunteer.id)
            .limit(SEARCH_LIMIT)
        )
    )


@dataclass(frozen=True)
class RosterEntry:
    """One volunteer of an activity's offline roster: never the full phone number."""

    id: int
    name: str
    #: The masked number as the page shows it (138****1234).
    phone: str
    #: The number's last 4 digits, for searching without the full number.
    last4: str
    #: At this activity: ``in`` (here now), ``out`` (checked out) or ``""`` (no record).
    state: str


def roster(
    activity: Activity, user: User, *, recent: int = ROSTER_RECENT_LIMIT
) -> list[RosterEntry]:
    """The volunteers ``user`` would look up at ``activity``, for searching offline.

    Everyone signed up for the activity (not cancelled) or with a record of it (the
    activity's attendance is the organizer's), and the ``recent`` of ``user``'s volunteers
    (``scoping.visible_volunteer_ids``) who most recently served at the activity's station
    before. Deleted accounts are left out; names sorted like the server's search. The
    caller must have checked that ``user`` may see the activity (``activity_or_404``).
    """
    signed_up = select(Signup.volunteer_id).where(
        Signup.activity_id == activity.id, Signup.cancelled_at.is_(None)
    )
    records = {
        volunteer_id: (checked_in_at, checked_out_at)
        for volunteer_id, checked_in_at, checked_out_at in db.session.execute(
            select(CheckIn.volunteer_id, CheckIn.checked_in_at, CheckIn.checked_out_at).where(
                CheckIn.activity_id == activity.id
            )
        )
    }
    last_served = func.max(CheckIn.checked_in_at)
    station = (
        select(CheckIn.volunteer_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(
            Activity.unit_id == activity.unit_id,
            CheckIn.activity_id != activity.id,
            CheckIn.volunteer_id.in_(scoping.visible_volunteer_ids(user)),
        )
        .group_by(CheckIn.volunteer_id)
        .order_by(last_served.desc(), CheckIn.volunteer_id)
        .limit(recent)
    )
    ids = set(db.session.scalars(signed_up)) | set(records) | set(db.session.scalars(station))
    if not ids:
        return []
    people = db.session.execute(
        select(Volunteer.id, Volunteer.name, Household.phone)
        .join(Household, Household.id == Volunteer.household_id)
        .where(Volunteer.id.in_(ids), Volunteer.deleted_at.is_(None))
        .order_by(Volunteer.name, Volunteer.id)
    )
    entries = []
    for volunteer_id, name, phone in people:
        record = records.get(volunteer_id)
        state = "" if record is None else ("out" if record[1] is not None else "in")
        entries.append(RosterEntry(volunteer_id, name, mask_phone(phone), phone[-4:], state))
    return entries


class WalkInError(DomainError):
    """A walk-in could not be registered."""

    status = 409
    messages = {
        "number_taken": _l(
            "This number is already registered. The volunteer can check in by scanning the code "
            "with their own phone, or type their own PIN here."
        ),
    }


@dataclass(frozen=True)
class WalkIn:
    """Who a walk-in at the desk turned out to be."""

    volunteer: Volunteer
    #: "new" (a new number registered), "known" (the number's person of exactly this name)
    #: or "added" (a new person added to a known number, its PIN typed at the desk).
    how: str


def register_walk_in(
    activity: Activity,
    user: User,
    *,
    name: str,
    phone: str,
    now: datetime,
    pin: str | None = None,
) -> WalkIn:
    """Register a volunteer on the spot (the organizer attests their consent).

    A new number registers its first person. A number already registered is the
    organizer's only when the person present proves they belong to it
    (``known_number_walk_in``); otherwise it is refused with one neutral message that names
    nobody, and nothing is written. Ends with the writing begun (``@reads_first`` views).
    """
    name = normalize_name(name)
    phone = normalize_phone(phone)
    household = volunteers.household_by_phone(phone)
    if household is not None:
        volunteer, added = known_number_walk_in(
            activity, user, household, name=name, pin=pin, now=now
        )
        return WalkIn(volunteer, "added" if added else "known")
    begin_writing()
    return WalkIn(register_new_walk_in(activity, user, name=name, phone=phone, now=now), "new")


def known_number_walk_in(
    activity: Activity,
    user: User,
    household: Household,
    *,
    name: str,
    pin: str | None,
    now: datetime,
) -> tuple[Volunteer, bool]:
    """The person of a registered number that a walk-in proves to be: (person, added now).

    - The typed name is exactly that of a live person of the number whom ``user`` may
      record here (``scoping.volunteer_may_be_recorded``): that person.
    - Else, with the household's own PIN typed on the organizer's device
      (``identity.verify_pin_at_desk``: counted on the number's throttle): the person of
      that name, or, if nobody on the number has it, the name added to the household as a
      new person (a child, a partner), registered here by ``user``. A name and a number are
      no proof for someone who is not the organizer's: a list of both is easily had, and
      the answer would confirm the pair.
    - Else WalkInError("number_taken"): the same words whoever the number is, no name.

    Nobody already on the number changes whom they are registered with, and every record
    made for them afterwards is the organizer's (``record_for``), never self-made: a walk-in
    never widens the organizer's reach (auth/scoping.py). Ends with the writing begun.
    """
    existing = volunteers.member_named(household, name)
    if existing is not None and _may_record(user, activity, existing):
        begin_writing()
        return existing, False
    if not (pin or "").strip():
        identity.note_probe()
        raise WalkInError("number_taken")
    identity.verify_pin_at_desk(household, pin, now=now)
    begin_writing()
    if existing is not None:
        return existing, False
    consent = "org-" + current_app.config["CONSENT_VERSION"]
    person = volunteers.add_member(
        household,
        name,
        now=now,
        consent_version=consent[:20],
        registered_unit_id=activity.unit_id,
        registered_by_id=user.id,
    )
    db.session.flush()
    if person.registered_by_id != user.id or person.created_at != now:
        return person, False  # another desk added them a moment ago, and audited it
    audit.record(
        "volunteer.member_added",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        volunteer_id=person.id,
        new={"via": "desk_pin", "station": activity.unit.name},
        personal={"name": name},
    )
    return person, True


def _may_record(user: User, activity: Activity, volunteer: Volunteer) -> bool:
    return (
        db.session.scalar(
            select(Volunteer.id).where(
                Volunteer.id == volunteer.id, scoping.volunteer_may_be_recorded(user, activity)
            )
        )
        is not None
    )


def register_new_walk_in(
    activity: Activity, user: User, *, name: str, phone: str, now: datetime
) -> Volunteer:
    """Register a new number's person on the organizer's word that they consent (audited).

    The one registration of a walk-in, for the desk page and the API: the caller has
    checked that the number is new and that the organizer attested the consent. The name
    goes into the audit entry's personal values, which a deletion of the account erases.
    """
    name, phone = normalize_name(name), normalize_phone(phone)
    consent = "org-" + current_app.config["CONSENT_VERSION"]
    volunteer = volunteers.register(
        name,
        phone,
        now=now,
        consent_version=consent[:20],
        registered_unit_id=activity.unit_id,
        registered_by_id=user.id,
    )
    db.session.flush()
    audit.record(
        "volunteer.walk_in",
        now=now,
        actor_user_id=user.id,
        activity_id=activity.id,
        volunteer_id=volunteer.id,
        personal={"name": name},
    )
    return volunteer


@dataclass(frozen=True)
class Outcome:
    """What happened to one volunteer of a group check-in."""

    volunteer: Volunteer
    ok: bool
    message: str = ""
    over_capacity: bool = False
    #: The refusal's stable code (e.g. ``already_checked_in``), if refused.
    code: str = ""


@dataclass(frozen=True)
class Recorder:
    """Who records on a volunteer's behalf: an organizer (``user_id``) or a team leader, who
    is a volunteer (``leader_id``). The audit entries of their records name them."""

    user_id: int | None = None
    leader_id: int | None = None

    @classmethod
    def organizer(cls, user: User) -> Recorder:
        """An organizer recording at one of their activities."""
        return cls(user_id=user.id)

    @classmethod
    def leader(cls, volunteer: Volunteer) -> Recorder:
        """A team leader recording at one of their team's activities (teams/lead.py)."""
        return cls(leader_id=volunteer.id)

    @property
    def audit_suffix(self) -> str:
        """The end of the audit actions of their check-ins and check-outs."""
        return "by_leader" if self.leader_id is not None else "by_organizer"

    def actor(self) -> dict[str, int | None]:
        """The actor columns of their audit entries."""
        return {"actor_user_id": self.user_id, "actor_volunteer_id": self.leader_id}


def record_for(
    activity: Activity, user: User, volunteer: Volunteer, action: Action, *, now: datetime
) -> CheckIn:
    """Check one volunteer in or out on their behalf: origin ``organizer``, recorded by
    ``user``, and audited ("checkin.by_organizer" / "checkout.by_organizer").

    The one path of every organizer's check-in and check-out: the desk, the card scanner,
    queued uploads and the API. Raises DomainError when the rules refuse, having written
    nothing; the audit entry goes in with the next flush (one INSERT, no read).
    """
    return record_on_behalf(activity, Recorder.organizer(user), volunteer, action, now=now)


def record_on_behalf(
    activity: Activity, by: Recorder, volunteer: Volunteer, action: Action, *, now: datetime
) -> CheckIn:
    """Check one volunteer in or out on their behalf (origin ``organizer``, never self-made),
    recorded and audited as ``by``'s: "checkin.by_organizer" / "checkin.by_leader" and the
    check-outs alike. The one writer under the organizer's and the team leader's paths."""
    if action == Action.CHECK_IN:
        record = services.check_in(
            activity, volunteer, now=now, recorded_by_id=by.user_id, on_behalf=True
        )
    else:
        record = services.check_out(
            activity, volunteer, now=now, recorded_by_id=by.user_id, on_behalf=True
        )
    audit.record(
        ("checkin." if action == Action.CHECK_IN else "checkout.") + by.audit_suffix,
        now=now,
        **by.actor(),
        activity_id=activity.id,
        checkin_id=record.id,
        volunteer_id=volunteer.id,
        new={"minutes": record.minutes} if action == Action.CHECK_OUT else None,
    )
    return record


def check_one(
    activity: Activity, user: User, volunteer: Volunteer, action: Action, *, now: datetime
) -> tuple[CheckIn, bool]:
    """Check one volunteer in or out on their behalf (``record_for``); returns the record and
    whether the activity is now over capacity. Raises DomainError when the rules refuse."""
    return check_one_on_behalf(activity, Recorder.organizer(user), volunteer, action, now=now)


def check_one_on_behalf(
    activity: Activity, by: Recorder, volunteer: Volunteer, action: Action, *, now: datetime
) -> tuple[CheckIn, bool]:
    """``check_one`` for any recorder (an organizer or a team leader)."""
    record = record_on_behalf(activity, by, volunteer, action, now=now)
    over = False
    if action == Action.CHECK_IN and activity.capacity:
        db.session.flush()
        over = services.count_records(activity.id) > activity.capacity
    return record, over


def check_group(
    activity: Activity, user: User, volunteer_ids: list[int], action: Action, *, now: datetime
) -> list[Outcome]:
    """Check several volunteers in or out on their behalf; one refusal does not stop the rest.

    Ids of no one ``user`` may record here (``scoping.recordable_volunteers``) are left
    out, as ids of no one at all are.
    """
    return check_group_within(
        activity,
        Recorder.organizer(user),
        scoping.recordable_volunteers(user, activity),
        volunteer_ids,
        action,
        now=now,
    )


def check_group_within(
    activity: Activity,
    by: Recorder,
    recordable: Select,
    volunteer_ids: list[int],
    action: Action,
    *,
    now: datetime,
) -> list[Outcome]:
    """``check_group`` for any recorder: ids outside ``recordable`` (a SELECT of the
    volunteers ``by`` may record here) are left out, as ids of no one at all are."""
    found = {v.id: v for v in db.session.scalars(recordable.where(Volunteer.id.in_(volunteer_ids)))}
    outcomes = []
    for volunteer_id in dict.fromkeys(volunteer_ids):  # keep order, drop repeats
        volunteer = found.get(volunteer_id)
        if volunteer is None:
            continue
        try:
            _record, over = check_one_on_behalf(activity, by, volunteer, action, now=now)
        except DomainError as error:
            outcomes.append(Outcome(volunteer, False, error.message, code=error.code))
            continue
        outcomes.append(Outcome(volunteer, True, closed_elsewhere_note(_record), over))
    db.session.flush()
    return outcomes


def check_in_proven(
    activity: Activity, user: User, volunteer: Volunteer, *, now: datetime
) -> list[Outcome]:
    """Check in the person a walk-in proved to be (``register_walk_in``): the proof, not
    the scope of ``check_group``, is what lets the organizer record them here."""
    try:
        _record, over = check_one(activity, user, volunteer, Action.CHECK_IN, now=now)
    except DomainError as error:
        return [Outcome(volunteer, False, error.message, code=error.code)]
    db.session.flush()
    return [Outcome(volunteer, True, closed_elsewhere_note(_record), over)]


@dataclass(frozen=True)
class CardScan:
    """The result of scanning a volunteer's personal card at an activity."""

    volunteer: Volunteer
    action: Action
    minutes: int = 0
    over_capacity: bool = False
    #: What the check-in closed elsewhere, said to the organizer ("" if nothing).
    note: str = ""
    #: Set, and nothing written, when the check-out would credit less than the first hours
    #: step and was not confirmed: the volunteer's check-in time, for the question.
    confirm_since: datetime | None = None


def card_code_from(text: str) -> str:
    """The card code in what a camera read: the code itself, or a URL ending with it."""
    text = (text or "").strip()
    if "/" in text:
        text = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return text


def scan_card(
    activity: Activity, user: User, code: str, *, now: datetime, confirmed: bool = False
) -> CardScan:
    """Check the card's volunteer in (or out, if already in) on the organizer's scanner.

    A check-out that would credit less than the first hours step (a second scan right
    after the first) is done only ``confirmed``; otherwise nothing is written and the
    result's ``confirm_since`` asks for it. CardError for a forged or unknown card, or the
    card of someone ``user`` may not record here (``scoping.volunteer_may_be_recorded``);
    CheckInError when the rules refuse.
    """
    return scan_card_within(
        activity,
        Recorder.organizer(user),
        scoping.volunteer_may_be_recorded(user, activity),
        code,
        now=now,
        confirmed=confirmed,
    )


def scan_card_within(
    activity: Activity,
    by: Recorder,
    within: ColumnElement[bool],
    code: str,
    *,
    now: datetime,
    confirmed: bool = False,
) -> CardScan:
    """``scan_card`` for any recorder: a card of someone outside ``within`` (a condition on
    the volunteer's row) gets the answer a forged or unknown card gets."""
    volunteer = volunteer_for_card(current_app.config["SECRET_KEY"], card_code_from(code), within)
    record = services.find_record(activity.id, volunteer.id)
    action = next_action(
        record.checked_in_at if record else None, record.checked_out_at if record else None
    )
    if action == Action.DONE:
        raise CheckInError("already_checked_out")
    if (
        action == Action.CHECK_OUT
        and not confirmed
        and is_early_check_out(record.checked_in_at, now, activity.starts_at, activity.ends_at)
    ):
        return CardScan(volunteer, action, confirm_since=record.checked_in_at)
    record, over = check_one_on_behalf(activity, by, volunteer, action, now=now)
    db.session.flush()
    return CardScan(volunteer, action, record.minutes, over, closed_elsewhere_note(record))
