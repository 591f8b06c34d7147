"""volunteer teams (志愿服务队), their members and the activities they run

- ``teams``: a unit's team, with its national kind and host type codes, host unit name,
  contact, introduction, join mode and code, the random key of its join link, and when it
  was disabled.
- ``team_categories``: the team's service categories (at most four, checked by the rules).
- ``team_members``: one row per (team, volunteer), whose status changes (pending, active,
  rejected, left, removed) and never disappears; ``is_leader`` marks the team's leaders.
- ``activities.team_id``: the team that runs the activity; ``activities.members_only``:
  sign-ups limited to the team's members (指定志愿队伍招募).

Revision ID: 0008_teams
Revises: 0007_id_numbers
Create Date: 2026-12-02 07:40:00

"""

import sqlalchemy as sa
from alembic import op

from volunteer_app.migrations import triggers

# revision identifiers, used by Alembic.
revision = "0008_teams"
down_revision = "0007_id_numbers"
branch_labels = None
depends_on = None


def _enum(name: str, values: list[str], length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


KINDS = ["1", "2", "3"]
HOST_TYPES = [f"{n:02d}" for n in range(1, 17)] + ["99"]
JOIN_MODES = ["1", "2", "3", "4"]
MEMBER_STATUSES = ["pending", "active", "rejected", "left", "removed"]


def upgrade():
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", _enum("teamkind", KINDS, 2), nullable=False),
        sa.Column("host_type", _enum("hosttype", HOST_TYPES, 2), nullable=False),
        sa.Column("host_name", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("intro", sa.String(length=500), nullable=False),
        sa.Column("join_mode", _enum("joinmode", JOIN_MODES, 2), nullable=False),
        sa.Column("join_code", sa.String(length=12), nullable=False),
        sa.Column("join_key", sa.String(length=43), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_teams_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_teams_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("join_key", name=op.f("uq_teams_join_key")),
        sa.UniqueConstraint("unit_id", "name", name=op.f("uq_teams_unit_id_name")),
    )
    op.create_index(op.f("ix_teams_unit_id"), "teams", ["unit_id"], unique=False)
    op.create_table(
        "team_categories",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_team_categories_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_categories_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "category_id", name=op.f("pk_team_categories")),
    )
    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("memberstatus", MEMBER_STATUSES, 16), nullable=False),
        sa.Column("is_leader", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_volunteer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["users.id"],
            name=op.f("fk_team_members_changed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_team_members_changed_by_volunteer_id_volunteers"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_team_members_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_members")),
        sa.UniqueConstraint("team_id", "volunteer_id", name=op.f("uq_team_members_team_id_volunteer_id")),
    )
    op.create_index(
        "ix_team_members_volunteer_status", "team_members", ["volunteer_id", "status"], unique=False
    )
    # Plain ADD COLUMN (no batch copy), so SQLite keeps the report triggers on
    # ``activities``; SQLite takes the foreign key inline, on a column that defaults to NULL.
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE activities ADD COLUMN team_id INTEGER "
            "CONSTRAINT fk_activities_team_id_teams REFERENCES teams (id)"
        )
    else:
        op.add_column("activities", sa.Column("team_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_activities_team_id_teams"), "activities", "teams", ["team_id"], ["id"]
        )
    op.create_index(op.f("ix_activities_team_id"), "activities", ["team_id"], unique=False)
    op.add_column(
        "activities",
        sa.Column("members_only", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    sqlite = op.get_context().dialect.name == "sqlite"
    # SQLite cannot drop a column that holds a foreign key without rebuilding the table,
    # and a rebuild drops the report triggers on ``activities``: drop and make them again.
    if sqlite:
        for statement in triggers.drop_statements("sqlite"):
            op.execute(statement)
    with op.batch_alter_table("activities") as batch:
        batch.drop_index(op.f("ix_activities_team_id"))
        if not sqlite:
            batch.drop_constraint(op.f("fk_activities_team_id_teams"), type_="foreignkey")
        batch.drop_column("members_only")
        batch.drop_column("team_id")
    if sqlite:
        for statement in triggers.create_statements("sqlite", voids=False):
            op.execute(statement)
    op.drop_index("ix_team_members_volunteer_status", table_name="team_members")
    op.drop_table("team_members")
    op.drop_table("team_categories")
    op.drop_index(op.f("ix_teams_unit_id"), table_name="teams")
    op.drop_table("teams")
