"""Personal QR cards: the code on a volunteer's card that an organizer's scanner reads.

Format (version 1)
------------------
``c<volunteer_id>.<signature>`` — an itsdangerous ``Signer`` HMAC (salt ``card.v1``)
keyed with ``SECRET_KEY``. The card is printed or shown on the volunteer's own page;
it proves nothing by itself (anyone holding the card can hand it to an organizer), which
is why only an organizer's scanner accepts it, never a self check-in.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer

from volunteer_app.errors import DomainError

SALT = "card.v1"
_PAYLOAD = re.compile(r"^c([1-9][0-9]{0,17})$")


class CardError(DomainError):
    """A scanned card code was refused."""

    status = 400
    messages = {"invalid": _l("This is not a valid volunteer card.")}


def issue_card(secret_key: str, volunteer_id: int) -> str:
    """The signed card code of a volunteer."""
    return Signer(secret_key, salt=SALT).sign(f"c{volunteer_id}").decode("ascii")


def verify_card(secret_key: str, code: str) -> int:
    """The volunteer id a card code names; CardError("invalid") if forged or malformed."""
    if not code or len(code) > 200 or not code.isascii():
        raise CardError("invalid")
    try:
        payload = Signer(secret_key, salt=SALT).unsign(code.strip()).decode("ascii")
    except BadSignature:
        raise CardError("invalid") from None
    match = _PAYLOAD.match(payload)
    if match is None:
        raise CardError("invalid")
    return int(match.group(1))
