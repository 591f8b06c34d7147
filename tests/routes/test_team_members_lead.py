"""A team leader's member page (/lead/teams/<id>, volunteer_app/teams/lead.py): members with
masked phones, requests approved or rejected, members removed (never a leader), people
added by their card; every change audited as the leader's; anyone not leading the team now
gets a 404, and a refusal writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.teams.models import MemberStatus, TeamMember
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token
from .test_races import phone, remembered


@dataclass
class World:
    team: object
    leader: object
    leader_row: object
    member: object
    member_row: object
    asking: object
    asking_row: object
    stranger: object  # registered, in no team: shows their card to the leader
    client: object
    token: str


def build(app, make, db) -> World:
    station = make.unit(name="万福社区新时代文明实践站")
    team = make.team(station, name="万福医护志愿服务队")
    leader = make.volunteer("王队长", phone="13822220001")
    member = make.volunteer("李秀英", phone="13822220002")
    asking = make.volunteer("赵敏", phone="13822220003")
    stranger = make.volunteer("张桂兰", phone="13822220004")
    leader_row = make.member(team, leader, leader=True)
    member_row = make.member(team, member)
    asking_row = make.member(team, asking, status=MemberStatus.PENDING)
    client = phone(app, remembered(app, db, leader))
    db.session.commit()
    return World(
        team,
        leader,
        leader_row,
        member,
        member_row,
        asking,
        asking_row,
        stranger,
        client,
        csrf_token(client, "/me"),
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def status_of(db, row) -> tuple[MemberStatus, bool]:
    db.session.commit()
    found = db.session.get(TeamMember, row.id)
    db.session.refresh(found)
    return found.status, found.is_leader


def entries(db, action: str | None = None) -> list[AuditEntry]:
    db.session.commit()
    stmt = select(AuditEntry).where(AuditEntry.action.startswith("team."))
    if action:
        stmt = select(AuditEntry).where(AuditEntry.action == action)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))


def test_the_member_page_lists_members_masked_with_their_hours_and_the_requests(app, make, db):
    world = build(app, make, db)
    activity = make.activity(world.team.unit, team_id=world.team.id)
    record = CheckIn(
        activity_id=activity.id,
        volunteer_id=world.member.id,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at,
        minutes=90,
        status=HoursStatus.CONFIRMED,
    )
    db.session.add(record)
    db.session.commit()
    response = world.client.get(f"/lead/teams/{world.team.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = text(response)
    assert "万福医护志愿服务队" in body
    assert "李秀英" in body and "138****0002" in body and "13822220002" not in body
    assert "赵敏" in body and "138****0003" in body and "13822220003" not in body
    assert "1.5 h confirmed" in body
    assert "张桂兰" not in body
    # approve/reject for the request, remove for the member, none for the leader
    assert f"/members/{world.asking_row.id}/approve" in body
    assert f"/members/{world.asking_row.id}/reject" in body
    assert f"/members/{world.member_row.id}/remove" in body
    assert f"/members/{world.leader_row.id}/remove" not in body
    # no organizer's tools: naming leaders is the station's
    assert "/leader" not in body.replace("/lead/", "")


def test_the_leader_approves_a_request_audited_as_theirs(app, make, db):
    world = build(app, make, db)
    url = f"/lead/teams/{world.team.id}/members/{world.asking_row.id}/approve"
    response = world.client.post(url, data={"csrf_token": world.token})
    assert response.status_code == 302
    assert status_of(db, world.asking_row) == (MemberStatus.ACTIVE, False)
    (entry,) = entries(db, "team.approve")
    assert entry.actor_volunteer_id == world.leader.id and entry.actor_user_id is None
    assert entry.volunteer_id == world.asking.id
    member = db.session.get(TeamMember, world.asking_row.id)
    assert member.changed_by_volunteer_id == world.leader.id
    page = text(world.client.get(response.headers["Location"]))
    assert "赵敏 is now a member of the team." in page


def test_the_leader_rejects_a_request(app, make, db):
    world = build(app, make, db)
    url = f"/lead/teams/{world.team.id}/members/{world.asking_row.id}/reject"
    assert world.client.post(url, data={"csrf_token": world.token}).status_code == 302
    assert status_of(db, world.asking_row) == (MemberStatus.REJECTED, False)
    (entry,) = entries(db, "team.reject")
    assert entry.actor_volunteer_id == world.leader.id


def test_an_answered_request_is_not_answered_again(app, make, db):
    world = build(app, make, db)
    url = f"/lead/teams/{world.team.id}/members/{world.member_row.id}/approve"
    response = world.client.post(url, data={"csrf_token": world.token}, follow_redirects=True)
    assert "This request has already been answered." in text(response)
    assert entries(db) == []


def test_the_leader_removes_a_member_but_not_a_leader(app, make, db):
    world = build(app, make, db)
    co_leader = make.member(world.team, make.volunteer("周副队长"), leader=True)
    db.session.commit()
    base = f"/lead/teams/{world.team.id}/members"
    response = world.client.post(
        f"{base}/{co_leader.id}/remove", data={"csrf_token": world.token}, follow_redirects=True
    )
    assert "Only the station can remove a leader" in text(response)
    assert status_of(db, co_leader) == (MemberStatus.ACTIVE, True)
    assert entries(db) == []
    response = world.client.post(
        f"{base}/{world.member_row.id}/remove", data={"csrf_token": world.token}
    )
    assert response.status_code == 302
    assert status_of(db, world.member_row) == (MemberStatus.REMOVED, False)
    (entry,) = entries(db, "team.remove")
    assert entry.actor_volunteer_id == world.leader.id
    assert entry.volunteer_id == world.member.id


def test_the_leader_adds_the_person_who_shows_their_card(app, make, db):
    world = build(app, make, db)
    code = issue_card(app.config["SECRET_KEY"], world.stranger.card_key)
    url = f"/lead/teams/{world.team.id}/add"
    response = world.client.post(url, data={"csrf_token": world.token, "code": code})
    assert response.status_code == 302
    db.session.commit()
    row = db.session.scalar(select(TeamMember).where(TeamMember.volunteer_id == world.stranger.id))
    assert row.status == MemberStatus.ACTIVE and not row.is_leader
    (entry,) = entries(db, "team.add")
    assert entry.actor_volunteer_id == world.leader.id
    assert entry.volunteer_id == world.stranger.id
    assert "张桂兰 is now a member of the team." in text(
        world.client.get(f"/lead/teams/{world.team.id}")
    )
    # the same card again: already a member, nothing more written
    again = world.client.post(url, data={"csrf_token": world.token, "code": code})
    assert again.status_code == 409
    assert "already a member" in text(again)
    assert len(entries(db, "team.add")) == 1


@pytest.mark.parametrize("how", ["forged", "replaced", "deleted", "empty"])
def test_a_forged_or_replaced_card_is_refused_and_nothing_written(app, make, db, how):
    world = build(app, make, db)
    secret = app.config["SECRET_KEY"]
    code = issue_card(secret, world.stranger.card_key)
    if how == "forged":
        code = code[:-3] + ("aaa" if not code.endswith("aaa") else "bbb")
    elif how == "replaced":
        world.stranger.card_key = "renewed-card-key-0000000"
    elif how == "deleted":
        world.stranger.deleted_at = utcnow()
    elif how == "empty":
        code = ""
    db.session.commit()
    response = world.client.post(
        f"/lead/teams/{world.team.id}/add", data={"csrf_token": world.token, "code": code}
    )
    assert response.status_code == 400
    message = (
        "Please scan or enter a volunteer card code."
        if how == "empty"
        else "This is not a valid volunteer card."
    )
    assert message in text(response)
    assert entries(db) == []
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(TeamMember)
            .where(TeamMember.volunteer_id == world.stranger.id)
        )
        == 0
    )


def test_without_the_csrf_token_nothing_is_changed(app, make, db):
    world = build(app, make, db)
    code = issue_card(app.config["SECRET_KEY"], world.stranger.card_key)
    base = f"/lead/teams/{world.team.id}"
    for url, data in (
        (f"{base}/members/{world.asking_row.id}/approve", {}),
        (f"{base}/members/{world.member_row.id}/remove", {}),
        (f"{base}/add", {"code": code}),
    ):
        assert world.client.post(url, data=data).status_code == 400, url
    assert entries(db) == []


def test_a_membership_of_another_team_is_no_one(app, make, db):
    world = build(app, make, db)
    other = make.team(world.team.unit)
    theirs = make.member(other, make.volunteer("别队的人"), status=MemberStatus.PENDING)
    db.session.commit()
    for verb in ("approve", "reject", "remove"):
        url = f"/lead/teams/{world.team.id}/members/{theirs.id}/{verb}"
        assert world.client.post(url, data={"csrf_token": world.token}).status_code == 404
    assert status_of(db, theirs) == (MemberStatus.PENDING, False)
    assert entries(db) == []


ACTORS = ("leader of another team", "plain member", "leader of the disabled team", "former leader")


@pytest.mark.parametrize("actor", ACTORS)
def test_only_a_leader_of_the_team_now_reaches_its_member_page(app, make, db, actor):
    world = build(app, make, db)
    them = make.volunteer("试探的人", phone="13822229999")
    team = world.team
    if actor == "leader of another team":
        make.member(make.team(team.unit), them, leader=True)
    elif actor == "plain member":
        make.member(team, them)
    elif actor == "leader of the disabled team":
        make.member(team, them, leader=True)
        team.disabled_at = utcnow()
    elif actor == "former leader":
        make.member(team, them, leader=True, status=MemberStatus.LEFT)
    client = phone(app, remembered(app, db, them))
    db.session.commit()
    token = csrf_token(client, "/me")
    code = issue_card(app.config["SECRET_KEY"], world.stranger.card_key)
    base = f"/lead/teams/{team.id}"
    assert client.get(base).status_code == 404
    for url in (
        f"{base}/members/{world.asking_row.id}/approve",
        f"{base}/members/{world.asking_row.id}/reject",
        f"{base}/members/{world.member_row.id}/remove",
        f"{base}/add",
    ):
        response = client.post(url, data={"csrf_token": token, "code": code})
        assert response.status_code == 404, (actor, url)
    assert entries(db) == []
    assert status_of(db, world.asking_row) == (MemberStatus.PENDING, False)


def test_the_member_page_is_linked_from_my_page_and_the_led_activity(app, make, db):
    world = build(app, make, db)
    activity = make.activity(world.team.unit, team_id=world.team.id)
    db.session.commit()
    assert f'href="/lead/teams/{world.team.id}"' in text(world.client.get("/me"))
    page = text(world.client.get(f"/lead/activities/{activity.id}"))
    assert f'href="/lead/teams/{world.team.id}"' in page


def test_team_entries_are_named_in_the_change_logs_with_the_team(app, make, db):
    """The organizers' change logs (activities/labels.py, activities/context.py) name every
    team action and the team, and a leader's change as the leader's, not the member's own."""
    from flask import render_template_string
    from sqlalchemy.orm import aliased

    from volunteer_app.activities.context import describe_change
    from volunteer_app.activities.labels import AUDIT_LABELS
    from volunteer_app.auth.models import User
    from volunteer_app.volunteers.models import Volunteer

    world = build(app, make, db)
    url = f"/lead/teams/{world.team.id}/members/{world.asking_row.id}/approve"
    world.client.post(url, data={"csrf_token": world.token})
    for action in (
        "team.create",
        "team.update",
        "team.disable",
        "team.enable",
        "team.renew_key",
        "team.join",
        "team.request",
        "team.add",
        "team.approve",
        "team.reject",
        "team.remove",
        "team.leave",
        "team.leader",
        "team.unleader",
    ):
        assert action in AUDIT_LABELS, action
    (entry,) = entries(db, "team.approve")
    actor, subject = aliased(Volunteer), aliased(Volunteer)
    row = db.session.execute(
        select(AuditEntry, User, subject, actor)
        .outerjoin(User, User.id == AuditEntry.actor_user_id)
        .outerjoin(subject, subject.id == AuditEntry.volunteer_id)
        .outerjoin(actor, actor.id == AuditEntry.actor_volunteer_id)
        .where(AuditEntry.id == entry.id)
    ).one()
    with app.test_request_context("/?lang=zh"):
        assert describe_change(entry) == "万福医护志愿服务队"
        html = render_template_string(
            '{% include "activities/_audit.html" %}',
            audit=[tuple(row)],
            audit_labels=AUDIT_LABELS,
            describe_change=describe_change,
            audit_reason=lambda e: "",
        )
    assert "入队申请已通过: 赵敏" in html and "万福医护志愿服务队" in html
    assert "队长 王队长" in html and "本人" not in html
