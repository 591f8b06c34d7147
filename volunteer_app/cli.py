"""Command-line tools: ``flask --app volunteer_app create-district | seed | create-user | urls |
close-checkins``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from volunteer_app.auth.models import Role
from volunteer_app.auth.services import create_user
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.gunicorn_conf import configured_workers
from volunteer_app.lan import lan_addresses
from volunteer_app.ops import BackupError, backup_sqlite, check_config
from volunteer_app.seeding import SeedReport, load_categories, load_demo
from volunteer_app.stations.models import Unit

DEMO_LOGINS = (("admin", "district admin"), ("wanfu", "万福街道"), ("lvling", "吕陵镇"))


def register_commands(app: Flask) -> None:
    """Attach the CLI commands to the app."""
    app.cli.add_command(create_district_command)
    app.cli.add_command(seed_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(urls_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(check_config_command)
    app.cli.add_command(create_api_token_command)
    app.cli.add_command(close_checkins_command)
    app.cli.add_command(check_overlaps_command)


@click.command("create-district")
@click.argument("name")
@click.option("--admin", "admin_username", required=True, help="Username of the district admin.")
@click.password_option(help="The admin's password (asked twice, hidden, when not given).")
@click.option(
    "--another",
    is_flag=True,
    help="Add a further district to an instance serving several (a city's districts).",
)
def create_district_command(name: str, admin_username: str, password: str, another: bool) -> None:
    """Set up an empty database: the district NAME and its first district admin; with
    --another, a further district beside those there."""
    from volunteer_app.stations.services import create_district

    try:
        district, admin = create_district(
            name, admin_username, password, now=utcnow(), another=another
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created the district {district.name} and its admin {admin.username}.")
    click.echo("Sign in, then add centres and stations under Units (/units).")


@click.command("seed")
@click.option("--no-demo", is_flag=True, help="Load reference data only (categories).")
def seed_command(no_demo: bool) -> None:
    """Load categories and, outside production, the demo network, accounts and activities."""
    report = SeedReport()
    load_categories(report)
    production = current_app.config["ENV_NAME"] == "production"
    if production and not no_demo:
        click.echo("Production: demo accounts and activities are not created (categories only).")
    elif not no_demo:
        load_demo(utcnow(), report)
    db.session.commit()
    click.echo(f"Seed: {report.summary()}.")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_name", required=True, help="Name of the unit the account manages.")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.password_option()
def create_user_command(
    username: str, role: str, unit_name: str, display_name: str | None, password: str
) -> None:
    """Create an organizer account."""
    unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
    if unit is None:
        raise click.ClickException(f"no unit named {unit_name!r}")
    try:
        create_user(username, password, role=Role(role), unit=unit, display_name=display_name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {role} {username} for {unit.name}.")


@click.command("urls")
@click.option("--port", default=5000, show_default=True)
def urls_command(port: int) -> None:
    """Print where the app can be opened and the demo logins."""
    click.echo("")
    click.echo("  志愿服务记录 / Volunteer activity log")
    click.echo(f"  On this computer:  http://127.0.0.1:{port}/")
    for address in lan_addresses():
        click.echo(f"  On your network:   http://{address}:{port}/   (phones on the same Wi-Fi)")
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        click.echo(f"  QR codes point to: {base}/")
    if current_app.config["ENV_NAME"] != "production":
        click.echo("  Demo logins (password leifeng35):")
        for username, what in DEMO_LOGINS:
            click.echo(f"    {username:<8} {what}")
    click.echo("")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    """Write a consistent copy of the live SQLite database to PATH (PostgreSQL: pg_dump)."""
    try:
        size = backup_sqlite(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {path} ({size} bytes).")


@click.command("check-config")
def check_config_command() -> None:
    """Report what is unsafe in this configuration; exit 1 if anything is."""
    findings = check_config(dict(current_app.config), workers=configured_workers())
    for finding in findings:
        click.echo(("UNSAFE  " if finding.unsafe else "note    ") + finding.message)
    if any(f.unsafe for f in findings):
        raise click.exceptions.Exit(1)
    click.echo("No unsafe settings found.")


@click.command("create-api-token")
@click.argument("username")
@click.option("--name", default="command line", show_default=True, help="What it is for.")
def create_api_token_command(username: str, name: str) -> None:
    """Create an API token for USERNAME and print it once (only its hash is kept)."""
    from volunteer_app.api.services import create_token
    from volunteer_app.auth.services import find_user

    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    _, raw = create_token(user, name, now=utcnow())
    db.session.commit()
    click.echo(raw)


@click.command("close-checkins")
def close_checkins_command() -> None:
    """Close check-ins left open after their activity's check-out time (run from cron).

    Closed records get 0 h and are marked for the organizer's review.
    """
    from volunteer_app.checkins.review import close_all_due

    closed = close_all_due(utcnow())
    db.session.commit()
    click.echo(f"Closed {closed} open check-ins (marked for review).")


@click.command("check-overlaps")
@click.option("--unit", "unit_id", type=int, help="Only this unit (id) and the units below it.")
def check_overlaps_command(unit_id: int | None) -> None:
    """List each volunteer's live records that share time (written before the overlap
    rule existed), per district or for one --unit. Exits 1 when there are any."""
    from volunteer_app.checkins.overlap_report import find_overlaps
    from volunteer_app.localtime import utc_to_local

    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise click.BadParameter(f"no unit with id {unit_id}", param_hint="--unit")
        units = [unit]
    else:
        units = list(
            db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        )

    def when(moment) -> str:
        return utc_to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else "still open"

    now, total = utcnow(), 0
    for unit in units:
        found = find_overlaps(unit, now=now)
        total += len(found)
        click.echo(f"{unit.name} (unit {unit.id}): {len(found)} overlapping pair(s) of records")
        for overlap in found:
            first, second = overlap.first, overlap.second
            click.echo(
                f"  volunteer {overlap.volunteer_id} {overlap.masked_phone}: "
                f"“{first.activity_title}” (record {first.record_id}, "
                f"{when(first.begins_at)} to {when(first.ends_at)}) and "
                f"“{second.activity_title}” (record {second.record_id}, "
                f"{when(second.begins_at)} to {when(second.ends_at)}) "
                f"share {overlap.minutes} min"
            )
    if total:
        click.echo("Correct or void one record of each pair (the activity's hours page).")
        raise click.exceptions.Exit(1)
