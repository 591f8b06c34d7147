"""Check-in tokens: what an activity's QR code carries.

Format (version 2)
------------------
Each activity has a random **check-in key** (``activities.checkin_key``, 16 characters,
96 random bits, unique), made when the activity is created; a copy gets its own. The
token carries that key, never the activity's id, sealed with a MAC
(``volunteer_app.codes``: HMAC-SHA256 keyed with ``SECRET_KEY``, purpose ``checkin.v2``,
cut to 14 characters):

- ``2s<key>.<mac>`` — the static code printed on posters, e.g.
  ``2sq3TzV9kLm0aB7xYc.Jh3kP0oQ5aVn8c`` (33 characters). Valid for the activity's whole
  check-in window, as long as the activity accepts poster codes
  (``Activity.allow_static_code``). The window itself is not in the token: it is checked
  against the activity's current schedule at each scan, so moving an activity moves it.
- ``2r<key>.<step>.<mac>`` — the projector's rotating code (below), about 42 characters.

Nobody can make a token without ``SECRET_KEY`` and the key, nor find another activity's
by counting ids. An organizer **renews** the key ("换一个二维码", audited): every code made
from the old key, printed or shown, stops working at once, and the projector shows codes
of the new one. The scan page finds the activity by its key in the same single query that
loads the device's volunteer (``checkins.routes._load``). The token sits in the URL path
``/c/<token>``: with the site's address about 60 characters, which keeps the poster's QR
code small enough to scan across a table.

Rotating kind (projector mode)
------------------------------
``step`` is ``floor(unix_time / period)`` where ``period`` is the activity's
``rotate_seconds`` (default 30): the projector shows the token of the current step and
changes it at each step boundary. A token is accepted until the end of the step *after*
its own: about 2×period after it first appeared, at least one period after it left the
screen. A photo forwarded to a friend at home is stale by the time it is opened.

A first-time volunteer needs longer to type a name and number. The page opened while the
code was valid carries a short signed **opening proof** in its form (``opened``:
``<unix time>.<signature>``, itsdangerous ``Signer``, salt ``checkin.opened.v1``, over the
token and the time); the form's POST then accepts the code until
``ROTATING_SUBMIT_GRACE_SECONDS`` (300) after that opening. A POST without the proof, or
with one made for another token, gets no more than the 2×period; so does the API's
self-scan, which has no page.

Version 1 (retired)
-------------------
``s<activity_id>.<signature>`` and ``r<activity_id>.<step>.<signature>``, an itsdangerous
``Signer`` (salt ``checkin.v1``) over the id. No longer issued. Accepted only for the
activities that existed when version 2 came (``Activity.accepts_v1_tokens``, set by
migration 0003), only until their check-out window ends, and never after their code was
renewed; every other activity accepts version 2 only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer

from volunteer_app.codes import seal, unseal
from volunteer_app.errors import DomainError

PURPOSE = "checkin.v2"
#: The salt of the retired version 1 (still verified for the activities that accept it).
V1_SALT = "checkin.v1"
OPENED_SALT = "checkin.opened.v1"

_KEY = r"[A-Za-z0-9_-]{16,43}"
_STEP = r"0|[1-9][0-9]{0,11}"
_V2 = re.compile(rf"^2(?:s({_KEY})|r({_KEY})\.({_STEP}))$")
_V1 = re.compile(rf"^(?:s([1-9][0-9]{{0,17}})|r([1-9][0-9]{{0,17}})\.({_STEP}))$")
_OPENED = re.compile(r"^([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{10,60})$")


class TokenError(DomainError):
    """A QR token was refused."""

    status = 400
    messages = {
        "invalid": _l(
            "This QR code is not valid. Please scan the code shown at the activity again."
        ),
        "expired": _l(
            "This QR code has expired. Please scan the code on the screen at the activity again."
        ),
        "static_disabled": _l(
            "This activity accepts only the code shown on the screen. Please scan that one."
        ),
        "replaced": _l(
            "This QR code has been replaced by a new one. Please scan the code at the activity."
        ),
    }
    #: Headings a volunteer understands at once, instead of the status's "请求有误".
    titles = {
        "invalid": _l("This QR code does not work"),
        "expired": _l("This QR code has expired"),
        "static_disabled": _l("Please scan the code on the screen"),
        "replaced": _l("This QR code has been replaced"),
    }


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: the activity's key (version 2) or id (version 1)."""

    kind: str = "static"
    #: The time step of a rotating token (None for the static kind).
    step: int | None = None
    #: The activity's check-in key (version 2).
    key: str | None = None
    #: The activity's id (version 1 only).
    activity_id: int | None = None

    @property
    def version(self) -> int:
        """1 for the retired id-based tokens, 2 for key-based ones."""
        return 2 if self.key is not None else 1


def issue_token(secret_key: str, checkin_key: str) -> str:
    """The static (poster) check-in token of the activity with this key."""
    return seal(secret_key, PURPOSE, f"2s{checkin_key}")


def issue_rotating_token(secret_key: str, checkin_key: str, step: int) -> str:
    """The rotating (projector) token of the activity with this key, for one time step."""
    return seal(secret_key, PURPOSE, f"2r{checkin_key}.{step}")


def verify_token(secret_key: str, token: str) -> TokenClaims:
    """Check a token's MAC (or version 1 signature) and shape; TokenError("invalid")."""
    if not token or len(token) > 200 or not token.isascii():
        raise TokenError("invalid")
    if token.startswith("2"):
        payload = unseal(secret_key, PURPOSE, token)
        match = _V2.match(payload) if payload else None
        if match is None:
            raise TokenError("invalid")
        if match.group(1):
            return TokenClaims(key=match.group(1))
        return TokenClaims(kind="rotating", key=match.group(2), step=int(match.group(3)))
    return _verify_v1(secret_key, token)


def _verify_v1(secret_key: str, token: str) -> TokenClaims:
    try:
        payload = Signer(secret_key, salt=V1_SALT).unsign(token).decode("ascii")
    except BadSignature:
        raise TokenError("invalid") from None
    match = _V1.match(payload)
    if match is None:
        raise TokenError("invalid")
    if match.group(1):
        return TokenClaims(activity_id=int(match.group(1)))
    return TokenClaims(kind="rotating", activity_id=int(match.group(2)), step=int(match.group(3)))


def validate_v1(*, accepted: bool, checkout_until: datetime, now: datetime) -> None:
    """Raise TokenError("replaced") unless a version 1 token may still be used.

    ``accepted`` is the activity's flag (it existed before version 2 and its code was not
    renewed since); the token works until its check-out window ends.
    """
    if not accepted or now > checkout_until:
        raise TokenError("replaced")


def current_step(now: datetime, period: int) -> int:
    """The time step ``now`` falls in, for a rotation every ``period`` seconds."""
    return int(now.timestamp()) // period


def step_ends_at(step: int, period: int) -> datetime:
    """When step ``step`` ends (the next code appears)."""
    return datetime.fromtimestamp((step + 1) * period, tz=UTC)


def validate_rotating(
    step: int,
    *,
    period: int,
    now: datetime,
    opened_at: datetime | None = None,
    grace_seconds: int = 0,
) -> None:
    """Raise TokenError("expired") unless a rotating token of ``step`` is still accepted.

    Valid from its step until the end of the next one. With ``opened_at`` (the verified
    time its check-in page was opened, see ``opened_at``) it is accepted until
    ``grace_seconds`` after that opening, if the opening itself fell in its validity. A
    token more than one step in the future (a clock far off, or a forgery attempt with a
    stolen key) is refused as invalid.
    """
    now_step = current_step(now, period)
    if step > now_step + 1:
        raise TokenError("invalid")
    valid_until = (step + 2) * period
    if now.timestamp() < valid_until:
        return
    if (
        opened_at is not None
        and step * period - period <= opened_at.timestamp() < valid_until
        and now < opened_at + timedelta(seconds=grace_seconds)
    ):
        return
    raise TokenError("expired")


def issue_opened(secret_key: str, token: str, now: datetime) -> str:
    """The opening proof a check-in page puts in its form: ``token`` was valid at ``now``."""
    at = str(int(now.timestamp()))
    signature = Signer(secret_key, salt=OPENED_SALT).get_signature(f"{token}.{at}")
    return f"{at}.{signature.decode('ascii')}"


def opened_at(secret_key: str, token: str, proof: str | None) -> datetime | None:
    """When the page of ``token`` was opened, from a genuine proof made for that very token.

    None when there is no proof, or it is forged, malformed or made for another token.
    """
    match = _OPENED.match(proof or "")
    if match is None:
        return None
    at, signature = match.groups()
    signer = Signer(secret_key, salt=OPENED_SALT)
    if not signer.verify_signature(f"{token}.{at}", signature):
        return None
    return datetime.fromtimestamp(int(at), tz=UTC)
