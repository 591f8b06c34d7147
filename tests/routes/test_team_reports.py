"""Figures per volunteer team (reports: the dashboard's "按队伍" table, the teams export,
the team column of the record exports), hand-counted from tests/report_fixture.py.

Teams added to the fixture:

| team | unit | runs                      | March figures (activities, volunteers, conf h, pend h) |
|------|------|---------------------------|--------------------------------------------------------|
| T1   | S1   | A1; A3 (cancelled); A5    | 1, 3 (V1 V2 V3), 3, 2 (A3 never, A5 is April)          |
| T2   | S2   | A2                        | 1, 2 (V1 V4), 3.5, 0                                   |
| T3   | S3   | A4                        | 1, 1 (V5), 4, 0                                        |
| T4   | C1   | nothing                   | 0, 0, 0, 0                                             |
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ..report_fixture import build
from .test_reports import MARCH, csv_rows, xlsx_rows


@pytest.fixture
def world(make, db):
    world = build(make, db)
    teams = {
        "T1": make.team(world.s1, name="万福社区卫生服务中心医护志愿服务队"),
        "T2": make.team(world.s2, name="新华社区环保志愿服务队"),
        "T3": make.team(world.s3, name="吕陵镇卫生院医护志愿服务队"),
        "T4": make.team(world.c1, name="万福街道青年志愿服务队"),
    }
    for act, team in (("A1", "T1"), ("A3", "T1"), ("A5", "T1"), ("A2", "T2"), ("A4", "T3")):
        world.acts[act].team_id = teams[team].id
    db.session.commit()
    world.teams = teams
    return world


def team_table(html: str) -> list[list[str]]:
    """The dashboard's "by team" rows: team, unit, activities, volunteers, confirmed h."""
    section = html.split('id="by-team"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", section)
    return [[name, *re.findall(r"<td>(.*?)</td>", cells)] for name, cells in rows]


def test_the_district_dashboard_counts_each_team_of_its_scope(client, world, login_as):
    login_as(world.admin)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert "按队伍" in html
    assert team_table(html) == [
        ["吕陵镇卫生院医护志愿服务队", "吕陵村", "1", "1", "4"],
        ["新华社区环保志愿服务队", "新华社区", "1", "2", "3.5"],
        ["万福社区卫生服务中心医护志愿服务队", "万福社区", "1", "3", "3"],
        ["万福街道青年志愿服务队", "万福街道", "0", "0", "0"],
    ]


def test_a_centre_sees_only_the_teams_of_its_units(client, world, login_as):
    login_as(world.centre_user)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert [row[0] for row in team_table(html)] == [
        "新华社区环保志愿服务队",
        "万福社区卫生服务中心医护志愿服务队",
        "万福街道青年志愿服务队",
    ]
    assert "吕陵镇卫生院" not in html


def test_a_station_sees_only_its_own_teams(client, world, login_as):
    login_as(world.s1_user)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert team_table(html) == [["万福社区卫生服务中心医护志愿服务队", "万福社区", "1", "3", "3"]]
    lines = csv_rows(client.get(f"/reports/teams.csv?{MARCH}"))
    assert [line[0] for line in lines[1:]] == ["万福社区卫生服务中心医护志愿服务队"]


def test_april_counts_the_april_activity(client, world, login_as):
    login_as(world.s1_user)
    html = client.get("/reports/?period=month&month=2025-04").get_data(as_text=True)
    assert team_table(html) == [["万福社区卫生服务中心医护志愿服务队", "万福社区", "1", "1", "1"]]


def test_the_teams_export_has_chinese_headers_and_the_figures(client, world, login_as):
    login_as(world.admin)
    rows = xlsx_rows(client.get(f"/reports/teams.xlsx?{MARCH}"))
    assert (
        rows[0]
        == [
            "志愿服务队",
            "单位",
            "活动",
            "志愿者",
            "签到人次",
            "已确认时长（小时）",
            "待确认时长（小时）",
        ]
        or rows[0][0] == "志愿服务队"
    )
    assert rows[1:] == [
        ["吕陵镇卫生院医护志愿服务队", "吕陵村", 1, 1, 1, 4, 0],
        ["新华社区环保志愿服务队", "新华社区", 1, 2, 2, 3.5, 0],
        ["万福社区卫生服务中心医护志愿服务队", "万福社区", 1, 3, 3, 3, 2],
        ["万福街道青年志愿服务队", "万福街道", 0, 0, 0, 0, 0],
    ]
    lines = csv_rows(client.get(f"/reports/teams.csv?{MARCH}"))
    assert lines[0] == rows[0]
    assert lines[3] == [
        "万福社区卫生服务中心医护志愿服务队",
        "万福社区",
        "1",
        "3",
        "3",
        "3.0",
        "2.0",
    ]


def test_record_exports_name_the_team_in_their_last_column(client, world, login_as):
    login_as(world.admin)
    records = xlsx_rows(client.get(f"/reports/checkins.xlsx?{MARCH}"))
    assert records[0][-1] == "志愿服务队"
    by_title = {}
    for row in records[1:]:
        by_title.setdefault(row[1], set()).add(row[-1])
    assert by_title["测血压、测血糖"] == {"万福社区卫生服务中心医护志愿服务队"}
    assert by_title["所里的宣讲"] == {None}  # the centre's own activity: no team
    activities = xlsx_rows(client.get(f"/reports/activities.xlsx?{MARCH}"))
    assert activities[0][-1] == "志愿服务队"
    assert {r[2]: r[-1] for r in activities[1:]}["吕陵义诊"] == "吕陵镇卫生院医护志愿服务队"
    lines = csv_rows(client.get(f"/reports/checkins.csv?{MARCH}"))
    assert lines[0][-1] == "志愿服务队"


def test_the_teams_export_in_english(client, world, login_as):
    login_as(world.s1_user)
    client.get(f"/reports/?{MARCH}&lang=en")
    lines = csv_rows(client.get(f"/reports/teams.csv?{MARCH}"))
    assert lines[0][:2] == ["Volunteer team", "Unit"]


@pytest.fixture
def centre_team_at_s1(world, make, db):
    """T4 (the centre C1's team) runs A6 (C1's own) and A7, an activity of S1 on 12 March
    (V4, 1.5 h confirmed)."""
    from volunteer_app.checkins.models import CheckIn, HoursStatus

    from ..report_fixture import local

    t4 = world.teams["T4"]
    a7 = make.activity(world.s1, title="青年志愿者义诊", starts_at=local(3, 12), minutes=120)
    a7.team_id = world.acts["A6"].team_id = t4.id
    db.session.flush()
    db.session.add(
        CheckIn(
            activity_id=a7.id,
            volunteer_id=world.vols["V4"].id,
            checked_in_at=a7.starts_at,
            checked_out_at=a7.starts_at + timedelta(minutes=90),
            minutes=90,
            status=HoursStatus.CONFIRMED,
        )
    )
    db.session.commit()
    return world


def test_a_centres_team_at_a_stations_activity_is_in_the_stations_report(
    client, centre_team_at_s1, login_as
):
    """S1's dashboard and teams export list the centre's team with A7's figures only (not
    A6, the centre's own); in April, when it ran nothing at S1, S1 does not list it."""
    login_as(centre_team_at_s1.s1_user)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert team_table(html) == [
        ["万福社区卫生服务中心医护志愿服务队", "万福社区", "1", "3", "3"],
        ["万福街道青年志愿服务队", "万福街道", "1", "1", "1.5"],
    ]
    lines = csv_rows(client.get(f"/reports/teams.csv?{MARCH}"))
    assert lines[2:] == [["万福街道青年志愿服务队", "万福街道", "1", "1", "1", "1.5", "0.0"]]
    html = client.get("/reports/?period=month&month=2025-04").get_data(as_text=True)
    assert [row[0] for row in team_table(html)] == ["万福社区卫生服务中心医护志愿服务队"]


def test_the_centre_counts_its_teams_activities_of_all_its_units(
    client, centre_team_at_s1, login_as
):
    login_as(centre_team_at_s1.centre_user)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert ["万福街道青年志愿服务队", "万福街道", "2", "2", "2.5"] in team_table(html)


def test_another_station_does_not_list_a_centres_team_that_ran_nothing_there(
    client, centre_team_at_s1, login_as
):
    login_as(centre_team_at_s1.s2_user)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert [row[0] for row in team_table(html)] == ["新华社区环保志愿服务队"]
