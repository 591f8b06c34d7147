"""Plain factories for tests: each makes one object with sensible defaults and flushes."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from volunteer_app.activities.models import Activity, ActivityStatus, Category
from volunteer_app.auth.models import Role, User
from volunteer_app.database import utcnow
from volunteer_app.needs.models import Need, NeedStatus
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.teams.models import HostType, JoinMode, MemberStatus, Team, TeamKind, TeamMember
from volunteer_app.volunteers.models import Household, Volunteer

_seq = itertools.count(1)
#: Numbers the factory makes up start 1395 (contacts 1375), a block no test writes out itself:
#: the counter runs over the whole session, and 139 + the counter reached 13900005678, a
#: number tests spell out, once the suite had made 5,678 people.


class Factory:
    """``make.unit(...)``, ``make.user(...)``, ``make.activity(...)``, ``make.volunteer(...)``,
    ``make.team(...)``, ``make.member(...)``, ``make.need(...)``."""

    PASSWORD = "correct-horse-9"

    def __init__(self, db) -> None:
        self.db = db

    def _save(self, obj):
        self.db.session.add(obj)
        self.db.session.flush()
        return obj

    def unit(self, name: str | None = None, level: UnitLevel = UnitLevel.STATION, parent=None):
        """A unit; a station under a fresh centre under a fresh district unless given."""
        if parent is None and level != UnitLevel.DISTRICT:
            parent = (
                self.unit(level=UnitLevel.CENTRE)
                if level == UnitLevel.STATION
                else (self.unit(level=UnitLevel.DISTRICT))
            )
        return self._save(
            Unit(name=name or f"{level.value}-{next(_seq)}", level=level, parent=parent)
        )

    def user(self, username: str | None = None, role: Role = Role.STATION_ORGANIZER, unit=None):
        """An organizer for ``unit`` (a new unit of the matching level if omitted)."""
        level = {
            Role.DISTRICT_ADMIN: UnitLevel.DISTRICT,
            Role.CENTRE_ORGANIZER: UnitLevel.CENTRE,
            Role.STATION_ORGANIZER: UnitLevel.STATION,
        }[role]
        user = User(
            username=username or f"user{next(_seq)}",
            display_name="组织者",
            role=role,
            unit=unit or self.unit(level=level),
        )
        user.set_password(self.PASSWORD)
        return self._save(user)

    def category(self, code: str = "health"):
        """The category with ``code``, created if missing."""
        existing = self.db.session.query(Category).filter_by(code=code).one_or_none()
        return existing or self._save(
            Category(code=code, name_zh="健康服务", name_en="Health services")
        )

    def activity(
        self,
        unit=None,
        *,
        title: str = "测血压、测血糖",
        starts_at: datetime | None = None,
        minutes: int = 180,
        status: ActivityStatus = ActivityStatus.PUBLISHED,
        **fields,
    ):
        """An activity; by default running now (started 10 minutes ago, 3 hours long)."""
        starts_at = starts_at or (utcnow() - timedelta(minutes=10)).replace(microsecond=0)
        return self._save(
            Activity(
                unit=unit or self.unit(),
                category=self.category(),
                title=title,
                place=fields.pop("place", "万福社区卫生服务中心"),
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                status=status,
                **fields,
            )
        )

    def household(self, phone: str | None = None):
        """A registered number without a PIN (registered by someone else)."""
        return self._save(Household(phone=phone or f"1395{next(_seq):07d}", created_at=utcnow()))

    def volunteer(self, name: str = "李秀英", phone: str | None = None, **fields):
        """A registered volunteer; a new number unless ``phone`` names one already registered,
        whose household they then join (a family sharing one phone)."""
        existing = (
            self.db.session.query(Household).filter_by(phone=phone).one_or_none() if phone else None
        )
        return self._save(
            Volunteer(
                household=existing or self.household(phone),
                name=name,
                consent_version="test",
                consented_at=utcnow(),
                **fields,
            )
        )

    def team(
        self,
        unit=None,
        *,
        name: str | None = None,
        join_mode: JoinMode = JoinMode.APPROVAL,
        **fields,
    ):
        """A team of ``unit`` (a new station by default): a clinic's medical team."""
        return self._save(
            Team(
                unit=unit or self.unit(),
                name=name or f"医护志愿服务队{next(_seq)}",
                kind=fields.pop("kind", TeamKind.GROUP),
                host_type=fields.pop("host_type", HostType.HEALTH),
                host_name=fields.pop("host_name", "万福社区卫生服务中心"),
                join_mode=join_mode,
                **fields,
            )
        )

    def member(
        self,
        team,
        volunteer=None,
        *,
        leader: bool = False,
        status: MemberStatus = MemberStatus.ACTIVE,
    ):
        """``volunteer`` (a new one by default) as a member of ``team``; a leader if asked."""
        return self._save(
            TeamMember(
                team=team,
                volunteer=volunteer or self.volunteer(),
                status=status,
                is_leader=leader,
            )
        )

    def need(
        self,
        station=None,
        *,
        status: NeedStatus = NeedStatus.SUBMITTED,
        title: str = "上门测血压",
        **fields,
    ):
        """A resident's order from ``station`` (a new one by default), held there."""
        station = station or self.unit()
        return self._save(
            Need(
                station=station,
                unit=fields.pop("unit", station),
                status=status,
                category=fields.pop("category", None) or self.category(),
                title=title,
                contact_name=fields.pop("contact_name", "张桂芝"),
                contact_phone=fields.pop("contact_phone", f"1375{next(_seq):07d}"),
                address=fields.pop("address", "万福街道幸福小区3号楼2单元"),
                **fields,
            )
        )
