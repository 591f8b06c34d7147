"""initial schema

The whole schema: tables in dependency order, their indexes, and the triggers that keep
the report tables current (volunteer_app/migrations/triggers.py). Constraint and index
names follow the naming convention of volunteer_app/database.py. No rows are inserted:
the categories (and, outside production, the demo data) come from ``flask seed``.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26 13:30:00

"""

import sqlalchemy as sa
from alembic import op

from volunteer_app.migrations import triggers

# revision identifiers, used by Alembic.
revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # Units of the practice network (district → centre → station); everything belongs to one.
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "district", "centre", "station", name="unitlevel", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_units_parent_id_name")),
    )
    op.create_index(op.f("ix_units_parent_id"), "units", ["parent_id"], unique=False)

    # Kinds of service, named in both UI languages.
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_categories_code")),
    )

    # Organizer accounts, each scoped to one unit.
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "district_admin",
                "centre_organizer",
                "station_organizer",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_users_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_unit_id"), "users", ["unit_id"], unique=False)

    # A mobile number and the people who use it; the PIN belongs to the phone.
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("pin_hash", sa.String(length=256), nullable=True),
        sa.Column("pin_set_at", sa.DateTime(), nullable=True),
        sa.Column("setup_code_hash", sa.String(length=256), nullable=True),
        sa.Column("setup_code_expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("phone", name=op.f("uq_households_phone")),
    )

    # Volunteers: each person with their own name and records, reached through a household.
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("consent_version", sa.String(length=20), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("is_minor", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("guardian_consented_at", sa.DateTime(), nullable=True),
        sa.Column("registered_unit_id", sa.Integer(), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_volunteers_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["users.id"], name=op.f("fk_volunteers_registered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["registered_unit_id"],
            ["units.id"],
            name=op.f("fk_volunteers_registered_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint(
            "household_id", "name", name=op.f("uq_volunteers_household_id_name")
        ),
    )
    op.create_index(
        op.f("ix_volunteers_household_id"), "volunteers", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_volunteers_registered_unit_id"), "volunteers", ["registered_unit_id"], unique=False
    )
    # New volunteers of a report period: those registered in it.
    op.create_index("ix_volunteers_report_created", "volunteers", ["created_at"], unique=False)

    # Browsers that remember a volunteer through a long-lived signed cookie.
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_devices_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("key", name=op.f("uq_devices_key")),
    )
    op.create_index(op.f("ix_devices_volunteer_id"), "devices", ["volunteer_id"], unique=False)

    # API bearer tokens, each acting as one organizer (only a hash is stored).
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)

    # Failed PIN attempts per phone number, known or not (temporary lockout).
    op.create_table(
        "pin_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pin_throttles")),
    )

    # Values an administrator can change at runtime (e.g. the star-level preset).
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )

    # Activities a unit holds at a place and time, with the projector's check-in settings.
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "finished",
                "cancelled",
                name="activitystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rotate_seconds", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.Column("allow_static_code", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity > 0", name=op.f("ck_activities_capacity_positive")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_activities_ends_after_start")),
        sa.CheckConstraint("rotate_seconds >= 10", name=op.f("ck_activities_rotate_seconds_min")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_activities_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_activities_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_activities_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(op.f("ix_activities_category_id"), "activities", ["category_id"], unique=False)
    op.create_index(
        "ix_activities_unit_starts", "activities", ["unit_id", "starts_at"], unique=False
    )
    # Reports scan activities by start time; the other columns make the index covering.
    op.create_index(
        "ix_activities_report_starts",
        "activities",
        ["starts_at", "unit_id", "category_id", "status"],
        unique=False,
    )

    # Volunteers' sign-ups for upcoming activities; cancelling keeps the row.
    op.create_table(
        "signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_signups_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_signups_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signups")),
        sa.UniqueConstraint(
            "activity_id", "volunteer_id", name=op.f("uq_signups_activity_id_volunteer_id")
        ),
    )
    op.create_index(op.f("ix_signups_activity_id"), "signups", ["activity_id"], unique=False)
    op.create_index(op.f("ix_signups_volunteer_id"), "signups", ["volunteer_id"], unique=False)

    # A volunteer's attendance at an activity and the minutes it earns (one per pair).
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum("scan", "organizer", name="hoursorigin", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("pending", "confirmed", name="hoursstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("needs_review", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("self_made", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("minutes >= 0", name=op.f("ck_checkins_minutes_not_negative")),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_checkins_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_checkins_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_checkins_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint(
            "activity_id", "volunteer_id", name=op.f("uq_checkins_activity_id_volunteer_id")
        ),
    )
    op.create_index(op.f("ix_checkins_volunteer_id"), "checkins", ["volunteer_id"], unique=False)
    # Every report sum reads check-ins by activity; these columns make the index covering.
    op.create_index(
        "ix_checkins_report_activity",
        "checkins",
        ["activity_id", "status", "origin", "minutes", "volunteer_id", "checked_out_at"],
        unique=False,
    )

    # Volunteers' requests to correct a check-in, and the organizer's decision.
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("proposed_in_at", sa.DateTime(), nullable=True),
        sa.Column("proposed_out_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "declined",
                name="correctionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("old_minutes", sa.Integer(), nullable=True),
        sa.Column("new_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_corrections_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_corrections_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_corrections_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index(op.f("ix_corrections_checkin_id"), "corrections", ["checkin_id"], unique=False)
    op.create_index(
        op.f("ix_corrections_volunteer_id"), "corrections", ["volunteer_id"], unique=False
    )

    # Service-record certificates as issued: a snapshot, so a verifier sees what was certified.
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("holder_name", sa.String(length=50), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("issuers", sa.String(length=1000), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_certificates_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
    )
    op.create_index(
        op.f("ix_certificates_volunteer_id"), "certificates", ["volunteer_id"], unique=False
    )

    # Every change to a record that hours, star levels or certificates rest on.
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_audit_entries_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_audit_entries_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["actor_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_audit_entries_actor_volunteer_id_volunteers"),
        ),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_audit_entries_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_audit_entries_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_activity_at", "audit_entries", ["activity_id", "at"], unique=False
    )
    op.create_index(
        op.f("ix_audit_entries_checkin_id"), "audit_entries", ["checkin_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_entries_volunteer_id"), "audit_entries", ["volunteer_id"], unique=False
    )

    # Each activity's check-in sums for the reports, kept by triggers on checkins: row
    # (shard) 0, and on PostgreSQL more rows while concurrent check-ins hold the others.
    op.create_table(
        "activity_stats",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.Column("confirmed_minutes", sa.Integer(), nullable=False),
        sa.Column("pending_minutes", sa.Integer(), nullable=False),
        sa.Column("scan_minutes", sa.Integer(), nullable=False),
        sa.Column("organizer_minutes", sa.Integer(), nullable=False),
        sa.Column("open_checkins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_stats_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "shard", name=op.f("pk_activity_stats")),
    )

    # Who served in a unit during a past month or year (filled on first view), valid while
    # filled_version = version; triggers bump version when a change could alter the set.
    op.create_table(
        "report_volunteer_sets",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("filled_version", sa.Integer(), nullable=True),
        sa.Column("volunteer_ids", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_report_volunteer_sets_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "starts_at", "ends_at", name=op.f("pk_report_volunteer_sets")
        ),
    )
    op.create_index(
        op.f("ix_report_volunteer_sets_ends_at"), "report_volunteer_sets", ["ends_at"], unique=False
    )

    # What keeps activity_stats and report_volunteer_sets current (PostgreSQL: functions too).
    for statement in triggers.create_statements(op.get_context().dialect.name, voids=False):
        op.execute(statement)


def downgrade():
    # Triggers and functions first; dropping a table drops its indexes.
    for statement in triggers.drop_statements(op.get_context().dialect.name):
        op.execute(statement)
    for table in (
        "report_volunteer_sets",
        "activity_stats",
        "audit_entries",
        "certificates",
        "corrections",
        "checkins",
        "signups",
        "activities",
        "settings",
        "pin_throttles",
        "api_tokens",
        "devices",
        "volunteers",
        "households",
        "users",
        "categories",
        "units",
    ):
        op.drop_table(table)
