"""Personal-data rights (PIPL): export my data, delete my account.

Deleting an account erases the person — name, phone number, PIN, devices, the names on
certificates, the texts of their corrections (theirs and the organizers' answers), the
personal values of the audit log; their team memberships end (left, no longer a leader) —
but keeps the service records, attached to an anonymous placeholder, so stations' totals
and reports stay right. The audit log keeps its entries:
they hold ids, times and hours; what they say about the person by name or in free text is
in ``audit_personal`` (audit/models.py), which is erased here.

A phone other people of the household still use keeps its number, PIN and devices (they
are theirs too); the last person's deletion removes the number and everything keyed by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from volunteer_app.activities.models import Signup
from volunteer_app.audit import services as audit
from volunteer_app.auth import lockout
from volunteer_app.checkins.models import CheckIn, Correction, HoursOrigin, HoursStatus
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.localtime import utc_to_local
from volunteer_app.spreadsheets import ColumnSpec, csv_chunks, local_naive
from volunteer_app.teams.models import MemberStatus, Team, TeamMember
from volunteer_app.transactions import begin_writing
from volunteer_app.volunteers import certificates, identity, records, rules
from volunteer_app.volunteers.models import Certificate, Device, Volunteer
from volunteer_app.volunteers.rules import IdentityError
from volunteer_app.volunteers.services import live_members

#: What a deleted volunteer's name becomes (stored data; shown as is in every language).
DELETED_NAME = "已注销志愿者"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export(volunteer: Volunteer) -> dict[str, Any]:
    """Everything the app holds about the volunteer, as plain JSON-ready data."""
    history = records.history(volunteer.id)
    signups = db.session.scalars(
        select(Signup).where(Signup.volunteer_id == volunteer.id).order_by(Signup.id)
    )
    return {
        "format": "volunteer-export.v1",
        "volunteer": {
            "name": volunteer.name,
            "phone": volunteer.phone,
            "id_number": volunteer.id_number,
            "registered_at": _iso(volunteer.created_at),
            "consent_version": volunteer.consent_version,
            "consented_at": _iso(volunteer.consented_at),
            "under_14": volunteer.is_minor,
            "guardian_consented_at": _iso(volunteer.guardian_consented_at),
            "pin_set_at": _iso(volunteer.household.pin_set_at) if volunteer.household else None,
            "people_on_this_phone": [m.name for m in live_members(volunteer.household)]
            if volunteer.household
            else [],
        },
        "service_records": [record_row(r) for r in history],
        "sign_ups": [
            {
                "activity": s.activity.title,
                "signed_up_at": _iso(s.created_at),
                "cancelled_at": _iso(s.cancelled_at),
            }
            for s in signups
        ],
        "corrections": [
            {
                "activity": c.record.activity.title,
                "asked_at": _iso(c.created_at),
                "reason": c.reason,
                "status": c.status.value,
                "answer": c.decision_reason,
                "answered_at": _iso(c.decided_at),
            }
            for c in records.corrections_of(volunteer.id)
        ],
        "certificates": [
            {
                "number": c.number,
                "period_start": c.period_start.isoformat(),
                "period_end": c.period_end.isoformat(),
                "hours": c.minutes / 60,
                "issued_at": _iso(c.issued_at),
            }
            for c in certificates.own_certificates(volunteer.id)
        ],
        "teams": [
            {
                "team": team.name,
                "station": team.unit.name,
                "status": m.status.value,
                "leader": m.is_leader,
                "since": _iso(m.created_at),
                "changed_at": _iso(m.changed_at),
            }
            for m, team in db.session.execute(
                select(TeamMember, Team)
                .join(Team, Team.id == TeamMember.team_id)
                .where(TeamMember.volunteer_id == volunteer.id)
                .order_by(TeamMember.id)
            )
        ],
        "devices": [
            {
                "user_agent": d.user_agent,
                "signed_in_at": _iso(d.created_at),
                "signed_out_at": _iso(d.revoked_at),
            }
            for d in db.session.scalars(
                select(Device).where(Device.volunteer_id == volunteer.id).order_by(Device.id)
            )
        ],
    }


def record_row(record) -> dict[str, Any]:
    """One service record as exported (times in UTC ISO 8601, the local date for people)."""
    activity = record.activity
    return {
        "date": utc_to_local(activity.starts_at).date().isoformat(),
        "activity": activity.title,
        "station": activity.unit.name,
        "category": activity.category.name_zh,
        "place": activity.place,
        "checked_in_at": _iso(record.checked_in_at),
        "checked_out_at": _iso(record.checked_out_at),
        "hours": record.minutes / 60,
        "status": record.status.value,
        "origin": record.origin.value,
    }


def csv_columns() -> list[ColumnSpec]:
    """The columns of my records' CSV, named in the person's language (like the organizers'
    exports, reports/exports.py)."""
    return [
        ColumnSpec(_("Date"), 11, "date"),
        ColumnSpec(_("Activity name"), 28),
        ColumnSpec(_("Station"), 20),
        ColumnSpec(_("Category"), 12),
        ColumnSpec(_("Place"), 24),
        ColumnSpec(_("Checked in at"), 18, "datetime"),
        ColumnSpec(_("Checked out at"), 18, "datetime"),
        ColumnSpec(_("Service hours (h)"), 10, "hours"),
        ColumnSpec(_("Hours status"), 10),
        ColumnSpec(_("Hours recorded by"), 12),
    ]


def csv_lines(volunteer: Volunteer, *, english: bool) -> list[list[Any]]:
    """My records as CSV lines: Beijing wall-clock times, translated status and origin."""
    labels = {
        HoursOrigin.SCAN: _("Scan"),
        HoursOrigin.ORGANIZER: _("Organizer"),
        HoursStatus.CONFIRMED: _("Confirmed"),
        HoursStatus.PENDING: _("Pending"),
    }
    lines = []
    for record in records.history(volunteer.id):
        activity = record.activity
        category = activity.category
        lines.append(
            [
                utc_to_local(activity.starts_at).date(),
                activity.title,
                activity.unit.name,
                category.name_en if english else category.name_zh,
                activity.place,
                local_naive(record.checked_in_at),
                local_naive(record.checked_out_at),
                record.minutes / 60 if (record.checked_out_at or record.minutes) else None,
                labels[record.status],
                labels[record.origin],
            ]
        )
    return lines


def export_csv(volunteer: Volunteer, *, english: bool = False) -> str:
    """The service records as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese),
    written by the organizers' spreadsheet writer: formulas neutralised, local times."""
    chunks = csv_chunks(csv_columns(), csv_lines(volunteer, english=english))
    return b"".join(chunks).decode("utf-8")


class PrivacyError(DomainError):
    """A deletion was not confirmed."""

    status = 400
    messages = {
        "confirm_required": _l("Please tick the box to confirm."),
        "pin_wrong": _l("The PIN is wrong."),
        "pin_required": _l("Please enter your PIN."),
    }
    #: Wrong PINs left before the number locks, when one was counted.
    tries_left: int | None = None

    @property
    def message(self) -> str:
        """The code's message, and after a wrong PIN how many tries are left."""
        text = str(self.messages[self.code])
        return text if self.tries_left is None else f"{text} {rules.tries_note(self.tries_left)}"


def _claim_deletion(volunteer: Volunteer, now: datetime) -> bool:
    """Mark the account deleted unless it already is (``UPDATE … WHERE deleted_at IS
    NULL``); False when another request deleted it first, so it is erased and audited once.
    """
    claimed = db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id, Volunteer.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def delete_account(
    volunteer: Volunteer, *, confirmed: bool, pin: str | None, now: datetime
) -> None:
    """Erase the person and keep their records anonymously (see the module docstring).

    Needs the tick of confirmation and, if the volunteer has a PIN, the PIN (counted on the
    sign-in lockout like any other PIN attempt).
    """
    household = volunteer.household
    assert household is not None
    problems: dict[str, DomainError] = {}
    if not confirmed:
        problems["confirm"] = PrivacyError("confirm_required")
    if household.pin_hash and rules.normalize_secret(pin or "") is None:
        problems["pin"] = PrivacyError("pin_required")  # nothing PIN-like: not an attempt
    rules.validate_form(problems, ("confirm", "pin"))
    if household.pin_hash:
        try:
            identity.verify_own_pin(household, pin, now=now)
        except IdentityError as error:
            if error.code != "current_pin_wrong":
                raise
            wrong = PrivacyError("pin_wrong")
            wrong.tries_left = error.tries_left
            raise wrong from None
    begin_writing()
    erase_person(volunteer, now=now, action="volunteer.deleted", actor_volunteer_id=volunteer.id)


def erase_person(
    volunteer: Volunteer,
    *,
    now: datetime,
    action: str,
    actor_volunteer_id: int | None = None,
    actor_user_id: int | None = None,
    reason: str = "",
) -> bool:
    """Erase the person and keep their records anonymously; audited ``action`` once (a
    deletion by the person, a voided registration by an organizer). False when the account
    was erased a moment ago by another request (a double tap): nothing more is done."""
    if not _claim_deletion(volunteer, now):
        return False
    # Read after the claim: a request that erased the person a moment ago has taken the
    # household away, and only the request that claimed the deletion gets here.
    household = volunteer.household
    assert household is not None
    confirmed = sum(
        r.minutes for r in records.history(volunteer.id) if r.status == HoursStatus.CONFIRMED
    )
    others = [m for m in live_members(household) if m.id != volunteer.id]
    if others:
        # The phone stays with its other people; its devices show one of them instead.
        db.session.execute(
            update(Device)
            .where(Device.volunteer_id == volunteer.id)
            .values(volunteer_id=others[0].id)
        )
    else:
        db.session.execute(
            delete(Device).where(
                Device.volunteer_id.in_(
                    select(Volunteer.id).where(Volunteer.household_id == household.id)
                )
            )
        )
    volunteer.name = DELETED_NAME
    volunteer.id_number = None
    volunteer.household = None
    volunteer.deleted_at = now
    if not others:
        identity.forget_number(household.phone)
        lockout.forget(household.phone)
        db.session.flush()
        db.session.execute(
            update(Volunteer)
            .where(Volunteer.household_id == household.id)
            .values(household_id=None)
        )
        db.session.delete(household)
    db.session.execute(
        update(Signup)
        .where(Signup.volunteer_id == volunteer.id, Signup.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )
    # A deleted person is in no team and leads none; the rows stay, as any ended membership.
    db.session.execute(
        update(TeamMember)
        .where(
            TeamMember.volunteer_id == volunteer.id,
            TeamMember.status.in_((MemberStatus.ACTIVE, MemberStatus.PENDING)),
        )
        .values(status=MemberStatus.LEFT, is_leader=False, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Certificate)
        .where(Certificate.volunteer_id == volunteer.id)
        .values(holder_name="", withdrawn_at=now)
    )
    db.session.execute(
        update(Correction)
        .where(Correction.volunteer_id == volunteer.id)
        .values(reason="", decision_reason="")
    )
    # A voided record stays voided; the reason typed for it may speak of the person.
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.volunteer_id == volunteer.id, CheckIn.void_reason != "")
        .values(void_reason="")
        .execution_options(include_voided=True)
    )
    audit.erase_personal(volunteer.id, now=now)
    audit.record(
        action,
        now=now,
        volunteer_id=volunteer.id,
        actor_volunteer_id=actor_volunteer_id,
        actor_user_id=actor_user_id,
        old={"confirmed_minutes": confirmed},
        reason=reason,
    )
    db.session.flush()
    return True
