"""residents' orders (点单), their log, ratings, the centres' service menus and deadlines

- ``needs``: one row per order: the station ordered from and the unit holding it now, its
  status, what is asked (category, title, description, address, wanted date and time of
  day, expected length, notes), the contact, the proxy who placed it, the team and the
  activity serving it, the deadline to take it, the reasons, the step times, and the random
  key of its tracking link.
- ``need_events``: each step of an order (from, to, who, when, the unit and team, a note).
- ``need_ratings``: the resident's rating, one per order (1–5 stars twice, a comment).
- ``service_items``: a unit's service menu (服务菜单): what a team offers, for whom, how
  many times it can still be booked.
- ``need_policies``: a centre's deadlines (hours to review, to dispatch, to take).

Revision ID: 0015_needs
Revises: 0014_jobs
Create Date: 2026-12-02 07:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_needs"
down_revision = "0014_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "need_policies",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("respond_hours", sa.Integer(), server_default=sa.text("24"), nullable=False),
        sa.Column("dispatch_hours", sa.Integer(), server_default=sa.text("48"), nullable=False),
        sa.Column("take_hours", sa.Integer(), server_default=sa.text("48"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_need_policies_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_need_policies_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_need_policies")),
    )
    op.create_table(
        "service_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=30), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=2), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "remaining IS NULL OR remaining >= 0", name=op.f("ck_service_items_remaining_ok")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_service_items_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_service_items_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_service_items_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_service_items_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_items")),
    )
    op.create_index(op.f("ix_service_items_team_id"), "service_items", ["team_id"], unique=False)
    op.create_index(op.f("ix_service_items_unit_id"), "service_items", ["unit_id"], unique=False)

    op.create_table(
        "needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_key", sa.String(length=43), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "rejected",
                "accepted",
                "escalated",
                "dispatched",
                "taken",
                "in_service",
                "completed",
                "rated",
                "withdrawn",
                name="needstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("menu_item_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=30), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("wanted_date", sa.Date(), nullable=True),
        sa.Column(
            "wanted_part",
            sa.Enum(
                "morning", "afternoon", "evening", name="daypart", native_enum=False, length=16
            ),
            nullable=True,
        ),
        sa.Column("expected_minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("proxy_user_id", sa.Integer(), nullable=True),
        sa.Column("proxy_note", sa.String(length=50), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("take_by", sa.DateTime(), nullable=True),
        sa.Column("rejection_reason", sa.String(length=200), nullable=False),
        sa.Column("completion_note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("urged_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "expected_minutes IS NULL OR expected_minutes > 0",
            name=op.f("ck_needs_expected_minutes_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_needs_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_needs_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["menu_item_id"], ["service_items.id"], name=op.f("fk_needs_menu_item_id_service_items")
        ),
        sa.ForeignKeyConstraint(
            ["proxy_user_id"], ["users.id"], name=op.f("fk_needs_proxy_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["units.id"], name=op.f("fk_needs_station_id_units")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_needs_team_id_teams")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_needs_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
        sa.UniqueConstraint("tracking_key", name=op.f("uq_needs_tracking_key")),
    )
    op.create_index(op.f("ix_needs_activity_id"), "needs", ["activity_id"], unique=False)
    op.create_index("ix_needs_station_created", "needs", ["station_id", "created_at"], unique=False)
    op.create_index(op.f("ix_needs_team_id"), "needs", ["team_id"], unique=False)
    op.create_index("ix_needs_unit_status", "needs", ["unit_id", "status"], unique=False)

    op.create_table(
        "need_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "submitted",
                "rejected",
                "accepted",
                "escalated",
                "dispatched",
                "taken",
                "in_service",
                "completed",
                "rated",
                "withdrawn",
                name="needstatus",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "submitted",
                "rejected",
                "accepted",
                "escalated",
                "dispatched",
                "taken",
                "in_service",
                "completed",
                "rated",
                "withdrawn",
                name="needstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("by_resident", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_need_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["actor_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_need_events_actor_volunteer_id_volunteers"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_need_events_need_id_needs")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_need_events_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_need_events_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_events")),
    )
    op.create_index(op.f("ix_need_events_need_id"), "need_events", ["need_id"], unique=False)

    op.create_table(
        "need_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("attitude", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("attitude BETWEEN 1 AND 5", name=op.f("ck_need_ratings_attitude_range")),
        sa.CheckConstraint("quality BETWEEN 1 AND 5", name=op.f("ck_need_ratings_quality_range")),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_need_ratings_need_id_needs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_ratings")),
        sa.UniqueConstraint("need_id", name=op.f("uq_need_ratings_need_id")),
    )


def downgrade():
    op.drop_table("need_ratings")
    op.drop_index(op.f("ix_need_events_need_id"), table_name="need_events")

    op.drop_table("need_events")
    op.drop_index("ix_needs_unit_status", table_name="needs")
    op.drop_index(op.f("ix_needs_team_id"), table_name="needs")
    op.drop_index("ix_needs_station_created", table_name="needs")
    op.drop_index(op.f("ix_needs_activity_id"), table_name="needs")

    op.drop_table("needs")
    op.drop_index(op.f("ix_service_items_unit_id"), table_name="service_items")
    op.drop_index(op.f("ix_service_items_team_id"), table_name="service_items")

    op.drop_table("service_items")
    op.drop_table("need_policies")
