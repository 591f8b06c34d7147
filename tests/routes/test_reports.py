"""Report pages and exports: wiring, numbers, file formats, formula injection, scoping."""

import csv
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from ..report_fixture import build

MARCH = "period=month&month=2025-03"


@pytest.fixture
def world(make, db):
    return build(make, db)


def tiles(html: str) -> dict[str, str]:
    """The dashboard's headline figures: {label: number}."""
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width > 8
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_anonymous_is_sent_to_login(client, world):
    for url in (
        "/reports/",
        f"/reports/hours.xlsx?{MARCH}",
        f"/reports/activities/{world.acts['A1'].id}/attendance.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_district_dashboard_shows_the_hand_counted_figures(client, world, login_as):
    login_as(world.admin)
    response = client.get(f"/reports/?{MARCH}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert tiles(html) == {"已开展活动": "4", "志愿者": "5", "签到人次": "7", "已确认时长": "11.5"}
    assert "1 个已取消" in html and "3 名新志愿者" in html and "1 人未签退" in html
    assert "2 小时待确认" in html
    assert "扫码记录时长：11.5 · 组织者录入：2" in html
    assert "2025年3月" in html
    # SVG charts with presentation attributes only: nothing the strict CSP would block
    assert html.count('<svg class="chart') == 3  # bars, and labelled horizontal bars
    assert "style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script (CSP)
    # drill-down links to the centres, and to the activity and its attendance exports
    assert f"/reports/?unit={world.c1.id}&amp;period=month&amp;month=2025-03" in html
    assert f"/activities/{world.acts['A1'].id}" in html
    assert f"/reports/activities/{world.acts['A1'].id}/attendance.xlsx" in html


def test_station_dashboard_never_shows_other_stations(client, world, login_as):
    login_as(world.s1_user)
    html = client.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert tiles(html) == {"已开展活动": "1", "志愿者": "3", "签到人次": "3", "已确认时长": "3"}
    for other in ("新华社区", "吕陵村", "清理小广告", "吕陵义诊", "所里的宣讲"):
        assert other not in html
    for unit in (world.s2, world.c1, world.district, world.s3):
        assert client.get(f"/reports/?unit={unit.id}&{MARCH}").status_code == 404
        assert client.get(f"/reports/hours.csv?unit={unit.id}&{MARCH}").status_code == 404
    for act in ("A2", "A4", "A6"):
        url = f"/reports/activities/{world.acts[act].id}/attendance.xlsx"
        assert client.get(url).status_code == 404


def test_centre_can_drill_down_to_its_station_only(client, world, login_as):
    login_as(world.centre_user)
    html = client.get(f"/reports/?unit={world.s2.id}&{MARCH}").get_data(as_text=True)
    assert tiles(html)["签到人次"] == "2"
    assert "万福街道" in html  # breadcrumb back up to the centre
    assert client.get(f"/reports/?unit={world.s3.id}&{MARCH}").status_code == 404


@pytest.mark.parametrize(
    "query,code",
    [
        ("period=week", "请选择时段"),
        ("period=day&date=2025-02-30", "请输入有效日期"),
        ("period=month&month=2025-13", "请输入有效月份"),
        ("period=year&year=1900", "请输入 2000 到 2100 之间的年份"),
        ("period=range&start=2025-03-10&end=2025-03-01", "结束日期早于开始日期"),
        ("period=range&start=2000-01-01&end=2010-01-01", "时段太长"),
        ("unit=abc", "请选择您管理的单位"),
    ],
)
def test_bad_parameters_are_a_translated_400(client, world, login_as, query, code):
    login_as(world.admin)
    response = client.get(f"/reports/?{query}")
    assert response.status_code == 400
    assert code in response.get_data(as_text=True)
    assert client.get(f"/reports/hours.csv?{query}").status_code == 400


def test_attendance_exports_match(client, world, login_as):
    login_as(world.s1_user)
    url = f"/reports/activities/{world.acts['A1'].id}/attendance"
    rows = xlsx_rows(client.get(url + ".xlsx"))
    assert rows[0] == [
        "姓名",
        "手机号",
        "签到时间",
        "签退时间",
        "服务时长（小时）",
        "时长来源",
        "时长状态",
    ]
    assert rows[1][:2] == ["李秀英", "138****1234"]
    # real date cells in Beijing time; real numbers
    assert rows[1][2] == datetime(2025, 3, 5, 7, 25) and rows[1][3] == datetime(2025, 3, 5, 10, 30)
    assert rows[1][4] == 3 and rows[1][5:] == ["扫码", "已确认"]
    assert rows[2][4] == 2 and rows[2][6] == "待确认"
    assert rows[3][0] == "张桂兰" and rows[3][3] is None and rows[3][4] is None  # no check-out
    assert len(rows) == 4
    lines = csv_rows(client.get(url + ".csv"))
    assert lines[0] == rows[0]
    assert lines[1] == [
        "李秀英",
        "138****1234",
        "2025-03-05 07:25",
        "2025-03-05 10:30",
        "3.0",
        "扫码",
        "已确认",
    ]
    assert lines[3][3:5] == ["", ""]
    assert len(lines) == 4
    response = client.get(url + ".csv")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "13856781234" not in response.get_data(as_text=True)


def test_hours_per_volunteer_exports_match(client, world, login_as):
    login_as(world.admin)
    rows = xlsx_rows(client.get(f"/reports/hours.xlsx?{MARCH}"))
    assert rows[0][:5] == [
        "姓名",
        "手机号",
        "参加活动次数",
        "已确认时长（小时）",
        "待确认时长（小时）",
    ]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"李秀英", "王建国", "张桂兰", "'=1+2", "赵志强"}
    assert by_name["李秀英"][2:7] == [2, 5, 0, 3, 2]  # A1 at S1 and A2 at S2
    assert by_name["王建国"][2:5] == [2, 1, 2]  # A1 pending, A6; the cancelled A3 is left out
    assert by_name["赵志强"][3] == 4
    assert rows[1][0] == "李秀英"  # most confirmed hours first
    lines = csv_rows(client.get(f"/reports/hours.csv?{MARCH}"))
    assert [line[0] for line in lines[1:]] == [r[0] for r in rows[1:]]
    assert lines[1][2:5] == ["2", "5.0", "0.0"]


def test_station_hours_export_counts_only_its_own_activities(client, world, login_as):
    login_as(world.s1_user)
    lines = csv_rows(client.get(f"/reports/hours.csv?{MARCH}"))
    assert {line[0]: line[3] for line in lines[1:]} == {
        "李秀英": "3.0",
        "王建国": "0.0",
        "张桂兰": "0.0",
    }


def test_activity_list_exports_match_and_escape_formulas(client, world, login_as):
    login_as(world.centre_user)
    rows = xlsx_rows(client.get(f"/reports/activities.xlsx?{MARCH}"))
    assert rows[0][2] == "活动名称"
    titles = [r[2] for r in rows[1:]]
    assert titles == ["测血压、测血糖", "'@清理小广告", "义务植树", "所里的宣讲"]
    cancelled = rows[3]
    # the cancelled activity's check-in is recorded but counted nowhere: blank figures
    assert cancelled[6] == "已取消" and cancelled[7:12] == [None] * 5
    a1 = rows[1]
    assert a1[0] == datetime(2025, 3, 5, 7, 30) and a1[3:5] == ["健康服务", "万福社区"]
    assert a1[7:12] == [3, 3, 3, 2, 1]  # check-ins, volunteers, confirmed h, pending h, open
    # the formula-looking values are text cells, never formulas
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/activities.xlsx?{MARCH}").data)).active
    assert sheet["C3"].data_type == "s" and sheet["C3"].value == "'@清理小广告"
    confirmed = sum(r[9] or 0 for r in rows[1:])
    assert confirmed == 7.5  # 450 minutes, the centre dashboard's confirmed hours
    lines = csv_rows(client.get(f"/reports/activities.csv?{MARCH}"))
    assert [line[2] for line in lines[1:]] == titles
    assert lines[3][7:12] == [""] * 5


def test_service_record_export_escapes_names(client, world, login_as):
    login_as(world.admin)
    rows = xlsx_rows(client.get(f"/reports/checkins.xlsx?{MARCH}"))
    assert len(rows) == 1 + 7
    names = [r[3] for r in rows[1:]]
    assert "'=1+2" in names and "=1+2" not in names
    lines = csv_rows(client.get(f"/reports/checkins.csv?{MARCH}"))
    assert len(lines) == 1 + 7
    assert "'=1+2" in [line[3] for line in lines]
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)


def test_csv_streams_past_the_first_batch(app, world, monkeypatch):
    """The CSV body is read after the view returned: later batches must still arrive.

    On PostgreSQL a server-side cursor dies with the request's transaction, which ends
    when Flask tears the request down, before the body is read. The request runs in a
    thread of its own so that no test app context keeps the session alive.
    """
    import threading

    from flask.testing import FlaskClient

    from volunteer_app import spreadsheets
    from volunteer_app.reports import rows

    from ..conftest import csrf_token
    from ..factories import Factory

    monkeypatch.setattr(rows, "STREAM_BATCH", 2)
    monkeypatch.setattr(spreadsheets, "CSV_BATCH", 1)
    result = {}

    def download():
        client = FlaskClient(app, use_cookies=True)
        token = csrf_token(client, "/login")
        client.post(
            "/login",
            data={"username": "admin-r", "password": Factory.PASSWORD, "csrf_token": token},
        )
        response = client.get(f"/reports/checkins.csv?{MARCH}", buffered=False)
        try:
            result["chunks"] = list(response.response)
        except Exception as error:  # reported below, in the test's thread
            result["error"] = error
        finally:
            response.close()

    thread = threading.Thread(target=download)
    thread.start()
    thread.join()
    assert "error" not in result, result.get("error")
    assert len(result["chunks"]) == 1 + 7
    lines = list(csv.reader(io.StringIO(b"".join(result["chunks"]).decode("utf-8-sig"))))
    assert len(lines) == 1 + 7


def test_english_dashboard_and_export_headers(client, world, login_as):
    login_as(world.s1_user)
    html = client.get(f"/reports/?{MARCH}&lang=en").get_data(as_text=True)
    assert tiles(html)["Activities held"] == "1"
    assert "March 2025" in html
    lines = csv_rows(client.get(f"/reports/hours.csv?{MARCH}"))  # the language cookie is kept
    assert lines[0][:2] == ["Name", "Mobile number"]
