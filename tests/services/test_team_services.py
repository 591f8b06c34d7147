"""The organizer's team services (teams/services.py): which units take a team, unique names
(the pre-check and the constraint behind it), categories, audited changes, the list."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel
from volunteer_app.teams import services
from volunteer_app.teams.models import MemberStatus, Team
from volunteer_app.teams.rules import TeamError

FIELDS = {
    "name": "医护志愿服务队",
    "kind": "1",
    "host_type": "03",
    "host_name": "万福社区卫生服务中心",
    "contact_name": "",
    "contact_phone": "",
    "intro": "",
    "join_mode": "1",
    "join_code": "",
}


def teams(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Team))


def entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_team_only_for_a_unit_one_manages_and_not_archived(app, make, db):
    station = make.unit()
    user = make.user(unit=station)
    sibling = make.unit(parent=station.parent)
    with pytest.raises(TeamError) as refused:
        services.create_team(user, sibling, FIELDS, [], now=utcnow())
    assert (refused.value.code, refused.value.status) == ("unit_not_allowed", 403)
    station.archived_at = utcnow()
    with pytest.raises(TeamError) as refused:
        services.create_team(user, station, FIELDS, [], now=utcnow())
    assert refused.value.code == "unit_archived"
    assert teams(db) == 0 and entries(db, "team.create") == []


def test_categories_must_exist_and_be_four_at_most(app, make, db):
    station = make.unit()
    user = make.user(unit=station)
    ids = [make.category(code).id for code in ("a", "b", "c", "d", "e")]
    with pytest.raises(TeamError) as refused:
        services.create_team(user, station, FIELDS, ids, now=utcnow())
    assert refused.value.code == "too_many_categories"
    assert set(refused.value.problems) == {"categories"}
    with pytest.raises(TeamError) as refused:
        services.create_team(user, station, FIELDS, [ids[0], 2_000_000_000], now=utcnow())
    assert refused.value.code == "unknown_category"
    team = services.create_team(user, station, FIELDS, [ids[1], ids[0], ids[1]], now=utcnow())
    assert {c.code for c in team.categories} == {"a", "b"}


def test_a_name_taken_meanwhile_is_caught_by_the_constraint(app, make, db, monkeypatch):
    """Two organizers saving the same name at once: the pre-check passes for both, the unique
    constraint refuses the second as "name_taken" beside the name, not a 500."""
    station = make.unit()
    user = make.user(unit=station)
    services.create_team(user, station, FIELDS, [], now=utcnow())
    monkeypatch.setattr(services, "_check_free_name", lambda *args, **kwargs: None)
    with pytest.raises(TeamError) as refused:
        services.create_team(user, station, FIELDS, [], now=utcnow())
    assert refused.value.code == "name_taken" and set(refused.value.problems) == {"name"}
    assert teams(db) == 1
    assert len(entries(db, "team.create")) == 1


def test_an_unchanged_team_writes_no_entry_and_a_change_only_its_fields(app, make, db):
    station = make.unit()
    user = make.user(unit=station)
    team = services.create_team(user, station, FIELDS, [], now=utcnow())
    services.update_team(user, team, FIELDS, [], now=utcnow())
    assert entries(db, "team.update") == []
    health = make.category("health")
    services.update_team(user, team, FIELDS | {"host_type": "02"}, [health.id], now=utcnow())
    (entry,) = entries(db, "team.update")
    assert entry.old_value == {"team_id": team.id, "host_type": "03", "categories": []}
    assert entry.new_value == {"team_id": team.id, "host_type": "02", "categories": ["health"]}


def test_disable_enable_and_renew_are_audited_once_each(app, make, db):
    station = make.unit()
    user = make.user(unit=station)
    team = make.team(station)
    now = utcnow()
    services.disable_team(user, team, now=now)
    services.disable_team(user, team, now=now)
    assert team.disabled_at == now
    services.enable_team(user, team, now=now)
    services.enable_team(user, team, now=now)
    assert team.disabled_at is None
    key = team.join_key
    services.renew_join_key(user, team, now=now)
    assert team.join_key != key
    assert [len(entries(db, a)) for a in ("team.disable", "team.enable", "team.renew_key")] == [
        1,
        1,
        1,
    ]


def test_the_list_counts_members_and_names_leaders_within_the_scope(app, make, db):
    centre = make.unit(level=UnitLevel.CENTRE)
    one, two = make.unit("一站", parent=centre), make.unit("二站", parent=centre)
    first, second = make.team(one, name="甲队"), make.team(two, name="乙队")
    make.member(first, make.volunteer("队长甲"), leader=True)
    make.member(first, make.volunteer("队员"))
    make.member(first, make.volunteer("申请人"), status=MemberStatus.PENDING)
    gone = make.member(first, make.volunteer("已注销"), leader=True)
    gone.volunteer.deleted_at = utcnow()
    make.member(first, make.volunteer("离队的"), status=MemberStatus.LEFT)
    disabled = make.team(one, name="丙队", disabled_at=utcnow())
    db.session.flush()
    rows = services.team_rows(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    assert [(r.team.name, r.active, r.pending, r.leaders) for r in rows] == [
        ("甲队", 2, 1, ["队长甲"]),
        ("乙队", 0, 0, []),
        ("丙队", 0, 0, []),
    ]
    assert rows[-1].team is disabled  # disabled teams last
    station_rows = services.team_rows(make.user(unit=two))
    assert [r.team for r in station_rows] == [second]
    assert [
        r.team for r in services.team_rows(make.user(role=Role.CENTRE_ORGANIZER, unit=centre), one)
    ] == [first, disabled]
