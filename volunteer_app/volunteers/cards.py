"""Personal QR cards: the code on a volunteer's card that an organizer's scanner reads.

Format (version 2)
------------------
``2c<card_key>.<mac>``, e.g. ``2cR5tYb8Qw1nX0zKp3.Vd4sF7hJk2Lq9w`` (33 characters): the
person's random card key (``volunteers.card_key``, 16 characters, 96 random bits, unique),
never their id, sealed with a MAC (``volunteer_app.codes``: HMAC-SHA256 keyed with
``SECRET_KEY``, purpose ``card.v2``). The card is shown or printed on the volunteer's own
page; it proves nothing by itself (anyone holding the card can hand it to an organizer),
which is why only an organizer's scanner accepts it, never a self check-in.

**Renewal.** A lost or photographed card is replaced on ``/me/card`` ("换一张新卡"): a new
key, so every earlier card stops working at once. Audited as a security event of the
volunteer (``volunteer.card_renewed``) and listed on ``/me``.

**No expiry by time.** A card names a person to an organizer who sees that name on the
scanner and the person in front of them; it never checks anyone in by itself. A card that
lapsed every few months would fail at the desk for the people who rely on a printed card
most (the elderly, children without phones) and buy nothing that renewal does not: the
card shown on ``/me/card`` is drawn again at each opening, and a card that may have
leaked is renewed at once.

**Version 1** (``c<volunteer_id>.<signature>``, itsdangerous, salt ``card.v1``) named the
id and could not be revoked, so it is refused, with its own message ("this card has been
replaced") so that the desk knows to ask for the card on the phone or to check in by name.
The card on ``/me/card`` is version 2 as soon as it is opened again.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer
from sqlalchemy import ColumnElement, select

from volunteer_app.audit import services as audit
from volunteer_app.codes import new_key, seal, unseal
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Volunteer

PURPOSE = "card.v2"
#: The salt of the retired version 1, still verified to tell "replaced" from "forged".
V1_SALT = "card.v1"
_PAYLOAD = re.compile(r"^2c([A-Za-z0-9_-]{16,43})$")
_V1_PAYLOAD = re.compile(r"^c[1-9][0-9]{0,17}$")


class CardError(DomainError):
    """A scanned card code was refused."""

    status = 400
    messages = {
        "invalid": _l("This is not a valid volunteer card."),
        "replaced": _l(
            "This card has been replaced by a newer one. Ask for the card on the "
            "volunteer's phone (My page → My card), or check them in by name."
        ),
    }


def issue_card(secret_key: str, card_key: str) -> str:
    """The card code of the volunteer with this card key."""
    return seal(secret_key, PURPOSE, f"2c{card_key}")


def verify_card(secret_key: str, code: str) -> str:
    """The card key a card code carries; CardError("invalid") if forged or malformed,
    CardError("replaced") for a genuine card of version 1."""
    code = (code or "").strip()
    if not code or len(code) > 200 or not code.isascii():
        raise CardError("invalid")
    payload = unseal(secret_key, PURPOSE, code)
    match = _PAYLOAD.match(payload) if payload else None
    if match is not None:
        return match.group(1)
    try:
        old = Signer(secret_key, salt=V1_SALT).unsign(code).decode("ascii")
    except BadSignature:
        raise CardError("invalid") from None
    raise CardError("replaced" if _V1_PAYLOAD.match(old) else "invalid")


def card_holder(card_key: str, within: ColumnElement[bool] | None = None) -> Volunteer | None:
    """The volunteer whose card carries this key, in one query; None if renewed since,
    deleted, or not passing ``within`` (a condition on the volunteer's row: an organizer's
    scope, ``auth.scoping.volunteer_may_be_recorded``)."""
    statement = select(Volunteer).where(Volunteer.card_key == card_key)
    if within is not None:
        statement = statement.where(within)
    volunteer = db.session.scalar(statement)
    if volunteer is None or volunteer.deleted_at is not None:
        return None
    return volunteer


def volunteer_for_card(
    secret_key: str, code: str, within: ColumnElement[bool] | None = None
) -> Volunteer:
    """The volunteer a scanned card names, in one query; CardError("invalid") for a forged
    or unknown card, one of a person who deleted their account, or one outside ``within``
    (the same answer: an organizer learns nothing of a card that is not theirs)."""
    volunteer = card_holder(verify_card(secret_key, code), within)
    if volunteer is None:
        raise CardError("invalid")
    return volunteer


def renew_card(volunteer: Volunteer, *, now: datetime) -> None:
    """Give the volunteer a new card key: every earlier card stops working at once.

    Audited as the volunteer's own security event (shown on /me), without the key.
    """
    volunteer.card_key = new_key()
    audit.record(
        "volunteer.card_renewed",
        now=now,
        actor_volunteer_id=volunteer.id,
        volunteer_id=volunteer.id,
    )
    db.session.flush()
