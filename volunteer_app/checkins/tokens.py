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

Rotating kind (projector mode)
------------------------------
``r<activity_id>.<step>.<signature>``, e.g. ``r42.59026712.Xy...`` — same signer and salt.
``step`` is ``floor(unix_time / period)`` where ``period`` is the activity's
``rotate_seconds`` (default 30): the projector shows the token of the current step and
changes it at each step boundary. A token is accepted until the end of the step *after*
its own (so about 2×period after it first appeared, at least one period after it left
the screen), plus a configurable grace when the check-in form is submitted (a
first-time volunteer types a name and number). A photo forwarded to a friend at home is
stale by the time it is opened. The activity chooses whether the static ``s`` poster
code is accepted as well (``Activity.allow_static_code``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer

from volunteer_app.errors import DomainError

SALT = "checkin.v1"
_PAYLOAD = re.compile(r"^(?:s([1-9][0-9]{0,17})|r([1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,11}))$")


class TokenError(DomainError):
    """A QR token was refused."""

    status = 400
    messages = {
        "invalid": _l(
            "This QR code is not valid. Please scan the code shown at the activity again."
        ),
        "wrong_activity": _l("This QR code belongs to another activity."),
        "expired": _l(
            "This QR code has expired. Please scan the code on the screen at the activity again."
        ),
        "static_disabled": _l(
            "This activity accepts only the code shown on the screen. Please scan that one."
        ),
    }


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says."""

    activity_id: int
    kind: str = "static"
    #: The time step of a rotating token (None for the static kind).
    step: int | None = None


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=SALT)


def issue_token(secret_key: str, activity_id: int) -> str:
    """Sign the static check-in token of an activity."""
    return _signer(secret_key).sign(f"s{activity_id}").decode("ascii")


def issue_rotating_token(secret_key: str, activity_id: int, step: int) -> str:
    """Sign the rotating (projector) token of an activity for one time step."""
    return _signer(secret_key).sign(f"r{activity_id}.{step}").decode("ascii")


def current_step(now: datetime, period: int) -> int:
    """The time step ``now`` falls in, for a rotation every ``period`` seconds."""
    return int(now.timestamp()) // period


def step_ends_at(step: int, period: int) -> datetime:
    """When step ``step`` ends (the next code appears)."""
    return datetime.fromtimestamp((step + 1) * period, tz=UTC)


def validate_rotating(step: int, *, period: int, now: datetime, grace_seconds: int = 0) -> None:
    """Raise TokenError("expired") unless a rotating token of ``step`` is still accepted.

    Valid from its step until the end of the next one (+ ``grace_seconds``); a token
    more than one step in the future (a clock far off, or a forgery attempt with a
    stolen key) is refused as invalid.
    """
    now_step = current_step(now, period)
    if step > now_step + 1:
        raise TokenError("invalid")
    if now.timestamp() >= (step + 2) * period + grace_seconds:
        raise TokenError("expired")


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
    if match.group(1):
        claims = TokenClaims(activity_id=int(match.group(1)))
    else:
        claims = TokenClaims(
            activity_id=int(match.group(2)), kind="rotating", step=int(match.group(3))
        )
    if expected_activity_id is not None and claims.activity_id != expected_activity_id:
        raise TokenError("wrong_activity")
    return claims
