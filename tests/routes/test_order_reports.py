"""The orders export (/reports/orders.xlsx|csv, reports/rows.py ``order_lines``): a line
per unit of the dashboard's drill-down and the total, hand-counted, each line what
``needs.services.figures`` gives for the unit, and nothing of another centre's.

Orders added to tests/report_fixture.py (Beijing time; hours after the order):

| order | placed at | on    | accepted | dispatched | taken | completed | other                |
|-------|-----------|-------|----------|------------|-------|-----------|----------------------|
| o1    | S1        | 03-05 | 2 h      | 4 h        | yes   | 24 h      | rated 5/5 (satisfied)|
| o2    | S1        | 03-06 |          |            |       |           | rejected             |
| o3    | S1        | 03-07 | 1 h      |            |       |           | withdrawn            |
| o4    | S2        | 03-08 | 3 h      | 5 h        | yes   | 10 h      | rated 3/4            |
| o5    | S3 (C2)   | 03-09 | 6 h      | 6 h        |       |           |                      |
| o6    | C1 itself | 03-10 |          |            |       |           | waiting              |
| o7    | S1        | 04-02 | 1 h      |            |       |           | (outside March)      |

C1: received 5, rejected 1, dispatched 2, taken 2, completed 2, rated 2; 接单率 2/2,
办结率 2/(3 accepted − 1 withdrawn), 满意率 1/2; medians 2 h, 4.5 h, 17 h.
C2: 1, 0, 1, 0, 0, 0; 0/1, 0/1, none; 6 h, 6 h, none.
Total: 6, 1, 3, 2, 2, 2; 2/3, 2/3, 1/2; medians 2.5 h, 5 h, 17 h.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from volunteer_app.auth.scoping import scope_unit_ids, subtree_unit_ids
from volunteer_app.localtime import local_zone
from volunteer_app.needs import services
from volunteer_app.needs.models import NeedEvent, NeedRating, NeedStatus
from volunteer_app.reports.periods import month_period
from volunteer_app.reports.rows import order_lines
from volunteer_app.stations.models import Unit

from ..report_fixture import build, local
from .test_reports import MARCH, csv_rows, xlsx_rows

HEADERS = [
    "单位",
    "收到需求",
    "已拒绝",
    "已派单",
    "已接单",
    "已办结",
    "已评单",
    "接单率",
    "办结率",
    "满意率",
    "中位受理时长（小时）",
    "中位派单时长（小时）",
    "中位办结时长（小时）",
]


def order(
    make,
    db,
    station,
    day,
    *,
    month=3,
    accepted=None,
    dispatched=None,
    completed=None,
    steps=(),
    stars=None,
):
    """An order placed at ``station`` on March ``day`` (09:00), its times in hours after."""
    created = local(month, day)
    at = {h: created + timedelta(hours=h) for h in (accepted, dispatched, completed) if h}
    need = make.need(
        station,
        status=NeedStatus.SUBMITTED,
        created_at=created,
        changed_at=created,
        accepted_at=at.get(accepted),
        dispatched_at=at.get(dispatched),
        completed_at=at.get(completed),
    )
    db.session.flush()
    for action in ("submit", *steps):
        db.session.add(
            NeedEvent(need_id=need.id, action=action, to_status=NeedStatus.SUBMITTED, at=created)
        )
    if stars:
        db.session.add(NeedRating(need_id=need.id, quality=stars[0], attitude=stars[1]))
    return need


@pytest.fixture
def world(make, db):
    world = build(make, db)
    full = ("accept", "dispatch", "take", "start", "complete")
    order(
        make,
        db,
        world.s1,
        5,
        accepted=2,
        dispatched=4,
        completed=24,
        steps=(*full, "rate"),
        stars=(5, 5),
    )
    order(make, db, world.s1, 6, steps=("reject",))
    order(make, db, world.s1, 7, accepted=1, steps=("accept", "withdraw"))
    order(
        make,
        db,
        world.s2,
        8,
        accepted=3,
        dispatched=5,
        completed=10,
        steps=(*full, "rate"),
        stars=(3, 4),
    )
    order(make, db, world.s3, 9, accepted=6, dispatched=6, steps=("dispatch",))
    order(make, db, world.c1, 10)
    order(make, db, world.s1, 2, month=4, accepted=1, steps=("accept",))
    db.session.commit()
    return world


C1 = ["万福街道", "5", "1", "2", "2", "2", "2", "100.0%", "100.0%", "50.0%", "2.0", "4.5", "17.0"]
C2 = ["吕陵镇", "1", "0", "1", "0", "0", "0", "0.0%", "0.0%", "", "6.0", "6.0", ""]
TOTAL = ["合计", "6", "1", "3", "2", "2", "2", "66.7%", "66.7%", "50.0%", "2.5", "5.0", "17.0"]


def test_the_district_export_has_a_line_per_centre_and_the_total(client, world, login_as):
    login_as(world.admin)
    lines = csv_rows(client.get(f"/reports/orders.csv?{MARCH}"))
    assert lines == [HEADERS, C1, C2, TOTAL]


def test_the_xlsx_holds_numbers_and_fractions(client, world, login_as):
    login_as(world.admin)
    rows = xlsx_rows(client.get(f"/reports/orders.xlsx?{MARCH}"))
    assert rows[0] == HEADERS
    assert rows[1][:7] == ["万福街道", 5, 1, 2, 2, 2, 2]
    assert rows[1][7:] == [1, 1, 0.5, 2, 4.5, 17]
    assert rows[2][9] is None and rows[2][12] is None  # no rating, nothing completed
    assert rows[3][0] == "合计" and rows[3][7] == pytest.approx(2 / 3)


def test_a_centre_sees_its_own_orders_and_its_stations_never_another_centres(
    client, world, login_as
):
    login_as(world.centre_user)
    lines = csv_rows(client.get(f"/reports/orders.csv?{MARCH}"))
    by_name = {line[0]: line[1:] for line in lines[1:]}
    assert set(by_name) == {"万福街道（本级点单）", "万福社区", "新华社区", "合计"}
    assert by_name["万福社区"][:6] == ["3", "1", "1", "1", "1", "1"]
    assert by_name["新华社区"][:6] == ["1", "0", "1", "1", "1", "1"]
    assert by_name["万福街道（本级点单）"][:2] == ["1", "0"]
    assert by_name["合计"] == C1[1:]
    assert "吕陵" not in "".join(",".join(line) for line in lines)
    # another centre named in the query: not found
    assert client.get(f"/reports/orders.csv?unit={world.c2.id}&{MARCH}").status_code == 404


def test_a_station_has_its_own_line_and_the_total(client, world, login_as):
    login_as(world.s1_user)
    lines = csv_rows(client.get(f"/reports/orders.csv?{MARCH}"))
    assert [line[0] for line in lines[1:]] == ["万福社区", "合计"]
    assert lines[1][1:] == lines[2][1:]
    assert client.get(f"/reports/orders.csv?unit={world.s2.id}&{MARCH}").status_code == 404


def test_april_counts_the_april_order(client, world, login_as):
    login_as(world.s1_user)
    lines = csv_rows(client.get("/reports/orders.csv?period=month&month=2025-04"))
    assert lines[1][:2] == ["万福社区", "1"]


def test_each_line_is_what_figures_gives_for_its_unit(app, world, db):
    with app.test_request_context("/reports/"):
        start, end = month_period(2025, 3).bounds(local_zone())
        for scope, user in ((world.district, world.admin), (world.c1, world.centre_user)):
            scope_ids = scope_unit_ids(user, scope)
            lines = order_lines(scope, scope_ids, start, end)
            for line in lines:
                if line.unit_id is None:
                    ids = scope_ids
                elif line.unit_id == scope.id:
                    ids = select(Unit.id).where(Unit.id == scope.id)
                else:
                    ids = subtree_unit_ids(db.session.get(Unit, line.unit_id))
                assert line.figures == services.figures(ids, start, end), (scope.name, line.name)
            assert lines[-1].figures.received == (6 if scope is world.district else 5)


def test_the_dashboard_links_the_orders_export(client, world, login_as):
    login_as(world.admin)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    section = html.split('id="orders"', 1)[1].split("</section>", 1)[0]
    assert "/reports/orders.xlsx?" in section and "/reports/orders.csv?" in section
    assert html.count("/reports/orders.csv?") == 2  # and beside the other downloads


def test_the_orders_export_in_english(client, world, login_as):
    login_as(world.s1_user)
    client.get(f"/reports/?{MARCH}&lang=en")
    lines = csv_rows(client.get(f"/reports/orders.csv?{MARCH}"))
    assert lines[0][:3] == ["Unit", "Orders received", "Rejected"]
    assert lines[0][-1] == "Median hours to complete (h)" and lines[-1][0] == "Total"


def test_the_orders_export_is_private_and_checks_its_parameters(client, world, login_as):
    response = client.get(f"/reports/orders.csv?{MARCH}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(world.centre_user)
    response = client.get(f"/reports/orders.xlsx?{MARCH}")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert client.get("/reports/orders.csv?period=month&month=2025-²").status_code == 400
    assert client.get("/reports/orders.csv?unit=x").status_code == 400
