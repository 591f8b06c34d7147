"""Load reference and demo data from ``seeds/`` through the services (never raw SQL).

Every step looks up what it would create first, so running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from volunteer_app.activities.models import Activity, ActivityStatus, Category
from volunteer_app.activities.services import create_activity
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.services import create_user, find_user
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import HoursStatus
from volunteer_app.extensions import db
from volunteer_app.localtime import local_to_utc, utc_to_local
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.teams import membership
from volunteer_app.teams import services as team_services
from volunteer_app.teams.models import Team, TeamMember
from volunteer_app.volunteers.models import Volunteer
from volunteer_app.volunteers.rules import normalize_phone
from volunteer_app.volunteers.services import create_household, household_by_phone, register

SEED_DIR = Path(__file__).resolve().parent.parent / "seeds"


@dataclass
class SeedReport:
    """What one run of the loader created."""

    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        """Count one created object of ``kind``."""
        self.created[kind] = self.created.get(kind, 0) + 1

    def summary(self) -> str:
        """A one-line human summary."""
        if not self.created:
            return "nothing new (already loaded)"
        return ", ".join(f"{n} {kind}" for kind, n in sorted(self.created.items()))


def _read(name: str, directory: Path | None = None) -> dict[str, Any]:
    with open((directory or SEED_DIR) / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_categories(report: SeedReport, directory: Path | None = None) -> None:
    """Create the default activity categories that do not exist yet."""
    existing = set(db.session.scalars(select(Category.code)))
    for order, item in enumerate(_read("categories.yaml", directory)["categories"]):
        if item["code"] in existing:
            continue
        db.session.add(
            Category(code=item["code"], name_zh=item["zh"], name_en=item["en"], sort_order=order)
        )
        report.add("categories")
    db.session.flush()


def _unit(name: str, level: UnitLevel, parent: Unit | None, report: SeedReport) -> Unit:
    unit = db.session.scalar(
        select(Unit).where(
            Unit.name == name,
            Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id,
        )
    )
    if unit is None:
        unit = Unit(name=name, level=level, parent=parent)
        db.session.add(unit)
        db.session.flush()
        report.add("units")
    return unit


def load_demo(now: datetime, report: SeedReport, directory: Path | None = None) -> None:
    """Create the demo network, accounts, volunteers, activities and check-ins."""
    data = _read("demo.yaml", directory)
    units: dict[str, Unit] = {}
    district = _unit(data["district"], UnitLevel.DISTRICT, None, report)
    units[district.name] = district
    for item in data["units"]:
        level = UnitLevel(item["level"])
        unit = _unit(item["name"], level, district, report)
        units[unit.name] = unit
        for station in item.get("stations", []):
            units[station] = _unit(station, UnitLevel.STATION, unit, report)

    for account in data["accounts"]:
        if find_user(account["username"]) is None:
            create_user(
                account["username"],
                data["demo_password"],
                role=Role(account["role"]),
                unit=units[account["unit"]],
                display_name=account["name"],
            )
            report.add("accounts")
    admin = find_user(data["accounts"][0]["username"])
    assert admin is not None and isinstance(admin, User)

    volunteers = {}  # by (phone, name), and by phone for a phone of one person
    for person in data["volunteers"]:
        phone = normalize_phone(person["phone"])
        if person.get("pin") and household_by_phone(phone) is None:
            # A demo person who chose a PIN, as at their first own scan: they can sign in.
            create_household(phone, now=now, pin_hash=generate_password_hash(person["pin"]))
        volunteer = register(
            person["name"],
            phone,
            now=now,
            consent_version="demo",
            is_minor=person.get("minor", False),
        )
        volunteers.setdefault(phone, volunteer)
        volunteers[phone, volunteer.name] = volunteer

    categories = {c.code: c for c in db.session.scalars(select(Category))}
    teams = _load_teams(data.get("teams", []), units, categories, volunteers, admin, now, report)
    visits: list = []
    created: list[Activity] = []
    for item in data["activities"]:
        unit = units[item["unit"]]
        exists = db.session.scalar(
            select(Activity.id).where(Activity.unit_id == unit.id, Activity.title == item["title"])
        )
        if exists is not None:
            continue
        if "at" in item:
            starts_at = local_to_utc(datetime.strptime(item["at"], "%Y-%m-%d %H:%M"))
        else:
            starts_at = (now + timedelta(minutes=item["starts_in"])).replace(
                second=0, microsecond=0
            )
        activity = create_activity(
            admin,
            title=item["title"],
            category_id=categories[item["category"]].id,
            unit_id=unit.id,
            place=item["place"],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=item["minutes"]),
            capacity=item.get("capacity"),
            description=item.get("description", ""),
            team_id=teams[item["team"]].id if "team" in item else None,
            members_only=item.get("members_only", False),
            now=now,
        )
        created.append(activity)
        report.add("activities")
        day = utc_to_local(starts_at).date()
        for visit in item.get("checkins", []):
            visits.append((_on(day, visit["in"]), len(visits), activity, item, visit))
    # In the order they happened: a person's stays follow one another, never overlap
    # (a check-in while still checked in elsewhere would close that stay).
    for at, _n, activity, item, visit in sorted(visits, key=lambda v: v[:2]):
        phone = normalize_phone(visit["phone"])
        volunteer = volunteers[(phone, visit["name"]) if "name" in visit else phone]
        if volunteer.registered_unit_id is None:  # registered by their first own scan
            volunteer.registered_unit_id = activity.unit_id
        record = checkins.check_in(activity, volunteer, now=at)
        if "out" in visit:
            day = utc_to_local(activity.starts_at).date()
            record = checkins.check_out(activity, volunteer, now=_on(day, visit["out"]))
            if item.get("confirmed"):
                record.status = HoursStatus.CONFIRMED
        report.add("check-ins")
    for activity in created:
        if activity.ends_at < now:
            activity.status = ActivityStatus.FINISHED
    db.session.flush()
    menu_items = _load_menu(data.get("menu", []), units, categories, teams, admin, now, report)
    _load_orders(data.get("orders", []), units, categories, teams, menu_items, admin, now, report)


def _load_menu(items, units, categories, teams, admin, now: datetime, report) -> dict:
    """Add the demo's service menu items that do not exist yet (by unit and title) through
    the menu's services, as the district admin; every item by title."""
    from volunteer_app.needs import menu
    from volunteer_app.needs.models import ServiceItem

    found = {}
    for item in items:
        unit = units[item["unit"]]
        row = db.session.scalar(
            select(ServiceItem).where(
                ServiceItem.unit_id == unit.id, ServiceItem.title == item["title"]
            )
        )
        if row is None:
            row = menu.create_item(
                admin,
                unit,
                team_id=teams[item["team"]].id,
                category_id=categories[item["category"]].id,
                title=item["title"],
                description=item.get("description", ""),
                audience=item["audience"],
                remaining=item.get("remaining"),
                now=now,
            )
            report.add("menu items")
        found[row.title] = row
    return found


def _load_orders(items, units, categories, teams, menu, admin, now: datetime, report) -> None:
    """Place the demo's residents' orders that do not exist yet (from the menu item
    ``item`` names, if any) and take their steps
    through the services (the district admin reviews and dispatches; the team's leader
    takes and completes; the resident withdraws and rates), a few hours apart."""
    from volunteer_app.needs import rules as need_rules
    from volunteer_app.needs import services as needs
    from volunteer_app.needs.models import Need
    from volunteer_app.needs.rules import Step

    for item in items:
        station = units[item["station"]]
        exists = db.session.scalar(
            select(Need.id).where(Need.station_id == station.id, Need.title == item["title"])
        )
        if exists is not None:
            continue
        at = now - timedelta(days=item["days_ago"])
        fields = need_rules.validate_order(
            contact_name=item["contact"]["name"],
            contact_phone=item["contact"]["phone"],
            title=item["title"],
            description=item.get("description", ""),
            address=item.get("address", ""),
            today=utc_to_local(at).date(),
        )
        need = needs.submit(
            station,
            fields,
            category_id=categories[item["category"]].id,
            menu_item=menu[item["item"]] if "item" in item else None,
            now=at,
        )
        report.add("orders")
        for n, step in enumerate(item["steps"], start=1):
            name, value = next(iter(step.items())) if isinstance(step, dict) else (step, None)
            when = at + timedelta(hours=3 * n)
            if name == "rate":
                quality, attitude, comment = value
                needs.rate(need, quality=quality, attitude=attitude, comment=comment, now=when)
                continue
            team = teams[value] if name == "dispatch" else None
            leader = _leader_of(need.team_id) if name in ("take", "complete") else None
            actor = (
                needs.Actor.resident()
                if name == "withdraw"
                else needs.Actor.team_leader(leader)
                if leader
                else needs.Actor.organizer(admin)
            )
            needs.take_step(
                need,
                Step(name),
                actor,
                note=value if isinstance(value, str) and name != "dispatch" else "",
                team=team,
                take_by=when + timedelta(hours=48) if team else None,
                now=when,
            )


def _leader_of(team_id: int | None):
    """A leader of the team now, or None."""
    if team_id is None:
        return None
    return db.session.scalar(
        select(Volunteer)
        .join(TeamMember, TeamMember.volunteer_id == Volunteer.id)
        .where(TeamMember.team_id == team_id, TeamMember.is_leader.is_(True))
        .limit(1)
    )


def _load_teams(
    items: list[dict],
    units: dict[str, Unit],
    categories: dict[str, Category],
    volunteers: dict,
    admin: User,
    now: datetime,
    report: SeedReport,
) -> dict[str, Team]:
    """Create the demo's teams and their members (one leader each) that do not exist yet,
    through the team services as the district admin, so each is audited as an organizer's
    would be ("team.create", "team.add", "team.leader"); every team by name. A team found
    again is left as it is (it may have been edited), and so is anyone who was ever in it."""
    by_admin = membership.By.organizer(admin)
    teams: dict[str, Team] = {}
    for item in items:
        unit = units[item["unit"]]
        team = db.session.scalar(
            select(Team).where(Team.unit_id == unit.id, Team.name == item["name"])
        )
        if team is None:
            contact = item.get("contact", {})
            fields = {
                "name": item["name"],
                "kind": item["kind"],
                "host_type": item["host_type"],
                "host_name": item.get("host_name", ""),
                "contact_name": contact.get("name", ""),
                "contact_phone": contact.get("phone", ""),
                "intro": item.get("intro", ""),
                "join_mode": item["join_mode"],
                "join_code": item.get("join_code", ""),
            }
            chosen = [categories[code].id for code in item.get("categories", [])]
            team = team_services.create_team(admin, unit, fields, chosen, now=now)
            report.add("teams")
        teams[team.name] = team
        for person in item.get("members", []):
            phone = normalize_phone(person["phone"])
            volunteer: Volunteer = volunteers[
                (phone, person["name"]) if "name" in person else phone
            ]
            exists = db.session.scalar(
                select(TeamMember.id).where(
                    TeamMember.team_id == team.id, TeamMember.volunteer_id == volunteer.id
                )
            )
            if exists is None:
                member = membership.add(team, volunteer, by_admin, now=now)
                if person.get("leader", False):
                    membership.name_leader(team, member.id, by_admin, leader=True, now=now)
                report.add("team members")
    db.session.flush()
    return teams


def _on(day, hhmm: str) -> datetime:
    """A local "HH:MM" on ``day`` as aware UTC."""
    return local_to_utc(datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time()))
