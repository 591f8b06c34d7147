"""Unit services: setting up a district (and its CLI command), the tree's figures in a few
statements, adding, renaming, moving and archiving units, each audited."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from volunteer_app.activities.models import ActivityStatus
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth import scoping
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.rules import PasswordError
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.stations import services
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.stations.rules import UnitError, UnitRuleError

from ..statements import counting

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
PASSWORD = "a-long-password-9"


def entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- create-district ------------------------------------------------------------------------


def test_create_district_sets_up_an_empty_database(db):
    district, admin = services.create_district(" 菏泽高新区 ", "admin", PASSWORD, now=NOW)
    db.session.commit()
    assert district.level is UnitLevel.DISTRICT and district.parent_id is None
    assert district.name == "菏泽高新区"
    assert admin.role is Role.DISTRICT_ADMIN and admin.unit_id == district.id
    assert admin.check_password(PASSWORD) and not admin.must_change_password
    (created,) = entries(db, "unit.create")
    assert created.new_value["unit_id"] == district.id and created.actor_user_id is None
    (account,) = entries(db, "account.create")
    assert account.new_value == {"username": "admin", "role": "district_admin", "unit_id": 1}


def test_create_district_refuses_a_second_district(db):
    services.create_district("菏泽高新区", "admin", PASSWORD, now=NOW)
    with pytest.raises(UnitError) as caught:
        services.create_district("别的区", "admin2", PASSWORD, now=NOW)
    assert caught.value.code == "district_exists"


def test_a_city_instance_adds_a_further_district_whose_admin_reaches_only_it(db):
    first, _ = services.create_district("菏泽高新区", "admin", PASSWORD, now=NOW)
    second, admin2 = services.create_district(
        "菏泽开发区", "admin2", PASSWORD, now=NOW, another=True
    )
    assert second.level is UnitLevel.DISTRICT and second.parent_id is None
    visible = set(db.session.scalars(scoping.visible_unit_ids(admin2)))
    assert visible == {second.id} and first.id not in visible
    with pytest.raises(UnitError) as caught:
        services.create_district("菏泽开发区", "admin3", PASSWORD, now=NOW, another=True)
    assert caught.value.code == "district_name_taken"


@pytest.mark.parametrize(
    ("username", "password", "confirm", "code"),
    [
        ("admin", "short", None, "password_too_short"),
        ("administrator", "Administrator", None, "password_is_username"),
        ("admin", PASSWORD, PASSWORD + "x", "password_mismatch"),
    ],
)
def test_create_district_follows_the_password_rules(db, username, password, confirm, code):
    with pytest.raises(PasswordError) as caught:
        services.create_district("菏泽高新区", username, password, confirm=confirm, now=NOW)
    assert caught.value.code == code
    assert db.session.scalar(select(Unit.id)) is None


def test_create_district_command(db, runner):
    args = ["create-district", "菏泽高新区", "--admin", "admin"]
    result = runner.invoke(args=[*args, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "菏泽高新区" in result.output and "/units" in result.output
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.role is Role.DISTRICT_ADMIN and admin.check_password(PASSWORD)

    again = runner.invoke(args=[*args, "--password", PASSWORD])
    assert again.exit_code != 0
    assert str(UnitError("district_exists").message) in again.output
    assert db.session.scalar(select(User.id).where(User.username != "admin")) is None


def test_create_district_command_asks_twice_and_checks_the_rules(db, runner):
    args = ["create-district", "菏泽高新区", "--admin", "admin"]
    short = runner.invoke(args=[*args, "--password", "short"])
    assert short.exit_code != 0
    assert str(PasswordError("password_too_short").message) in short.output
    assert db.session.scalar(select(Unit.id)) is None
    prompted = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert PASSWORD not in prompted.output  # hidden input
    assert db.session.scalar(select(User).where(User.username == "admin")).check_password(PASSWORD)


# --- the tree -------------------------------------------------------------------------------


@pytest.fixture
def network(make, db):
    """区 D → 所 C1 (站 S1, S2), 所 C2 (站 S3), 站 S4 right under D; one organizer each."""
    d = make.unit("菏泽高新区", level=UnitLevel.DISTRICT)
    c1 = make.unit("万福街道", level=UnitLevel.CENTRE, parent=d)
    c2 = make.unit("吕陵镇", level=UnitLevel.CENTRE, parent=d)
    s1 = make.unit("万福社区", parent=c1)
    s2 = make.unit("万福中心校", parent=c1)
    s3 = make.unit("吕陵小学", parent=c2)
    s4 = make.unit("高新区交警大队", parent=d)
    users = {
        "admin": make.user("admin", role=Role.DISTRICT_ADMIN, unit=d),
        "wanfu": make.user("wanfu", role=Role.CENTRE_ORGANIZER, unit=c1),
        "lvling": make.user("lvling", role=Role.CENTRE_ORGANIZER, unit=c2),
        "keeper": make.user("keeper", unit=s1),
    }
    db.session.commit()
    return {"d": d, "c1": c1, "c2": c2, "s1": s1, "s2": s2, "s3": s3, "s4": s4, **users}


def _figures(make, db, n):
    """This year's and last year's activities, hours and volunteers at S1, S2, S3."""
    this_year = NOW - timedelta(days=30)
    held = make.activity(n["s1"], starts_at=this_year)
    other = make.activity(n["s1"], starts_at=this_year + timedelta(days=1))
    make.activity(n["s1"], starts_at=this_year, status=ActivityStatus.CANCELLED)
    last_year = make.activity(n["s2"], starts_at=datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    make.activity(n["s3"], starts_at=this_year)
    registered = [make.volunteer(f"志愿者{i}", registered_unit_id=n["s1"].id) for i in range(3)]
    registered[2].deleted_at = NOW  # a deleted account is nobody's
    make.volunteer("吕陵的志愿者", registered_unit_id=n["s3"].id)
    for activity, volunteer, minutes, status in [
        (held, registered[0], 90, HoursStatus.CONFIRMED),
        (held, registered[1], 30, HoursStatus.PENDING),
        (other, registered[1], 60, HoursStatus.CONFIRMED),
        (last_year, registered[0], 120, HoursStatus.CONFIRMED),
    ]:
        db.session.add(
            CheckIn(
                activity=activity,
                volunteer=volunteer,
                checked_in_at=activity.starts_at,
                checked_out_at=activity.ends_at,
                minutes=minutes,
                status=status,
            )
        )
    db.session.commit()


def by_id(nodes, found=None) -> dict:
    found = {} if found is None else found
    for node in nodes:
        found[node.id] = node
        by_id(node.children, found)
    return found


def test_the_district_admin_sees_the_whole_tree_with_its_figures(make, db, network):
    n = network
    _figures(make, db, n)
    tree = services.unit_tree(n["admin"], now=NOW)
    assert tree.year == 2026
    (root,) = tree.roots
    assert root.id == n["d"].id
    names = [tree.units[c.id].name for c in root.children]
    assert names == ["万福街道", "吕陵镇", "高新区交警大队"]
    nodes = by_id(tree.roots)
    assert root.totals == {
        "stations": 4,
        "organizers": 4,
        "volunteers": 3,
        "activities": 3,  # the cancelled one and last year's aside
        "confirmed_minutes": 150,
    }
    assert nodes[n["c1"].id].totals == {
        "stations": 2,
        "organizers": 2,
        "volunteers": 2,
        "activities": 2,
        "confirmed_minutes": 150,
    }
    assert nodes[n["s2"].id].totals["activities"] == 0  # its activity was last year
    assert nodes[n["c2"].id].totals["volunteers"] == 1


def test_organizers_see_their_own_subtree(db, network):
    n = network
    centre = services.unit_tree(n["wanfu"], now=NOW)
    assert [r.id for r in centre.roots] == [n["c1"].id]
    assert set(centre.units) == {n["c1"].id, n["s1"].id, n["s2"].id}
    station = services.unit_tree(n["keeper"], now=NOW)
    assert [r.id for r in station.roots] == [n["s1"].id] and set(station.units) == {n["s1"].id}


def test_the_tree_takes_the_same_few_statements_however_large(make, db, network):
    n = network
    _figures(make, db, n)
    db.session.expire_all()
    assert n["admin"].role is Role.DISTRICT_ADMIN  # loaded, as in a request
    with counting(db.engine) as small:
        services.unit_tree(n["admin"], now=NOW)
    for i in range(10):
        station = make.unit(f"新站{i}", parent=n["c2"])
        make.activity(station, starts_at=NOW - timedelta(days=3))
        make.user(unit=station)
    db.session.commit()
    db.session.expire_all()
    assert n["admin"].role is Role.DISTRICT_ADMIN
    with counting(db.engine) as large:
        services.unit_tree(n["admin"], now=NOW)
    assert len(small.statements) <= 5, small
    assert len(large.statements) == len(small.statements), large


# --- changes --------------------------------------------------------------------------------


def test_a_centre_organizer_adds_a_station_under_their_centre(db, network):
    n = network
    unit = services.add_unit(
        n["wanfu"],
        n["c1"],
        name=" 万福街道办事处志愿服务队 ",
        level="station",
        contact_name="王建国",
        contact_phone="138 0000 1002",
        intro="环境整治、市容秩序。",
        now=NOW,
    )
    assert unit.parent_id == n["c1"].id and unit.level is UnitLevel.STATION
    assert unit.name == "万福街道办事处志愿服务队" and unit.contact_phone == "13800001002"
    (entry,) = entries(db, "unit.create")
    assert entry.actor_user_id == n["wanfu"].id
    assert entry.new_value["unit_id"] == unit.id and entry.new_value["parent_id"] == n["c1"].id


def test_names_are_unique_among_siblings_only(db, network):
    n = network
    with pytest.raises(UnitError) as caught:
        services.add_unit(n["admin"], n["c1"], name="万福社区", level="station", now=NOW)
    assert caught.value.code == "name_taken"
    services.add_unit(n["admin"], n["c2"], name="万福社区", level="station", now=NOW)
    with pytest.raises(UnitError) as renamed:
        services.update_unit(
            n["admin"],
            n["s2"],
            name="万福社区",
            address="",
            contact_name="",
            contact_phone="",
            intro="",
            now=NOW,
        )
    assert renamed.value.code == "name_taken"


def test_nothing_is_added_under_a_station(db, network):
    n = network
    with pytest.raises(UnitRuleError):
        services.add_unit(n["keeper"], n["s1"], name="小组", level="station", now=NOW)


def test_rename_and_details_are_audited_apart(db, network):
    n = network
    fields = {"address": "", "contact_name": "", "contact_phone": "", "intro": ""}
    services.update_unit(n["wanfu"], n["s1"], name="万福社区站", **fields, now=NOW)
    (rename,) = entries(db, "unit.rename")
    assert rename.old_value == {"unit_id": n["s1"].id, "name": "万福社区"}
    assert rename.new_value == {"unit_id": n["s1"].id, "name": "万福社区站"}
    assert entries(db, "unit.update") == []
    services.update_unit(
        n["wanfu"], n["s1"], name="万福社区站", **{**fields, "address": "万福路 1 号"}, now=NOW
    )
    (update,) = entries(db, "unit.update")
    assert update.old_value == {"unit_id": n["s1"].id, "address": ""}
    assert update.new_value == {"unit_id": n["s1"].id, "address": "万福路 1 号"}
    services.update_unit(
        n["wanfu"], n["s1"], name="万福社区站", **{**fields, "address": "万福路 1 号"}, now=NOW
    )
    assert len(entries(db, "unit.update")) == 1 and len(entries(db, "unit.rename")) == 1


def test_a_centre_organizer_cannot_change_their_own_centre(db, network):
    n = network
    with pytest.raises(UnitRuleError):
        services.update_unit(
            n["wanfu"],
            n["c1"],
            name="改名",
            address="",
            contact_name="",
            contact_phone="",
            intro="",
            now=NOW,
        )


def test_the_district_admin_moves_a_station_to_another_centre(db, network):
    n = network
    services.move_unit(n["admin"], n["s2"], n["c2"].id, now=NOW)
    db.session.commit()
    assert n["s2"].parent_id == n["c2"].id and n["s2"].parent.name == "吕陵镇"
    (entry,) = entries(db, "unit.move")
    assert entry.old_value == {"unit_id": n["s2"].id, "parent_id": n["c1"].id}
    assert entry.new_value == {"unit_id": n["s2"].id, "parent_id": n["c2"].id}
    for target, code in [(n["s1"], "move_target_invalid"), (n["c2"], "move_target_invalid")]:
        with pytest.raises(UnitError) as caught:
            services.move_unit(n["admin"], n["s2"], target.id, now=NOW)
        assert caught.value.code == code
    with pytest.raises(UnitError) as centre:
        services.move_unit(n["admin"], n["c1"], n["c2"].id, now=NOW)
    assert centre.value.code == "move_station_only"


def test_a_centre_organizer_cannot_move_a_station_outside_their_centre(db, network):
    n = network
    assert services.move_targets(n["wanfu"], n["s1"]) == []
    with pytest.raises(UnitError) as caught:
        services.move_unit(n["wanfu"], n["s1"], n["c2"].id, now=NOW)
    assert caught.value.code == "move_target_invalid"
    assert n["s1"].parent_id == n["c1"].id


def test_archiving_keeps_the_unit_and_is_audited_once(db, network):
    n = network
    services.archive_unit(n["wanfu"], n["s2"], now=NOW)
    assert n["s2"].archived_at == NOW and n["s2"].is_archived
    (entry,) = entries(db, "unit.archive")
    assert entry.new_value["unit_id"] == n["s2"].id and entry.actor_user_id == n["wanfu"].id
    with pytest.raises(UnitError) as again:
        services.archive_unit(n["wanfu"], n["s2"], now=NOW)
    assert again.value.code == "archived"
    with pytest.raises(UnitError) as busy:
        services.archive_unit(n["admin"], n["c1"], now=NOW)
    assert busy.value.code == "has_live_children"
    services.archive_unit(n["admin"], n["s1"], now=NOW)
    services.archive_unit(n["admin"], n["c1"], now=NOW)
    with pytest.raises(UnitError) as parent:
        services.add_unit(n["admin"], n["c1"], name="新站", level="station", now=NOW)
    assert parent.value.code == "parent_archived"
    with pytest.raises(UnitError) as district:
        services.archive_unit(n["admin"], n["d"], now=NOW)
    assert district.value.code == "district_fixed"


def test_restoring_brings_a_unit_back_parent_first_and_is_audited_once(db, network):
    n = network
    services.archive_unit(n["admin"], n["s1"], now=NOW)
    services.archive_unit(n["admin"], n["s2"], now=NOW)
    services.archive_unit(n["admin"], n["c1"], now=NOW)
    with pytest.raises(UnitError) as first:
        services.restore_unit(n["admin"], n["s1"], now=NOW)
    assert first.value.code == "restore_parent_first"
    with pytest.raises(UnitRuleError):  # a centre organizer's own centre is the level above's
        services.restore_unit(n["wanfu"], n["c1"], now=NOW)
    services.restore_unit(n["admin"], n["c1"], now=NOW)
    services.restore_unit(n["wanfu"], n["s1"], now=NOW)
    assert not n["c1"].is_archived and not n["s1"].is_archived and n["s2"].is_archived
    restored = entries(db, "unit.restore")
    assert [e.new_value["unit_id"] for e in restored] == [n["c1"].id, n["s1"].id]
    assert restored[1].old_value["archived_at"] == NOW.isoformat()
    with pytest.raises(UnitError) as again:
        services.restore_unit(n["wanfu"], n["s1"], now=NOW)
    assert again.value.code == "not_archived"
    services.add_unit(n["admin"], n["c1"], name="新站", level="station", now=NOW)


def test_an_archived_unit_gets_no_new_organizers(db, network):
    from volunteer_app.auth.rules import AccountRuleError
    from volunteer_app.auth.scoping import visible_units
    from volunteer_app.auth.services import create_account

    n = network
    services.archive_unit(n["admin"], n["s2"], now=NOW)
    assert n["s2"] not in visible_units(n["wanfu"]) and n["s1"] in visible_units(n["wanfu"])
    with pytest.raises(AccountRuleError) as caught:
        create_account(
            n["wanfu"],
            username="wangzz",
            password=PASSWORD,
            role=Role.STATION_ORGANIZER,
            unit_id=n["s2"].id,
            display_name="王站长",
            now=NOW,
        )
    assert caught.value.code == "unit_not_allowed"
