"""The audit log is append-only."""

import pytest
from sqlalchemy import delete, select

from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditEntry, AuditLogIsAppendOnly
from volunteer_app.database import utcnow


def test_record_and_read_back(db, make):
    activity = make.activity()
    organizer = make.user(unit=activity.unit)
    audit.record(
        "hours.adjust",
        now=utcnow(),
        actor_user_id=organizer.id,
        activity_id=activity.id,
        old={"minutes": 60},
        new={"minutes": 90},
        reason="签退忘记扫码",
    )
    db.session.commit()
    (entry,) = audit.for_activity(activity.id)
    assert entry.old_value == {"minutes": 60} and entry.new_value == {"minutes": 90}
    assert entry.reason == "签退忘记扫码"


def test_entries_cannot_be_changed_or_deleted(db, make):
    entry = audit.record("hours.confirm", now=utcnow(), activity_id=make.activity().id)
    db.session.commit()
    entry.reason = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEntry)))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(delete(AuditEntry).where(False)).rowcount == 0
