"""Reading and changing settings; every change is audited with the old and new value.

A change locks the setting's row (created first when absent), so two changes at once are
applied one after the other and each entry's old value is the value it replaced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_app.audit import services as audit
from volunteer_app.extensions import db
from volunteer_app.settings.models import Setting


def get(key: str) -> str | None:
    """The stored value of a setting, or None when nobody has chosen one yet."""
    row = db.session.get(Setting, key)
    return row.value if row is not None else None


def put(key: str, value: str, *, user_id: int, now: datetime, field: str = "value") -> None:
    """Store a setting, audited as ``settings.<key>`` with ``{field: old}`` → ``{field: new}``."""
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    created = db.session.execute(
        insert(Setting.__table__)
        .values(key=key, value=value, updated_at=now, updated_by_id=user_id)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Setting.__table__.c.key)
    ).first()
    old = None
    if created is None:
        row = db.session.get(Setting, key, with_for_update=True, populate_existing=True)
        old = row.value
        row.value, row.updated_at, row.updated_by_id = value, now, user_id
    audit.record(
        f"settings.{key}", now=now, actor_user_id=user_id, old={field: old}, new={field: value}
    )
    db.session.flush()
