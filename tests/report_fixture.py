"""A small, hand-countable data set for the report tests (March 2025, Beijing time).

    district 菏泽高新区
      centre 万福街道 (C1)                       centre 吕陵镇 (C2)
        station 万福社区 (S1)   station 新华社区 (S2)   station 吕陵村 (S3)

| act | unit | category | local start | status    | check-ins (minutes, status, origin)          |
|-----|------|----------|-------------|-----------|----------------------------------------------|
| A1  | S1   | health   | 03-05 07:30 | finished  | V1 180 conf scan; V2 120 pend; V3 open (0)   |
| A2  | S2   | cleanup  | 03-05 14:00 | finished  | V1 120 conf organizer; V4 90 conf scan       |
| A3  | S1   | cleanup  | 03-10 09:00 | cancelled | V2 60 conf scan (never counted)              |
| A4  | S3   | health   | 03-06 09:00 | finished  | V5 240 conf scan                             |
| A5  | S1   | health   | 04-02 09:00 | finished  | V1 60 conf scan (outside March)              |
| A6  | C1   | health   | 03-20 09:00 | finished  | V2 60 conf scan (the centre's own activity)  |

A1 starts at 07:30 Beijing time, i.e. 23:30 UTC on 4 March: it must count on 5 March.
V1 serves at two stations (S1 and S2). V3, V4 registered on 5 March and V5 on 6 March
(new in March); V1 and V2 registered in 2024. V4's name and A2's title try formula injection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.auth.models import Role, User
from volunteer_app.checkins.models import CheckIn, HoursOrigin, HoursStatus
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.volunteers.models import Volunteer

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONF, PEND = HoursStatus.CONFIRMED, HoursStatus.PENDING
SCAN, ORG = HoursOrigin.SCAN, HoursOrigin.ORGANIZER


def local(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2025) -> datetime:
    """A Beijing wall-clock time as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class World:
    """Everything the report tests refer to by name."""

    district: Unit
    c1: Unit
    c2: Unit
    s1: Unit
    s2: Unit
    s3: Unit
    acts: dict[str, Activity]
    vols: dict[str, Volunteer]
    admin: User
    centre_user: User
    s1_user: User
    s2_user: User


def build(make, db) -> World:
    """Create the data set described in the module docstring; commit it."""
    district = make.unit("菏泽高新区", level=UnitLevel.DISTRICT)
    c1 = make.unit("万福街道", level=UnitLevel.CENTRE, parent=district)
    c2 = make.unit("吕陵镇", level=UnitLevel.CENTRE, parent=district)
    s1 = make.unit("万福社区", parent=c1)
    s2 = make.unit("新华社区", parent=c1)
    s3 = make.unit("吕陵村", parent=c2)
    health = make.category("health")
    cleanup = make.category("cleanup")
    cleanup.name_zh, cleanup.name_en = "环境整治", "Clean-up"

    def volunteer(key: str, name: str, phone: str, registered: datetime) -> Volunteer:
        v = make.volunteer(name, phone)
        v.created_at = registered
        return v

    vols = {
        "V1": volunteer("V1", "李秀英", "13856781234", local(12, 1, year=2024)),
        "V2": volunteer("V2", "王建国", "13700000002", local(12, 1, year=2024)),
        "V3": volunteer("V3", "张桂兰", "13700000003", local(3, 5, 6)),
        "V4": volunteer("V4", "=1+2", "13700000004", local(3, 5, 6)),
        "V5": volunteer("V5", "赵志强", "13700000005", local(3, 6, 6)),
    }

    def activity(unit, category, start, minutes, title, status=ActivityStatus.FINISHED):
        a = make.activity(unit, title=title, starts_at=start, minutes=minutes, status=status)
        a.category = category
        return a

    acts = {
        "A1": activity(s1, health, local(3, 5, 7, 30), 240, "测血压、测血糖"),
        "A2": activity(s2, cleanup, local(3, 5, 14), 180, "@清理小广告"),
        "A3": activity(s1, cleanup, local(3, 10), 120, "义务植树", ActivityStatus.CANCELLED),
        "A4": activity(s3, health, local(3, 6), 240, "吕陵义诊"),
        "A5": activity(s1, health, local(4, 2), 120, "四月义诊"),
        "A6": activity(c1, health, local(3, 20), 120, "所里的宣讲"),
    }
    db.session.flush()

    def checkin(act, vol, minutes, status=CONF, origin=SCAN, out=True):
        a = acts[act]
        db.session.add(
            CheckIn(
                activity_id=a.id,
                volunteer_id=vols[vol].id,
                checked_in_at=a.starts_at - timedelta(minutes=5),
                checked_out_at=(a.starts_at + timedelta(minutes=minutes)) if out else None,
                minutes=minutes,
                status=status,
                origin=origin,
            )
        )

    checkin("A1", "V1", 180)
    checkin("A1", "V2", 120, PEND)
    checkin("A1", "V3", 0, PEND, out=False)
    checkin("A2", "V1", 120, CONF, ORG)
    checkin("A2", "V4", 90)
    checkin("A3", "V2", 60)
    checkin("A4", "V5", 240)
    checkin("A5", "V1", 60)
    checkin("A6", "V2", 60)
    world = World(
        district=district,
        c1=c1,
        c2=c2,
        s1=s1,
        s2=s2,
        s3=s3,
        acts=acts,
        vols=vols,
        admin=make.user("admin-r", Role.DISTRICT_ADMIN, district),
        centre_user=make.user("wanfu-r", Role.CENTRE_ORGANIZER, c1),
        s1_user=make.user("s1-r", Role.STATION_ORGANIZER, s1),
        s2_user=make.user("s2-r", Role.STATION_ORGANIZER, s2),
    )
    db.session.commit()
    return world
