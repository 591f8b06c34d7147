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
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
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
