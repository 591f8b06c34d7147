"""Importing volunteers from a spreadsheet: template, preview, confirm, linking, scope."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry, AuditPersonal
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel
from volunteer_app.volunteers import privacy
from volunteer_app.volunteers.models import Household, Volunteer

from ..conftest import csrf_token

HEADER = ["姓名", "手机号", "所属站点"]
PAGE = "/volunteers/import"


def xlsx(rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, filename: str = "people.xlsx"):
    token = csrf_token(client, PAGE)
    return client.post(
        PAGE,
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def confirm(client, preview_html: str, consent: bool = True):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview_html).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview_html).group(1)
    data = {"csrf_token": csrf, "token": token}
    if consent:
        data["consent"] = "y"
    return client.post(f"{PAGE}/confirm", data=data)


def count_of(html: str, element_id: str) -> int:
    return int(re.search(rf'id="{element_id}">(\d+)<', html).group(1))


def people(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Volunteer))


def imports_audited(db) -> list[AuditEntry]:
    return list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "volunteers.import"))
    )


@pytest.fixture(autouse=True)
def pending_dir(app, tmp_path):
    """Uploads waiting for confirmation go to the test's own directory."""
    app.config["IMPORT_PENDING_DIR"] = str(tmp_path / "imports")
    return tmp_path / "imports"


def fifty_rows(station: str) -> list[list]:
    rows = [[f"志愿者{i}", f"1391234{i:04d}", station] for i in range(50)]
    rows[10][1] = "1391234"  # row 12: a bad number
    rows[20][0] = ""  # row 22: no name
    rows[30][2] = "不存在的站"  # row 32: unknown station
    return [HEADER, *rows]


def test_the_template_has_the_chinese_headers(client, make, login_as):
    login_as(make.user())
    response = client.get(f"{PAGE}/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [
        "姓名",
        "手机号",
        "所属站点",
        "性别",
        "出生日期",
        "专业技能",
        "服务类别",
        "志愿者编号",
    ]
    assert "下载模板" in client.get(PAGE).get_data(as_text=True)


def test_preview_lists_the_bad_rows_by_number_and_writes_nothing(client, make, db, login_as):
    station = make.unit("万福社区站")
    login_as(make.user(unit=station))
    response = upload(client, xlsx(fifty_rows("万福社区站")))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    refused = re.findall(r'<span class="title">第 (\d+) 行</span><span class="meta">([^<]+)<', html)
    assert refused == [
        ("12", "手机号不是 11 位中国大陆手机号码。"),
        ("22", "缺少姓名。"),
        ("32", "未知站点。"),
    ]
    assert count_of(html, "new-people") == 47 and count_of(html, "new-numbers") == 47
    assert count_of(html, "linked-rows") == 0 and count_of(html, "refused-rows") == 3
    assert "确认导入" in html
    assert people(db) == 0 and imports_audited(db) == []
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_confirm_writes_and_a_second_import_adds_nothing(client, make, db, login_as):
    station = make.unit("万福社区站")
    organizer = login_as(make.user(unit=station))
    data = xlsx(fifty_rows("万福社区站"))
    preview = upload(client, data).get_data(as_text=True)
    without_consent = confirm(client, preview, consent=False)
    assert without_consent.status_code == 400
    assert "请确认文件中的人员已经同意。" in without_consent.get_data(as_text=True)
    assert people(db) == 0
    response = confirm(client, preview)
    assert response.status_code == 302
    assert "新增志愿者 47 人" in client.get(PAGE).get_data(as_text=True)
    imported = list(db.session.scalars(select(Volunteer)))
    assert len(imported) == 47
    assert {v.registered_unit_id for v in imported} == {station.id}
    assert {v.registered_by_id for v in imported} == {organizer.id}
    assert all(v.consent_version.startswith("imp-") and v.card_key for v in imported)
    assert all(v.household.pin_hash is None for v in imported)
    (entry,) = imports_audited(db)
    assert entry.actor_user_id == organizer.id and entry.volunteer_id is None
    assert entry.new_value["new_people"] == 47 and entry.new_value["new_numbers"] == 47
    assert set(entry.new_value) == {
        "rows",
        "new_people",
        "new_numbers",
        "linked_rows",
        "held_rows",
        "file_sha256",
    }  # counts only: no name or number goes into the log
    assert db.session.scalar(select(func.count()).select_from(AuditPersonal)) == 0
    # The same token again: done already.
    assert confirm(client, preview).status_code == 400
    again = upload(client, data).get_data(as_text=True)
    assert count_of(again, "new-people") == 0 and count_of(again, "linked-rows") == 47
    assert confirm(client, again).status_code == 302
    assert people(db) == 47
    assert len(imports_audited(db)) == 2


def test_a_number_of_another_centres_volunteer_is_linked_never_joined(client, make, db, login_as):
    mine = make.unit("万福社区站")
    theirs = make.unit("吕陵镇站")
    her = make.volunteer("孙丽娟", phone="13812340001", registered_unit_id=theirs.id)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=mine.parent))
    rows = [
        HEADER,
        ["王小明", "13812340001", "万福社区站"],
        ["孙丽娟", "138 1234 0001", "万福社区站"],
    ]
    response = upload(client, xlsx(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "孙丽娟" not in html and "13812340001" not in html
    assert count_of(html, "linked-rows") == 2 and count_of(html, "new-people") == 0
    assert count_of(html, "new-numbers") == 0
    # A new name onto her phone would make its holder act for her: held back, unnamed.
    assert 'id="held-rows"' in html and "王小明" not in html
    assert confirm(client, html).status_code == 302
    db.session.refresh(her)
    assert her.registered_unit_id == theirs.id and her.registered_by_id is None
    household = her.household
    db.session.refresh(household)
    assert [m.name for m in household.members] == ["孙丽娟"]
    assert "孙丽娟" not in client.get(PAGE).get_data(as_text=True)
    # On a number all of whose people are the organizer's own, a new name joins.
    make.volunteer("王大明", phone="13812340002", registered_unit_id=mine.id)
    db.session.commit()
    rows = [HEADER, ["王小红", "13812340002", "万福社区站"]]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    assert count_of(html, "new-people") == 1 and 'id="held-rows"' not in html


def test_a_station_organizer_cannot_import_into_another_station(client, make, db, login_as):
    mine = make.unit("万福社区站")
    make.unit("吕陵镇站", parent=mine.parent)  # a sibling station of the same centre
    login_as(make.user(unit=mine))
    rows = [HEADER, ["王强", "13912340001", "吕陵镇站"], ["李娜", "13912340002", "火星站"]]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    refused = re.findall(r'<span class="title">第 (\d+) 行</span><span class="meta">([^<]+)<', html)
    assert refused == [("2", "未知站点。"), ("3", "未知站点。")]
    assert "确认导入" not in html and "该文件没有可以导入的行。" in html
    assert people(db) == 0


def test_another_organizers_token_is_refused(client, make, db, login_as):
    station = make.unit("万福社区站")
    login_as(make.user(unit=station))
    preview = upload(client, xlsx([HEADER, ["王强", "13912340001", "万福社区站"]]))
    html = preview.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, PAGE)})
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=make.unit(level=UnitLevel.DISTRICT)))
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        f"{PAGE}/confirm",
        data={"csrf_token": csrf_token(client, PAGE), "token": token, "consent": "y"},
    )
    assert response.status_code == 400
    assert "本次导入已过期或已完成" in response.get_data(as_text=True)
    assert people(db) == 0


def test_csv_in_gb18030_with_minors(client, make, db, login_as):
    station = make.unit("万福社区站")
    login_as(make.user(unit=station))
    text = "姓名,手机号,所属站点,出生日期,身份证号\r\n李秀英,13812341234,万福社区站,1960-05-01,\r\n"
    text += "李小宝,13812341234,万福社区站,2020-05-01,\r\n"
    html = upload(client, text.encode("gb18030"), "people.csv").get_data(as_text=True)
    assert count_of(html, "new-people") == 2 and count_of(html, "new-numbers") == 1
    assert "已忽略“身份证号”列" in html and "出生日期" in html
    assert confirm(client, html).status_code == 302
    minors = {v.name: v.is_minor for v in db.session.scalars(select(Volunteer))}
    assert minors == {"李秀英": False, "李小宝": True}


def test_garbage_files_get_a_message_never_a_500(client, make, db, login_as):
    login_as(make.user(unit=make.unit("万福社区站")))
    cases = [
        (b"%PDF-1.4 not a spreadsheet", "people.xlsx", "无法读取该文件"),
        (b"PK\x03\x04broken zip", "people.xlsx", "无法读取该文件"),
        (b"", "people.csv", "文件中没有数据行"),
        (b"\xef\xbb\xbf", "people.csv", "文件中没有数据行"),
        (b"just,some,words\n", "people.csv", "第一行必须是列名"),
        (
            ('姓名,手机号,所属站点\n"' + "x" * 200_000 + '",1,2\n').encode(),
            "people.csv",
            "无法读取",
        ),
    ]
    for data, name, message in cases:
        response = upload(client, data, name)
        assert response.status_code == 400, (name, data[:20])
        assert message in response.get_data(as_text=True), (name, data[:20])
    huge = upload(client, xlsx([HEADER, ["李" * 30_000, "13812341234", "万福社区站"]]))
    assert huge.status_code == 200
    assert "姓名过长（最多 50 个字符）。" in huge.get_data(as_text=True)
    assert people(db) == 0


def test_volunteers_and_strangers_cannot_import(client, make):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_same_file_confirmed_twice_at_once_registers_each_person_once(app, db, make):
    from ..factories import Factory
    from ..races import Race

    station = make.unit("万福社区站")
    users = [make.user(unit=station), make.user(unit=station)]
    data = xlsx([HEADER, *([f"志愿者{i}", f"1391234{i:04d}", "万福社区站"] for i in range(30))])
    results = {}

    def importer(user):
        def run(go):
            client = app.test_client()
            token = csrf_token(client, "/login")
            client.post(
                "/login",
                data={"username": user.username, "password": Factory.PASSWORD, "csrf_token": token},
            )
            preview = upload(client, data).get_data(as_text=True)
            go()
            return confirm(client, preview).status_code

        return run

    race = Race(app, db)
    race.actor("first", importer(users[0]))
    race.actor("second", importer(users[1]))
    results = race.run(hold="first")
    assert list(results.values()) == [302, 302]
    assert people(db) == 30
    assert db.session.scalar(select(func.count()).select_from(Household)) == 30
    added = sorted(entry.new_value["new_people"] for entry in imports_audited(db))
    assert added == [0, 30]


def test_the_preview_speaks_the_organizers_language(client, make, login_as):
    login_as(make.user(unit=make.unit("万福社区站")))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    rows = [["Name", "Mobile", "Station", "Gender"], ["李" * 51, "13812341234", "万福社区站", "女"]]
    rows.append(["王强", "13812341235", "Elsewhere", ""])
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    assert "Row 2" in html and "Name is too long (at most 50 characters)." in html
    assert "Row 3" in html and "Unknown station." in html
    assert "checked but not kept" in html and ": Gender." in html


def test_a_district_admin_imports_anywhere_but_not_into_an_ambiguous_name(
    client, make, db, login_as
):
    district = make.unit(level=UnitLevel.DISTRICT)
    east = make.unit("东区", level=UnitLevel.CENTRE, parent=district)
    west = make.unit("西区", level=UnitLevel.CENTRE, parent=district)
    make.unit("新村站", parent=east)
    make.unit("新村站", parent=west)
    lone = make.unit("吕陵镇站", parent=west)
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    rows = [HEADER, ["王强", "13912340001", "吕陵镇站"], ["李娜", "13912340002", "新村站"]]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    assert "第 3 行" in html and "您管理的单位中有多个同名单位。" in html
    assert confirm(client, html).status_code == 302
    (person,) = db.session.scalars(select(Volunteer))
    assert person.name == "王强" and person.registered_unit_id == lone.id


def test_id_numbers_are_checked_where_the_district_collects_them(app, client, make, login_as):
    app.config["COLLECT_ID_NUMBERS"] = True
    login_as(make.user(unit=make.unit("万福社区站")))
    rows = [
        [*HEADER, "身份证号"],
        ["李秀英", "13812341234", "万福社区站", "11010519491231002X"],
        ["王强", "13812341235", "万福社区站", "110105194912310021"],
    ]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    assert "第 3 行" in html and "身份证号无效。" in html and "第 2 行" not in html
    assert "身份证号经校验后为新志愿者保存" in html and "11010519491231002X" not in html


def test_a_collected_id_number_is_kept_masked_and_erased_with_the_account(
    app, client, db, make, login_as
):
    app.config["COLLECT_ID_NUMBERS"] = True
    organizer = login_as(make.user(unit=make.unit("万福社区站")))
    rows = [[*HEADER, "身份证号"], ["李秀英", "13812341234", "万福社区站", "11010519491231002x"]]
    assert confirm(client, upload(client, xlsx(rows)).get_data(as_text=True)).status_code == 302
    person = db.session.scalar(select(Volunteer))
    assert person.id_number == "11010519491231002X"
    page = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
    assert "110105*********02X" in page and "11010519491231002X" not in page
    export = client.get("/volunteers.csv").get_data(as_text=True)
    assert "李秀英" in export and "110105" not in export  # exports leave them out
    app.config["EXPORT_ID_NUMBERS"] = True  # unless the district decides otherwise
    assert "11010519491231002X" in client.get("/volunteers.csv").get_data(as_text=True)
    assert organizer is not None
    privacy.delete_account(person, confirmed=True, pin=None, now=utcnow())
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Volunteer, person.id).id_number is None
