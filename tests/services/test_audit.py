"""The audit log is append-only; personal values live beside it and can be erased."""

import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select, text

from volunteer_app import create_app
from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditEntry, AuditLogIsAppendOnly
from volunteer_app.checkins.models import CheckIn, Correction
from volunteer_app.database import utcnow
from volunteer_app.extensions import db as _db

from ..conftest import _test_config, throwaway_postgres
from ..factories import Factory


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


def test_personal_values_go_beside_the_entry_and_are_erased_without_touching_it(db, make):
    volunteer = make.volunteer("赵秀兰")
    entry = audit.record(
        "hours.adjust",
        now=utcnow(),
        volunteer_id=volunteer.id,
        new={"minutes": 90},
        personal={"reason": "帮忙收拾场地"},
    )
    db.session.commit()
    assert entry.reason == "" and entry.personal_value("reason") == "帮忙收拾场地"
    with pytest.raises(ValueError):
        audit.record("hours.adjust", now=utcnow(), personal={"reason": "x"})
    assert audit.erase_personal(volunteer.id, now=utcnow()) == 1
    assert audit.erase_personal(volunteer.id, now=utcnow()) == 0  # once
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(AuditEntry, entry.id)
    assert kept.new_value == {"minutes": 90} and kept.personal_value("reason") is None
    assert kept.personal.erased_at is not None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_moves_personal_values_out_of_older_entries(backend, tmp_path):
    """Entries written before 0003_audit_personal held names and typed reasons themselves."""
    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'personal.sqlite3'}"
        check_personal_migration(uri, fresh=True)
    else:
        with throwaway_postgres() as uri:
            check_personal_migration(uri, fresh=False)


def check_personal_migration(uri: str, *, fresh: bool) -> None:
    app = create_app(_test_config(uri))
    with app.app_context():
        if fresh:
            upgrade()
        # The people and records through today's models, then the schema of 0002 for the
        # entries as they were written then.
        make = Factory(_db)
        activity = make.activity()
        kept, gone = make.volunteer("孙丽娟"), make.volunteer("钱秀英")
        gone.deleted_at = utcnow().replace(microsecond=0)
        record = CheckIn(activity=activity, volunteer=gone, checked_in_at=activity.starts_at)
        _db.session.add(record)
        _db.session.flush()
        _db.session.add(
            Correction(
                checkin_id=record.id,
                volunteer_id=gone.id,
                reason="她的原话",
                decision_reason="答复",
            )
        )
        _db.session.commit()
        kept_id, gone_id, deleted_at = kept.id, gone.id, gone.deleted_at
        _db.session.remove()
        downgrade(revision="0002_organizer_sessions")
        old = [
            AuditEntry(action="volunteer.walk_in", at=utcnow(), volunteer_id=kept_id,
                       new_value={"name": "孙丽娟"}, reason=""),
            AuditEntry(action="correction.request", at=utcnow(), volunteer_id=kept_id,
                       new_value={"correction_id": 1}, reason="忘记签退"),
            AuditEntry(action="hours.adjust", at=utcnow(), volunteer_id=gone_id,
                       reason="提前离开"),
            AuditEntry(action="checkin.close_at_end", at=utcnow(), volunteer_id=gone_id,
                       reason="not checked out"),
        ]  # fmt: skip
        _db.session.add_all(old)
        _db.session.flush()
        ids = [e.id for e in old]  # before the commit: reloading would look for audit_personal
        _db.session.commit()
        _db.session.remove()

        upgrade()

        entries = {e.id: e for e in _db.session.scalars(select(AuditEntry))}
        walk_in, asked, adjusted, closed = (entries[i] for i in ids)
        assert walk_in.new_value is None and walk_in.personal_value("name") == "孙丽娟"
        assert asked.reason == "" and asked.personal_value("reason") == "忘记签退"
        assert asked.new_value == {"correction_id": 1}
        assert adjusted.reason == "" and adjusted.personal_value("reason") is None
        assert adjusted.personal.erased_at == deleted_at
        assert closed.reason == "not checked out" and closed.personal is None
        correction = _db.session.scalar(select(Correction))
        assert (correction.reason, correction.decision_reason) == ("", "")
        _db.session.remove()

        downgrade(revision="0002_organizer_sessions")
        with _db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, new_value, reason FROM audit_entries ORDER BY id")
            ).all()
        back = {row.id: row for row in rows}
        name = back[ids[0]].new_value
        assert (json.loads(name) if isinstance(name, str) else name) == {"name": "孙丽娟"}
        assert back[ids[1]].reason == "忘记签退"
        assert back[ids[2]].reason == ""  # erased stays erased
        upgrade()
        _db.engine.dispose()
