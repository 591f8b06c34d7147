"""志愿服务记录证明: issue from confirmed records, and verify by a signed code.

Verification code format (version 1)
------------------------------------
``k<certificate_id>.<signature>`` — an itsdangerous ``Signer`` HMAC (salt
``certificate.v1``) keyed with ``SECRET_KEY``. It sits in the URL ``/v/<code>`` printed as
a QR code on the certificate. Changing one character (another id, a forged signature)
makes verification fail; what the page then shows comes from the stored snapshot, not
from the URL, so the hours cannot be edited in the link either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.localtime import local_to_utc, utc_to_local
from volunteer_app.volunteers.models import Certificate, Volunteer

SALT = "certificate.v1"
_PAYLOAD = re.compile(r"^k([1-9][0-9]{0,17})$")
#: A certificate covers at most this long a period (a bound on the page's length).
MAX_PERIOD = timedelta(days=3 * 366)


class CertificateError(DomainError):
    """A certificate could not be issued or verified."""

    status = 400
    messages = {
        "forged": _l(
            "This verification code is not genuine: it was altered or was not issued by this "
            "system. Do not accept the certificate."
        ),
        "period_invalid": _l("The end date must be on or after the start date."),
        "period_too_long": _l("Please choose a period of at most three years."),
        "period_future": _l("The period cannot start in the future."),
        "no_hours": _l("There are no confirmed hours in this period."),
    }


def sign_code(secret_key: str, certificate_id: int) -> str:
    """The signed verification code of a certificate."""
    return Signer(secret_key, salt=SALT).sign(f"k{certificate_id}").decode("ascii")


def verify_code(secret_key: str, code: str) -> int:
    """The certificate id a code names; CertificateError("forged") if altered or malformed."""
    if not code or len(code) > 200 or not code.isascii():
        raise CertificateError("forged")
    try:
        payload = Signer(secret_key, salt=SALT).unsign(code).decode("ascii")
    except BadSignature:
        raise CertificateError("forged") from None
    match = _PAYLOAD.match(payload)
    if match is None:
        raise CertificateError("forged")
    return int(match.group(1))


def validate_period(start: date, end: date, today: date) -> None:
    """Refuse an empty, future or overlong period (pure)."""
    if end < start:
        raise CertificateError("period_invalid")
    if start > today:
        raise CertificateError("period_future")
    if end - start > MAX_PERIOD:
        raise CertificateError("period_too_long")


def confirmed_records(volunteer_id: int, start: date, end: date) -> list[CheckIn]:
    """Confirmed records with hours whose activity started within [start, end] local dates."""
    begin = local_to_utc(datetime.combine(start, datetime.min.time()))
    finish = local_to_utc(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return list(
        db.session.scalars(
            select(CheckIn)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .options(
                joinedload(CheckIn.activity).joinedload(Activity.unit),
                joinedload(CheckIn.activity).joinedload(Activity.category),
            )
            .where(
                CheckIn.volunteer_id == volunteer_id,
                CheckIn.status == HoursStatus.CONFIRMED,
                CheckIn.minutes > 0,
                Activity.starts_at >= begin,
                Activity.starts_at < finish,
            )
            .order_by(Activity.starts_at, CheckIn.id)
        )
    )


def issue(volunteer: Volunteer, *, start: date, end: date, now: datetime) -> Certificate:
    """Issue a certificate for the volunteer's confirmed hours in [start, end].

    Issued in the name of the stations that recorded the hours (谁记录谁证明).
    """
    validate_period(start, end, utc_to_local(now).date())
    records = confirmed_records(volunteer.id, start, end)
    if not records:
        raise CertificateError("no_hours")
    issuers: list[str] = []
    for record in records:
        if record.activity.unit.name not in issuers:
            issuers.append(record.activity.unit.name)
    lines = [
        {
            "record_id": r.id,
            "date": utc_to_local(r.activity.starts_at).date().isoformat(),
            "activity": r.activity.title,
            "unit": r.activity.unit.name,
            "category_zh": r.activity.category.name_zh,
            "category_en": r.activity.category.name_en,
            "minutes": r.minutes,
        }
        for r in records
    ]
    certificate = Certificate(
        number=f"tmp-{now.timestamp()}-{volunteer.id}",
        volunteer_id=volunteer.id,
        holder_name=volunteer.name,
        period_start=start,
        period_end=end,
        minutes=sum(r.minutes for r in records),
        issuers="、".join(issuers)[:1000],
        lines=lines,
        issued_at=now,
    )
    db.session.add(certificate)
    db.session.flush()
    certificate.number = f"ZYZM-{utc_to_local(now):%Y%m%d}-{certificate.id:06d}"
    audit.record(
        "certificate.issue",
        now=now,
        volunteer_id=volunteer.id,
        actor_volunteer_id=volunteer.id,
        new={"number": certificate.number, "minutes": certificate.minutes},
    )
    db.session.flush()
    return certificate


def own_certificates(volunteer_id: int) -> list[Certificate]:
    """Certificates issued to a volunteer, newest first."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.volunteer_id == volunteer_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


# --- does a certificate still match its records? ---------------------------------------


@dataclass(frozen=True)
class CertificateState:
    """Whether a certificate still says what the records say.

    ``code``: ``valid`` (every certified record still confirmed with the same hours),
    ``changed`` (a certified record was corrected, adjusted, voided or is no longer
    confirmed: the holder should issue a new one) or ``withdrawn`` (the holder deleted
    their account). ``current_minutes``: the certified records' confirmed minutes now.
    ``changed_at``: the last change to those records after the issue, if known.
    """

    code: str
    current_minutes: int
    changed_at: datetime | None = None


def line_key(line: Mapping) -> tuple:
    """How a certified line is matched to a record: its id, or (for certificates issued
    before ids were kept) its date, activity and unit."""
    if line.get("record_id") is not None:
        return ("id", line["record_id"])
    return ("line", line.get("date"), line.get("activity"), line.get("unit"))


def compute_certificate_state(
    certified: Iterable[Mapping],
    current: Mapping[tuple, int],
    *,
    withdrawn: bool,
    changed_at: datetime | None,
) -> CertificateState:
    """The state of a certificate (pure): its snapshot lines against the records now.

    ``current`` maps a line's key (``line_key``) to the confirmed minutes its record holds
    now; a key missing means the record holds no confirmed hours any more. Records
    confirmed after the issue that the certificate does not list change nothing: what it
    certifies is still true.
    """
    lines = list(certified)
    now_minutes = sum(current.get(line_key(line), 0) for line in lines)
    if withdrawn:
        return CertificateState("withdrawn", now_minutes)
    wanted: dict[tuple, int] = {}
    for line in lines:
        wanted[line_key(line)] = wanted.get(line_key(line), 0) + int(line.get("minutes") or 0)
    if all(current.get(key, 0) == minutes for key, minutes in wanted.items()):
        return CertificateState("valid", now_minutes)
    return CertificateState("changed", now_minutes, changed_at)


def certificate_state(certificate: Certificate) -> CertificateState:
    """Compare a certificate with its volunteer's confirmed records now (one query each)."""
    if certificate.withdrawn_at is not None or certificate.volunteer_id is None:
        return compute_certificate_state(
            certificate.lines or [], {}, withdrawn=True, changed_at=None
        )
    records = confirmed_records(
        certificate.volunteer_id, certificate.period_start, certificate.period_end
    )
    current: dict[tuple, int] = {}
    for r in records:
        current[("id", r.id)] = r.minutes
        legacy = line_key(
            {
                "date": utc_to_local(r.activity.starts_at).date().isoformat(),
                "activity": r.activity.title,
                "unit": r.activity.unit.name,
            }
        )
        current[legacy] = current.get(legacy, 0) + r.minutes
    state = compute_certificate_state(
        certificate.lines or [], current, withdrawn=False, changed_at=None
    )
    if state.code != "changed":
        return state
    ids = [line["record_id"] for line in certificate.lines if line.get("record_id")]
    last = select(func.max(AuditEntry.at)).where(
        AuditEntry.at > certificate.issued_at, AuditEntry.action != "certificate.issue"
    )
    if ids:
        last = last.where(AuditEntry.checkin_id.in_(ids))
    else:
        last = last.where(
            AuditEntry.volunteer_id == certificate.volunteer_id,
            AuditEntry.checkin_id.is_not(None),
        )
    return compute_certificate_state(
        certificate.lines or [], current, withdrawn=False, changed_at=db.session.scalar(last)
    )
