"""The organizer's volunteer roster: who is on it, search, filters, pages, exports, the
detail view, correcting a name or number, and merging two records of one person."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from volunteer_app.activities.models import Signup
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn, Correction, HoursOrigin, HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers.models import Certificate, Device, Household, Volunteer
from volunteer_app.volunteers.roster_services import MERGED_NAME

from ..conftest import csrf_token
from ..statements import counting
from .test_identity import with_pin


class World:
    """Two centres; station A (ours) and B under 万福, C under 吕陵, and their people."""

    def __init__(self, make, db):
        self.db = db
        district = make.unit("高新区", level=UnitLevel.DISTRICT)
        self.wanfu = make.unit("万福街道", level=UnitLevel.CENTRE, parent=district)
        lvling = make.unit("吕陵镇", level=UnitLevel.CENTRE, parent=district)
        self.a = make.unit("万福一站", parent=self.wanfu)
        self.b = make.unit("万福二站", parent=self.wanfu)
        self.c = make.unit("吕陵一站", parent=lvling)
        self.ours = make.activity(self.a, title="测血压")
        self.theirs = make.activity(self.c, title="植树")
        self.registered = make.volunteer(
            "李秀英", phone="13812341234", registered_unit_id=self.a.id
        )
        self.scanned = make.volunteer("王建国", phone="13900005678", registered_unit_id=self.c.id)
        self.attached = make.volunteer("张伟", registered_unit_id=self.c.id)
        self.elsewhere = make.volunteer("赵敏", registered_unit_id=self.c.id)
        self.at_b = make.volunteer("孙丽", registered_unit_id=self.b.id)
        self.record(self.scanned, self.ours, self_made=True)
        self.record(self.attached, self.ours, origin=HoursOrigin.ORGANIZER)
        self.organizer = make.user(unit=self.a)
        self.centre = make.user(role=Role.CENTRE_ORGANIZER, unit=self.wanfu)
        self.other = make.user(role=Role.CENTRE_ORGANIZER, unit=lvling)
        db.session.commit()

    def record(self, volunteer, activity, minutes=0, status=HoursStatus.PENDING, **fields):
        row = CheckIn(
            activity=activity,
            volunteer=volunteer,
            checked_in_at=activity.starts_at,
            checked_out_at=activity.starts_at + timedelta(minutes=minutes) if minutes else None,
            minutes=minutes,
            status=status,
            **fields,
        )
        self.db.session.add(row)
        self.db.session.flush()
        return row


def sign_out(client) -> None:
    """End the organizer's session (to sign in as someone else)."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/volunteers")})


def main(html: str) -> str:
    """The page's content, without the links that carry its own URL."""
    return html[html.index('<main id="main">') :]


def names(html: str) -> set[str]:
    """The names in the roster's table."""
    return set(re.findall(r'<th scope="row"><a href="/volunteers/\d+">([^<]+)</a>', html))


def test_a_station_organizer_sees_exactly_their_volunteers(app, db, client, make, login_as):
    world = World(make, db)
    login_as(world.organizer)
    response = client.get("/volunteers")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert names(html) == {"李秀英", "王建国"}  # registered here, or came themselves
    assert "138****1234" in html and "13812341234" not in html
    assert "万福一站" in html and 'href="/volunteers"' in html  # the nav link
    sign_out(client)
    login_as(world.centre)
    assert names(client.get("/volunteers").get_data(as_text=True)) == {"李秀英", "王建国", "孙丽"}


def test_another_centres_volunteer_is_not_found_on_every_roster_page(
    app, db, client, make, login_as
):
    world = World(make, db)
    login_as(world.organizer)
    token = csrf_token(client, f"/volunteers/{world.registered.id}")
    for volunteer in (world.attached, world.elsewhere, world.at_b):
        assert client.get(f"/volunteers/{volunteer.id}").status_code == 404
        data = {"csrf_token": token, "name": "x", "phone": "13700000000", "reason": "r"}
        assert client.post(f"/volunteers/{volunteer.id}/edit", data=data).status_code == 404
        data = {"csrf_token": token, "other": world.registered.id, "reason": "r", "confirm": "y"}
        assert client.post(f"/volunteers/{volunteer.id}/merge", data=data).status_code == 404
    unknown = client.get("/volunteers/999999").get_data(as_text=True)
    theirs = client.get(f"/volunteers/{world.elsewhere.id}").get_data(as_text=True)
    assert main(unknown) == main(theirs)


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("秀英", {"李秀英"}),
        ("13812341234", {"李秀英"}),
        ("138 1234 1234", {"李秀英"}),
        ("1234", {"李秀英"}),
        ("5678", {"王建国"}),
        ("0000", set()),
        ("张伟", set()),  # not ours
        ("%", set()),
    ],
)
def test_search_by_name_whole_number_or_last_four_digits(app, db, client, make, login_as, q, found):
    world = World(make, db)
    login_as(world.organizer)
    response = client.get("/volunteers", query_string={"q": q})
    assert response.status_code == 200
    assert names(response.get_data(as_text=True)) == found


@pytest.mark.parametrize("q", ["138", "13812", "1381234", "381234", "123412"])
def test_partial_runs_of_digits_are_refused(app, db, client, make, login_as, q):
    world = World(make, db)
    login_as(world.organizer)
    response = client.get("/volunteers", query_string={"q": q})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请输入完整的手机号或最后4位数字" in html and names(html) == set()


def test_filters_by_station_star_level_and_this_years_activity(app, db, client, make, login_as):
    world = World(make, db)
    last_year = make.activity(world.a, title="去年", starts_at=utcnow() - timedelta(days=400))
    world.record(world.at_b, last_year, minutes=120 * 60, status=HoursStatus.CONFIRMED)
    world.record(world.registered, world.ours, minutes=60)
    db.session.commit()
    login_as(world.centre)

    def found(**args):
        response = client.get("/volunteers", query_string=args)
        assert response.status_code == 200, args
        return names(response.get_data(as_text=True))

    assert found(unit=world.a.id) == {"李秀英"}
    assert found(unit=world.b.id) == {"孙丽"}
    assert found(stars=1) == {"孙丽"}  # 120 confirmed hours: 1★ of the national preset
    assert found(stars=0) == {"李秀英", "王建国"}
    assert found(active="y") == {"李秀英", "王建国"}
    html = client.get("/volunteers", query_string={"unit": world.b.id}).get_data(as_text=True)
    assert "120" in html and "1★" in html
    # Another centre's station, a made-up level: a 400 with the form, not someone's data.
    for args in ({"unit": world.c.id}, {"unit": "abc"}, {"stars": 9}):
        assert client.get("/volunteers", query_string=args).status_code == 400, args


def test_pages_of_fifty_in_a_constant_number_of_statements(app, db, client, make, login_as):
    world = World(make, db)
    login_as(world.organizer)

    def statements() -> int:
        with counting(db.engine) as log:
            assert client.get("/volunteers").status_code == 200
        return len(log.statements)

    few = statements()
    for i in range(118):
        volunteer = make.volunteer(f"志愿者{i:03d}", registered_unit_id=world.a.id)
        world.record(volunteer, world.ours, minutes=30, status=HoursStatus.CONFIRMED)
    db.session.commit()
    assert statements() == few
    first = client.get("/volunteers").get_data(as_text=True)
    assert len(names(first)) == 50 and "第 1 / 3 页" in first
    last = client.get("/volunteers?page=3").get_data(as_text=True)
    assert len(names(last)) == 20
    assert client.get("/volunteers?page=99").status_code == 200  # the last page
    seen = set()
    for page in (1, 2, 3):
        seen |= names(client.get(f"/volunteers?page={page}").get_data(as_text=True))
    assert len(seen) == 120


def test_exports_follow_the_filters_and_mask_phones(app, db, client, make, login_as):
    world = World(make, db)
    hostile = make.volunteer("=HYPERLINK(1)", phone="13700001234", registered_unit_id=world.a.id)
    world.record(hostile, world.ours, minutes=90, status=HoursStatus.CONFIRMED)
    db.session.commit()
    login_as(world.organizer)
    response = client.get("/volunteers.xlsx", query_string={"q": "1234"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "姓名", "手机号")
    body = {row[1]: row for row in rows[1:]}
    assert set(body) == {"李秀英", "'=HYPERLINK(1)"}
    assert body["'=HYPERLINK(1)"][2] == "137****1234" and body["'=HYPERLINK(1)"][4] == 1.5
    response = client.get("/volunteers.csv")
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert {line[1] for line in lines[1:]} == {"李秀英", "王建国", "'=HYPERLINK(1)"}
    assert "13812341234" not in text and "138****1234" in text
    assert client.get("/volunteers.csv?q=13812").status_code == 302  # back to the form


def test_the_detail_view_shows_only_what_is_at_my_stations(app, db, client, make, login_as):
    world = World(make, db)
    person = world.registered
    mine = world.record(person, world.ours, minutes=120, status=HoursStatus.CONFIRMED)
    world.record(person, world.theirs, minutes=600, status=HoursStatus.CONFIRMED)
    make.volunteer("李小明", phone="13812341234", registered_unit_id=world.a.id)
    make.volunteer("陌生人", phone="13812341234", registered_unit_id=world.c.id)
    db.session.add(Correction(checkin_id=mine.id, volunteer_id=person.id, reason="早到了"))
    db.session.add(
        Certificate(
            number="ZYZ-1",
            volunteer_id=person.id,
            holder_name=person.name,
            period_start=utcnow().date(),
            period_end=utcnow().date(),
            minutes=720,
            issuers="x",
            lines=[],
        )
    )
    db.session.commit()
    login_as(world.organizer)
    html = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
    assert "13812341234" in html  # the organizer's detail view shows the number
    assert "测血压" in html and "植树" not in html  # records at my stations only
    assert "李小明" in html and "陌生人" not in html  # people on the phone: 3, one named
    assert re.search(r"<dd>\s*3\s*\(", html)
    assert "waiting for the station" in html or "等待站点处理" in html
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", html))
    assert facts["证明"] == "1" and facts["已确认时长（小时）"] == "2"
    assert facts["站点"] == "万福一站"


def test_the_last_activity_is_a_date_in_beijing(app, db, client, make, login_as):
    from datetime import UTC, datetime

    world = World(make, db)
    # 17:00 UTC on 4 March is 01:00 on 5 March in Beijing.
    late = make.activity(world.a, title="夜间", starts_at=datetime(2026, 3, 4, 17, 0, tzinfo=UTC))
    world.record(world.registered, late, minutes=60)
    db.session.commit()
    login_as(world.organizer)
    html = client.get("/volunteers", query_string={"q": "李秀英"}).get_data(as_text=True)
    assert "2026-03-05" in html and "2026-03-04" not in html
    response = client.get("/volunteers.xlsx", query_string={"q": "李秀英"})
    row = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))[1]
    assert row[7] == datetime(2026, 3, 5, 1, 0)


def post_edit(client, volunteer, **data):
    url = f"/volunteers/{volunteer.id}"
    fields = {"name": volunteer.name, "phone": volunteer.phone, "reason": "登记时写错"} | data
    return client.post(f"{url}/edit", data={"csrf_token": csrf_token(client, url), **fields})


def test_a_name_is_corrected_with_a_reason_and_audited(app, db, client, make, login_as):
    world = World(make, db)
    login_as(world.organizer)
    person = world.registered
    assert post_edit(client, person, name="李秀兰", reason="").status_code == 400
    assert post_edit(client, person).status_code == 400  # nothing changed
    assert post_edit(client, person, name="李秀兰").status_code == 302
    db.session.expire_all()
    assert db.session.get(Volunteer, person.id).name == "李秀兰"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "volunteer.edit"))
    assert entry.actor_user_id == world.organizer.id and entry.volunteer_id == person.id
    assert entry.new_value["fields"] == ["name"]
    assert "李秀英" not in str(entry.old_value) + str(entry.new_value)  # names: personal part
    expected = {"reason": "登记时写错", "old_name": "李秀英", "new_name": "李秀兰"}
    assert entry.personal.data == expected


def test_a_new_number_moves_the_person_to_a_new_phone_without_a_pin(
    app, db, client, make, login_as
):
    world = World(make, db)
    person = with_pin(world.registered)
    sister = make.volunteer("李秀梅", phone="13812341234", registered_unit_id=world.a.id)
    db.session.add(Device(volunteer_id=person.id, key="device-of-person", created_at=utcnow()))
    db.session.commit()
    old_household = person.household_id
    login_as(world.organizer)
    assert post_edit(client, person, phone="137 0000 1111").status_code == 302
    db.session.expire_all()
    person = db.session.get(Volunteer, person.id)
    assert person.phone == "13700001111" and person.household.pin_hash is None
    old = db.session.get(Household, old_household)
    assert old.pin_hash is not None and [m.id for m in old.members] == [sister.id]
    device = db.session.scalar(select(Device).where(Device.key == "device-of-person"))
    # Signed in with the old number's PIN: a number change signs the device out.
    assert device.volunteer_id == person.id and device.revoked_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "volunteer.edit"))
    assert entry.personal.data["old_phone"] == "13812341234"
    assert entry.old_value["household_id"] == old_household
    assert entry.new_value["household_id"] == person.household_id


def test_a_number_in_use_is_refused_unless_everyone_on_it_is_mine(app, db, client, make, login_as):
    world = World(make, db)
    login_as(world.organizer)
    # 王建国's phone also has 别处人 of 吕陵, whom this organizer may not see.
    make.volunteer("别处人", phone="13900005678", registered_unit_id=world.c.id)
    db.session.commit()
    response = post_edit(client, world.registered, phone="13900005678")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "该号码已被使用" in html
    assert "别处人" not in html and "王建国" not in html
    db.session.expire_all()
    assert db.session.get(Volunteer, world.registered.id).phone == "13812341234"
    # A number whose every person is mine: the person joins that phone.
    joined = make.volunteer("李小红", phone="13600002222", registered_unit_id=world.a.id)
    db.session.add(Device(volunteer_id=world.registered.id, key="their-phone", created_at=utcnow()))
    db.session.commit()
    assert post_edit(client, world.registered, phone="13600002222").status_code == 302
    db.session.expire_all()
    assert db.session.get(Volunteer, world.registered.id).household_id == joined.household_id
    # The devices of the person who joined do not reach the phone's other people.
    assert not db.session.scalars(
        select(Device).where(
            Device.volunteer_id == world.registered.id, Device.revoked_at.is_(None)
        )
    ).all()
    # The same name on that phone already: refused.
    assert post_edit(client, world.registered, name="李小红").status_code == 400


def post_merge(client, kept, duplicate, **data):
    url = f"/volunteers/{kept.id}"
    fields = {"other": duplicate.id, "reason": "同一个人登记了两次", "confirm": "y"} | data
    return client.post(f"{url}/merge", data={"csrf_token": csrf_token(client, url), **fields})


def totals(db, volunteer_id):
    return db.session.execute(
        select(func.count(CheckIn.id), func.coalesce(func.sum(CheckIn.minutes), 0)).where(
            CheckIn.volunteer_id == volunteer_id
        )
    ).one()


def test_a_merge_moves_everything_once_and_closes_the_other_record(app, db, client, make, login_as):
    world = World(make, db)
    kept, other = world.registered, world.scanned
    second = make.activity(world.a, title="清扫", starts_at=utcnow() - timedelta(days=3))
    upcoming = make.activity(world.a, title="下周", starts_at=utcnow() + timedelta(days=7))
    world.record(kept, second, minutes=60, status=HoursStatus.CONFIRMED)
    moved = db.session.scalar(select(CheckIn).where(CheckIn.volunteer_id == other.id))
    moved.minutes, moved.status = 90, HoursStatus.CONFIRMED
    world.record(other, world.theirs, minutes=30)
    now = utcnow()
    db.session.add_all(
        [
            Signup(activity_id=upcoming.id, volunteer_id=kept.id, created_at=now, cancelled_at=now),
            Signup(activity_id=upcoming.id, volunteer_id=other.id, created_at=now),
            Correction(checkin_id=moved.id, volunteer_id=other.id, reason="晚到"),
            Device(volunteer_id=other.id, key="other-device", created_at=now),
        ]
    )
    db.session.commit()
    before = totals(db, kept.id), totals(db, other.id)
    login_as(world.organizer)
    response = post_merge(client, kept, other)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    count, minutes = totals(db, kept.id)
    assert count == before[0][0] + before[1][0] == 3
    assert minutes == before[0][1] + before[1][1] == 180
    assert totals(db, other.id) == (0, 0)
    signups = list(db.session.scalars(select(Signup).where(Signup.activity_id == upcoming.id)))
    assert [(s.volunteer_id, s.cancelled_at) for s in signups] == [(kept.id, None)]
    assert db.session.scalar(select(Correction.volunteer_id)) == kept.id
    gone = db.session.get(Volunteer, other.id)
    assert gone.deleted_at is not None and gone.household_id is None and gone.name == MERGED_NAME
    device = db.session.scalar(select(Device).where(Device.key == "other-device"))
    assert device.revoked_at is not None
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    per_record = [e for e in entries if e.action == "checkin.merge"]
    assert len(per_record) == 2 and all(e.volunteer_id == kept.id for e in per_record)
    assert {e.old_value["volunteer_id"] for e in per_record} == {other.id}
    summary = next(e for e in entries if e.action == "volunteer.merge")
    assert summary.old_value == {"merged_volunteer_id": other.id}
    assert summary.new_value["checkins"] == 2 and summary.new_value["confirmed_minutes"] == 90
    assert summary.personal.data == {"reason": "同一个人登记了两次", "merged_name": "王建国"}
    # The merged record is nobody's now: not on the roster, its page not found.
    html = client.get("/volunteers").get_data(as_text=True)
    assert names(html) == {"李秀英"}
    assert client.get(f"/volunteers/{other.id}").status_code == 404


def test_a_merge_of_two_records_at_one_activity_is_refused_and_changes_nothing(
    app, db, client, make, login_as
):
    world = World(make, db)
    kept, other = world.registered, world.scanned
    world.record(kept, world.ours, minutes=60)
    db.session.commit()
    before = totals(db, kept.id), totals(db, other.id)
    login_as(world.organizer)
    response = post_merge(client, kept, other)
    assert response.status_code == 400
    assert "同一活动" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (totals(db, kept.id), totals(db, other.id)) == before
    assert db.session.get(Volunteer, other.id).deleted_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert post_merge(client, kept, kept).status_code == 400
    assert post_merge(client, kept, other, confirm="").status_code == 400


def test_a_merge_of_two_records_at_the_same_hours_is_refused_until_one_is_voided(
    app, db, client, make, login_as
):
    """The audit's case: one record at A 09:00-12:00, its duplicate at B in the same unit at
    the same hours. Merged, one person would be credited 6 h for 3 clock hours."""
    world = World(make, db)
    kept, other = world.registered, world.scanned
    starts_at = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    at_a = make.activity(world.a, title="义诊", starts_at=starts_at)
    at_b = make.activity(world.a, title="清扫", starts_at=starts_at)
    world.record(kept, at_a, minutes=180, status=HoursStatus.CONFIRMED)
    duplicate = world.record(other, at_b, minutes=180, status=HoursStatus.CONFIRMED)
    db.session.commit()
    before = totals(db, kept.id), totals(db, other.id)
    login_as(world.organizer)
    response = post_merge(client, kept, other)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "“义诊”与“清扫”同时进行" in html
    assert "请先作废或更正其中一条记录，再合并" in html
    db.session.expire_all()
    assert (totals(db, kept.id), totals(db, other.id)) == before
    assert db.session.get(Volunteer, other.id).deleted_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    # Once the duplicate is voided (it counts nowhere), the records merge: 3 h, not 6.
    db.session.get(CheckIn, duplicate.id).voided_at = utcnow()
    db.session.commit()
    assert post_merge(client, kept, other).status_code == 302
    db.session.expire_all()
    assert totals(db, kept.id)[1] == 180


def test_a_merge_with_someone_not_mine_is_not_found(app, db, client, make, login_as):
    world = World(make, db)
    login_as(world.organizer)
    theirs = post_merge(client, world.registered, world.elsewhere)
    unknown = post_merge(client, world.registered, world.elsewhere, other=999999)
    assert theirs.status_code == unknown.status_code == 404
    assert "没有找到这位志愿者" in theirs.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Volunteer, world.elsewhere.id).deleted_at is None


def test_two_records_merged_into_each_other_at_once_leave_one_person(app, db, make):
    """A into B and B into A at once: one merge wins, the other finds nobody to merge."""
    from ..factories import Factory
    from ..races import Race
    from .test_races import english

    world = World(make, db)
    # Three days ago: no time shared with the other record's stay of today.
    earlier = make.activity(world.a, title="清扫", starts_at=utcnow() - timedelta(days=3))
    world.record(world.registered, earlier, minutes=60, status=HoursStatus.CONFIRMED)
    second_user = make.user(unit=world.a)
    db.session.commit()
    # Plain values: an actor's thread never loads through the test's session.
    first, second = world.registered.id, world.scanned.id
    usernames = [world.organizer.username, second_user.username]
    before = totals(db, first)[1] + totals(db, second)[1]
    race = Race(app, db)

    def merging(username, kept, duplicate):
        def run(go):
            client = english(app.test_client())
            token = csrf_token(client, "/login")
            data = {"username": username, "password": Factory.PASSWORD, "csrf_token": token}
            assert client.post("/login", data=data).status_code == 302
            token = csrf_token(client, f"/volunteers/{kept}")
            go()
            data = {"csrf_token": token, "other": duplicate, "reason": "重复", "confirm": "y"}
            return client.post(f"/volunteers/{kept}/merge", data=data).status_code

        return run

    race.actor("first", merging(usernames[0], first, second))
    race.actor("second", merging(usernames[1], second, first))
    results = race.run(hold="first")
    assert sorted(results.values()) == [302, 404], results
    db.session.expire_all()
    live = [v for v in (first, second) if db.session.get(Volunteer, v).deleted_at is None]
    assert len(live) == 1
    assert totals(db, live[0])[1] == before
    merges = select(func.count()).where(AuditEntry.action == "volunteer.merge")
    assert db.session.scalar(merges) == 1


def test_two_name_corrections_at_once_log_what_each_replaced(app, db, make):
    """The second correction reads the name the first saved, so the log is a chain."""
    from ..factories import Factory
    from ..races import Race
    from .test_races import english

    world = World(make, db)
    second_user = make.user(unit=world.a)
    db.session.commit()
    person, phone = world.registered.id, world.registered.phone
    usernames = [world.organizer.username, second_user.username]
    race = Race(app, db)

    def editing(username, name):
        def run(go):
            client = english(app.test_client())
            token = csrf_token(client, "/login")
            data = {"username": username, "password": Factory.PASSWORD, "csrf_token": token}
            assert client.post("/login", data=data).status_code == 302
            token = csrf_token(client, f"/volunteers/{person}")
            go()
            data = {"csrf_token": token, "name": name, "phone": phone, "reason": "写错了"}
            return client.post(f"/volunteers/{person}/edit", data=data).status_code

        return run

    race.actor("first", editing(usernames[0], "李秀兰"))
    race.actor("second", editing(usernames[1], "李秀芳"))
    assert race.run(hold="first") == {"first": 302, "second": 302}
    db.session.expire_all()
    edits = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "volunteer.edit").order_by(AuditEntry.id)
    )
    chain = [(e.personal.data["old_name"], e.personal.data["new_name"]) for e in edits]
    assert chain[0][0] == "李秀英" and chain[0][1] == chain[1][0]
    assert db.session.get(Volunteer, person).name == chain[1][1]
