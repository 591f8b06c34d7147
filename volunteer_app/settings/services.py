"""Reading and changing settings; every change is audited with the old and new value."""

from __future__ import annotations

from datetime import datetime

from volunteer_app.audit import services as audit
from volunteer_app.extensions import db
from volunteer_app.settings.models import Setting


def get(key: str) -> str | None:
    """The stored value of a setting, or None when nobody has chosen one yet."""
    row = db.session.get(Setting, key)
    return row.value if row is not None else None


def put(key: str, value: str, *, user_id: int, now: datetime, field: str = "value") -> None:
    """Store a setting, audited as ``settings.<key>`` with ``{field: old}`` → ``{field: new}``."""
    row = db.session.get(Setting, key)
    old = row.value if row is not None else None
    if row is None:
        row = Setting(key=key, value=value)
        db.session.add(row)
    row.value, row.updated_at, row.updated_by_id = value, now, user_id
    audit.record(
        f"settings.{key}", now=now, actor_user_id=user_id, old={field: old}, new={field: value}
    )
    db.session.flush()
