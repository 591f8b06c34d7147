"""personal values of audit entries in their own table, so that a deletion can erase them

- ``audit_personal``: per audit entry, what it says about one volunteer by name or in free
  text (a walk-in's name, the reason of a correction or an adjustment). A PIPL deletion
  erases its data; ``audit_entries`` stays append-only.
- The entries written before keep such values in ``new_value`` (a walk-in's name) or
  ``reason``; they are moved over once, here. This is the one change ever made to existing
  audit entries, by the schema itself; the values of volunteers who have deleted their
  account are erased on the way, and so are the texts of their corrections.

Revision ID: 0003_audit_personal
Revises: 0002_organizer_sessions
Create Date: 2026-11-28 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_audit_personal"
down_revision = "0002_organizer_sessions"
branch_labels = None
depends_on = None

#: Actions whose ``reason`` was typed about the volunteer (by them or by an organizer).
TYPED_REASONS = (
    "correction.request",
    "correction.accept",
    "correction.decline",
    "hours.adjust",
    "hours.add",
)

entries = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("volunteer_id", sa.Integer),
    sa.column("new_value", sa.JSON),
    sa.column("reason", sa.Text),
)
personal = sa.table(
    "audit_personal",
    sa.column("entry_id", sa.Integer),
    sa.column("volunteer_id", sa.Integer),
    sa.column("data", sa.JSON(none_as_null=True)),
    sa.column("erased_at", sa.DateTime),
)
volunteers = sa.table(
    "volunteers", sa.column("id", sa.Integer), sa.column("deleted_at", sa.DateTime)
)
corrections = sa.table(
    "corrections",
    sa.column("volunteer_id", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("decision_reason", sa.Text),
)


def upgrade():
    op.create_table(
        "audit_personal",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entries.id"],
            name=op.f("fk_audit_personal_entry_id_audit_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_audit_personal_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_audit_personal")),
    )
    op.create_index(
        op.f("ix_audit_personal_volunteer_id"), "audit_personal", ["volunteer_id"], unique=False
    )
    _move_personal_values()


def _move_personal_values() -> None:
    conn = op.get_bind()
    deleted = dict(
        conn.execute(
            sa.select(volunteers.c.id, volunteers.c.deleted_at).where(
                volunteers.c.deleted_at.is_not(None)
            )
        ).all()
    )
    rows = conn.execute(
        sa.select(entries.c.id, entries.c.action, entries.c.volunteer_id, entries.c.new_value,
                  entries.c.reason)
        .where(
            entries.c.volunteer_id.is_not(None),
            sa.or_(
                entries.c.action == "volunteer.walk_in",
                sa.and_(entries.c.action.in_(TYPED_REASONS), entries.c.reason != ""),
            ),
        )
        .order_by(entries.c.id)
    ).all()
    for entry_id, action, volunteer_id, new_value, reason in rows:
        if action == "volunteer.walk_in":
            name = (new_value or {}).get("name") if isinstance(new_value, dict) else None
            if not name:
                continue
            data = {"name": name}
            conn.execute(
                entries.update().where(entries.c.id == entry_id).values(new_value=sa.null())
            )
        else:
            data = {"reason": reason}
            conn.execute(entries.update().where(entries.c.id == entry_id).values(reason=""))
        erased_at = deleted.get(volunteer_id)
        conn.execute(
            personal.insert().values(
                entry_id=entry_id,
                volunteer_id=volunteer_id,
                data=None if erased_at else data,
                erased_at=erased_at,
            )
        )
    if deleted:
        conn.execute(
            corrections.update()
            .where(corrections.c.volunteer_id.in_(list(deleted)))
            .values(reason="", decision_reason="")
        )


def downgrade():
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(personal.c.entry_id, entries.c.action, personal.c.data)
        .join(entries, entries.c.id == personal.c.entry_id)
        .where(personal.c.data.is_not(None))
    ).all()
    for entry_id, action, data in rows:
        if action == "volunteer.walk_in":
            values = {"new_value": {"name": data.get("name", "")}}
        else:
            values = {"reason": data.get("reason", "")}
        conn.execute(entries.update().where(entries.c.id == entry_id).values(**values))
    op.drop_index(op.f("ix_audit_personal_volunteer_id"), table_name="audit_personal")
    op.drop_table("audit_personal")
