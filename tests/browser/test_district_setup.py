"""Setting up a district from an empty database, in the browser at phone and desktop size.

The operator runs ``create-district`` on a migrated database with nothing in it (no demo
seed); the district admin then builds the tree through /units, imports a unit tree of 200
stations and 50 volunteers (three rows refused, the same file again adds nothing), and
creates a station organizer, who signs in and sees exactly their station's volunteers.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from volunteer_app import create_app
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit

from .conftest import Live

pytestmark = pytest.mark.browser

DISTRICT = "东昌府区新时代文明实践中心"
ADMIN, ADMIN_PASSWORD = "district-admin", "Dongchang#2026"
CENTRES = {
    "古楼街道新时代文明实践所": ["古楼社区站", "光岳社区站", "向阳社区站"],
    "侯营镇新时代文明实践所": ["侯营村站", "堂邑村站"],
}
STATIONS = [station for stations in CENTRES.values() for station in stations]
#: The 50 volunteers' rows (file row = index + 2); three are refused.
BAD_ROWS = {7: "手机号不是 11 位中国大陆手机号码。", 23: "缺少姓名。", 41: "未知站点。"}
SIZES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture(params=list(SIZES))
def empty(request, tmp_path) -> Iterator[tuple[Live, str]]:
    """The app on a free port with a fresh, migrated and otherwise empty SQLite database."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'district.sqlite3'}",
            "SECRET_KEY": "browser-test-secret-key-0123456789",
            "RATELIMIT_ENABLED": False,
            "IMPORT_PENDING_DIR": str(tmp_path / "imports"),
        }
    )
    with app.app_context():
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(app=app, url=f"http://127.0.0.1:{server.server_port}"), request.param
    server.shutdown()


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unit_tree_file() -> bytes:
    """200 stations: 100 more under a centre built by hand, 100 under a new centre."""
    rows = [["所", "站", "地址", "联系人", "联系电话"]]
    for centre, prefix in (
        ("古楼街道新时代文明实践所", "古楼"),
        ("阎寺街道新时代文明实践所", "阎寺"),
    ):
        for i in range(1, 101):
            rows.append(
                [centre, f"{prefix}第{i}网格站", f"{prefix}路{i}号", "张敏", "0635-8211234"]
            )
    return workbook(rows)


def volunteer_rows() -> list[list]:
    rows = [[f"志愿者{i:02d}", f"1390635{i:04d}", STATIONS[i % 5]] for i in range(50)]
    rows[7 - 2][1] = "1390635"
    rows[23 - 2][0] = ""
    rows[41 - 2][2] = "不存在的站"
    return rows


def no_sideways_scroll(page, size: str) -> None:
    width = SIZES[size]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def add_unit(page, level: str, name: str, phone: str = "") -> None:
    page.get_by_label("级别").select_option(label=level)
    page.get_by_label("名称").fill(name)
    if phone:
        page.get_by_label("联系电话").fill(phone)
    page.get_by_role("button", name="添加单位").click()
    expect(page.get_by_text(f"已添加单位“{name}”。")).to_be_visible()


def test_set_up_a_district_from_an_empty_database(browser, empty, tmp_path, shot):
    live, size = empty
    with live.app.app_context():  # as ``flask create-district`` runs on the server
        result = live.app.test_cli_runner().invoke(
            args=["create-district", DISTRICT, "--admin", ADMIN, "--password", ADMIN_PASSWORD]
        )
    assert result.exit_code == 0, result.output
    assert f"Created the district {DISTRICT}" in result.output

    page = browser.new_context(**SIZES[size], locale="zh-CN", base_url=live.url).new_page()
    sign_in(page, ADMIN, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="活动")).to_be_visible()

    # Two centres and five stations through the /units forms.
    page.goto("/units")
    page.get_by_role("link", name=DISTRICT).click()
    for centre in CENTRES:
        add_unit(page, "实践所", centre)
    district_page = page.url
    for centre, stations in CENTRES.items():
        page.goto(district_page)
        page.locator("main").get_by_role("link", name=centre, exact=True).first.click()
        for station in stations:
            add_unit(page, "实践站", station, phone="13906350000")
    page.goto("/units")
    for name in [*CENTRES, *STATIONS]:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    no_sideways_scroll(page, size)
    shot(page, f"district-setup-units-{size}")

    # The unit tree of 200 stations, then the same file again.
    tree = tmp_path / "所站.xlsx"
    tree.write_bytes(unit_tree_file())
    for attempt, (new_centres, new_stations, existing) in enumerate([(1, 200, 0), (0, 0, 200)]):
        page.goto("/units")
        page.get_by_role("link", name="导入所站").click()
        expect(page.get_by_role("link", name="下载模板（.xlsx）")).to_be_visible()
        page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(str(tree))
        page.get_by_role("button", name="检查文件").click()
        expect(page.get_by_role("heading", name="核对导入内容")).to_be_visible()
        expect(page.locator("#new-centres")).to_have_text(str(new_centres))
        expect(page.locator("#new-stations")).to_have_text(str(new_stations))
        expect(page.locator("#existing-stations")).to_have_text(str(existing))
        expect(page.locator("#refused-rows")).to_have_text("0")
        no_sideways_scroll(page, size)
        shot(page, f"district-setup-unit-import-{attempt + 1}-{size}")
        page.get_by_role("button", name="确认导入").click()
        expect(
            page.get_by_text(f"新增 {new_centres} 个所、{new_stations} 个站；{existing} 个站已存在")
        ).to_be_visible()
    expect(page.get_by_role("link", name="阎寺第100网格站")).to_be_visible()
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 1 + 3 + 205

    # 50 volunteers, three refused by row; the same file again adds nothing.
    people = tmp_path / "志愿者名单.xlsx"
    people.write_bytes(workbook([["姓名", "手机号", "所属站点"], *volunteer_rows()]))
    for attempt, added in enumerate([47, 0]):
        page.goto("/volunteers/import")
        page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(str(people))
        page.get_by_role("button", name="检查文件").click()
        expect(page.locator("#new-people")).to_have_text(str(added))
        expect(page.locator("#refused-rows")).to_have_text("3")
        for number, message in BAD_ROWS.items():
            row = page.locator("#refused li", has_text=f"第 {number} 行")
            expect(row).to_contain_text(message)
        no_sideways_scroll(page, size)
        shot(page, f"district-setup-volunteer-import-{attempt + 1}-{size}")
        page.get_by_label("文件中的人员", exact=False).check()
        page.get_by_role("button", name="确认导入").click()
        expect(page.get_by_text(f"导入完成：新增志愿者 {added} 人")).to_be_visible()
    page.goto("/volunteers")
    expect(page.locator("#roster-count")).to_have_text("共 47 名志愿者")

    # A station organizer for 古楼社区站, who sees exactly that station's volunteers.
    page.goto("/accounts")
    page.get_by_label("姓名").fill("刘晓燕")
    page.get_by_label("用户名").fill("gulou-station")
    page.get_by_label("初始密码").fill("Gulou-first-2026")
    page.get_by_label("角色").select_option(label="实践站管理员")
    page.get_by_label("实践所或实践站").select_option(label="古楼社区站（实践站）")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_text("已为古楼社区站创建账号 gulou-station。")).to_be_visible()
    shot(page, f"district-setup-accounts-{size}")

    organizer = browser.new_context(**SIZES[size], locale="zh-CN", base_url=live.url).new_page()
    sign_in(organizer, "gulou-station", "Gulou-first-2026")
    organizer.get_by_label("当前密码").fill("Gulou-first-2026")
    organizer.get_by_label("新密码", exact=True).fill("Gulou-own-2026!")
    organizer.get_by_label("再次输入新密码").fill("Gulou-own-2026!")
    organizer.get_by_role("button", name="修改密码").click()
    organizer.goto("/volunteers")
    theirs = sorted(
        name
        for number, (name, _, station) in enumerate(volunteer_rows(), start=2)
        if station == "古楼社区站" and number not in BAD_ROWS
    )
    expect(organizer.locator("#roster-count")).to_have_text(f"共 {len(theirs)} 名志愿者")
    names = organizer.locator("table tbody th a").all_inner_texts()
    assert sorted(names) == theirs
    no_sideways_scroll(organizer, size)
    shot(organizer, f"district-setup-station-roster-{size}")
