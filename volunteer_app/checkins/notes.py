"""What a person is told when a check-in closed their stay elsewhere ("已自动签退 A")."""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _

from volunteer_app.checkins.models import CheckIn
from volunteer_app.formatting import format_hours


def closed_elsewhere(record: CheckIn | None) -> list[CheckIn]:
    """The records a check-in just closed at other activities (none for other writes)."""
    return list(getattr(record, "closed_elsewhere", None) or [])


def closed_elsewhere_note(record: CheckIn | None) -> str:
    """One translated sentence per record the check-in closed elsewhere, or ""."""
    return " · ".join(
        _(
            "Checked out of %(activity)s automatically at %(time)s (%(hours)s h)",
            activity=other.activity.title,
            time=format_datetime(other.checked_out_at, "HH:mm"),
            hours=format_hours(other.minutes),
        )
        for other in closed_elsewhere(record)
    )
