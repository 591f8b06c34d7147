"""Check-in tokens: what an activity's QR code carries.

Format (version 1)
------------------
``s<activity_id>.<signature>``, e.g. ``s42.kP3x...`` — ``s`` marks the static code
printed on posters, valid for the activity's whole check-in window. The signature is
an HMAC (itsdangerous ``Signer``, salt ``checkin.v1``) of everything before the last
dot, keyed with the app's ``SECRET_KEY``; without the key no one can make a token for
another activity. The window itself is not in the token: it is checked against the
activity's current schedule at each scan, so moving an activity moves its window.
The token sits in the URL path ``/c/<token>``: about 35 characters, which keeps the
QR code small enough to scan from a poster across a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer

from ..errors import DomainError

SALT = "checkin.v1"
_PAYLOAD = re.compile(r"^s([1-9][0-9]{0,17})$")


class TokenError(DomainError):
    """A QR token was refused."""

    status = 400
    messages = {
        "invalid": _l(
            "This QR code is not valid. Please scan the code shown at the activity again."
        ),
        "wrong_activity": _l("This QR code belongs to another activity."),
    }


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says."""

    activity_id: int
    kind: str = "static"


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=SALT)


def issue_token(secret_key: str, activity_id: int) -> str:
    """Sign the static check-in token of an activity."""
    return _signer(secret_key).sign(f"s{activity_id}").decode("ascii")


def verify_token(
    secret_key: str, token: str, expected_activity_id: int | None = None
) -> TokenClaims:
    """Check a token's signature and shape; raise TokenError("invalid"/"wrong_activity")."""
    if not token or len(token) > 200 or not token.isascii():
        raise TokenError("invalid")
    try:
        payload = _signer(secret_key).unsign(token).decode("ascii")
    except BadSignature:
        raise TokenError("invalid") from None
    match = _PAYLOAD.match(payload)
    if match is None:
        raise TokenError("invalid")
    claims = TokenClaims(activity_id=int(match.group(1)))
    if expected_activity_id is not None and claims.activity_id != expected_activity_id:
        raise TokenError("wrong_activity")
    return claims
