"""The keys an activity's codes carry: finding the activity a code names, renewing the
check-in QR code and the kiosk link, and the kiosk link's format.

Kiosk link (version 2)
----------------------
``/k/2k<kiosk_key>.<mac>``: the activity's random kiosk key (``activities.kiosk_key``,
22 characters, 128 random bits), sealed with a MAC (``volunteer_app.codes``, purpose
``kiosk.v2``). Whoever holds the link sees the activity's projector page, with its current
rotating code, until the check-out window ends. An organizer revokes every link given out
by renewing the key ("换一个平板链接"); the old ones answer 404 at once. The id-based links
of version 1 are not accepted: open the new link from the projector page.

The link is a key: it is never written to the audit log nor logged by the app.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity, new_kiosk_key
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.checkins.tokens import TokenClaims
from volunteer_app.codes import new_key, seal, unseal
from volunteer_app.extensions import db

KIOSK_PURPOSE = "kiosk.v2"
_KIOSK = re.compile(r"^2k([A-Za-z0-9_-]{16,43})$")


def issue_kiosk_token(secret_key: str, kiosk_key: str) -> str:
    """The token of the kiosk link of the activity with this kiosk key."""
    return seal(secret_key, KIOSK_PURPOSE, f"2k{kiosk_key}")


def kiosk_key_of(secret_key: str, token: str) -> str | None:
    """The kiosk key a genuine kiosk token carries; None when forged or malformed."""
    payload = unseal(secret_key, KIOSK_PURPOSE, token)
    match = _KIOSK.match(payload) if payload else None
    return match.group(1) if match else None


def activity_for_kiosk(secret_key: str, token: str) -> Activity | None:
    """The activity whose kiosk link this is (None for forged, unknown or revoked links)."""
    key = kiosk_key_of(secret_key, token)
    if key is None:
        return None
    return db.session.scalar(select(Activity).where(Activity.kiosk_key == key))


def activity_for_token(claims: TokenClaims) -> Activity | None:
    """The activity (with its unit) a verified check-in token names, in one query."""
    named = (
        Activity.checkin_key == claims.key
        if claims.version == 2
        else Activity.id == claims.activity_id
    )
    return db.session.scalar(select(Activity).options(joinedload(Activity.unit)).where(named))


def renew_checkin_key(activity: Activity, user: User, *, now: datetime) -> None:
    """Give the activity a new check-in key: every code made before, printed or on screen,
    stops working at once (version 1 codes too); audited, without the key."""
    activity.checkin_key = new_key()
    activity.accepts_v1_tokens = False
    audit.record(
        "activity.checkin_code_renewed", now=now, actor_user_id=user.id, activity_id=activity.id
    )
    db.session.flush()


def renew_kiosk_key(activity: Activity, user: User, *, now: datetime) -> None:
    """Give the activity a new kiosk key: every kiosk link given out answers 404 at once;
    audited, without the key or the link."""
    activity.kiosk_key = new_kiosk_key()
    audit.record(
        "activity.kiosk_link_renewed", now=now, actor_user_id=user.id, activity_id=activity.id
    )
    db.session.flush()
