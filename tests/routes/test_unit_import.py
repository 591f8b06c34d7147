"""Importing the unit tree from a spreadsheet: template, preview, confirm, repeat, scope."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.database import utcnow
from volunteer_app.stations.models import Unit, UnitLevel

from ..conftest import csrf_token

HEADER = ["所", "站", "地址", "联系人", "联系电话"]
PAGE = "/units/import"


def xlsx(rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def district_rows() -> list[list]:
    """Two centres of 100 stations each, with their details."""
    rows = [HEADER]
    for centre in ("万福街道实践所", "吕陵镇实践所"):
        for i in range(100):
            phone = f"1391234{i:04d}" if i % 2 else f"0530-555{i:04d}"
            rows.append([centre, f"{centre[:2]}第{i + 1}站", f"{centre[:2]}路{i}号", "王芳", phone])
    return rows


def upload(client, data: bytes, filename: str = "units.xlsx"):
    token = csrf_token(client, PAGE)
    return client.post(
        PAGE,
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def confirm(client, preview_html: str):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview_html).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview_html).group(1)
    return client.post(f"{PAGE}/confirm", data={"csrf_token": csrf, "token": token})


def count_of(html: str, element_id: str) -> int:
    return int(re.search(rf'id="{element_id}">(\d+)<', html).group(1))


def refused(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="title">第 (\d+) 行</span><span class="meta">([^<]+)<', html)


def units(db, level: UnitLevel) -> int:
    return db.session.scalar(select(func.count()).select_from(Unit).where(Unit.level == level))


def audited(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture(autouse=True)
def pending_dir(app, tmp_path):
    """Uploads waiting for confirmation go to the test's own directory."""
    app.config["IMPORT_PENDING_DIR"] = str(tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def admin(make, login_as):
    """A district admin, signed in, of a district with nothing under it."""
    return login_as(make.user(role=Role.DISTRICT_ADMIN))


def test_the_template_has_the_chinese_headers_and_units_links_the_import(client, admin):
    response = client.get(f"{PAGE}/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert 'href="/units/import"' in client.get("/units").get_data(as_text=True)
    assert "下载模板" in client.get(PAGE).get_data(as_text=True)


def test_a_station_organizer_may_not_import_nor_sees_the_link(client, make, login_as):
    login_as(make.user())
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/template.xlsx").status_code == 403
    assert 'href="/units/import"' not in client.get("/units").get_data(as_text=True)


def test_preview_lists_the_bad_rows_by_number_and_writes_nothing(client, db, make, admin):
    make.unit("旧所", level=UnitLevel.CENTRE, parent=admin.unit).archived_at = utcnow()
    db.session.commit()
    rows = [
        HEADER,
        ["万福街道实践所", "万福第1站", "万福路1号", "王芳", "13912340001"],
        ["万福街道实践所", "", "万福路2号", "王芳", "13912340002"],  # row 3: no station
        ["万福街道实践所", "万福第3站", "", "王芳", "1391234"],  # row 4: bad phone
        ["万福街道实践所", "万福第1站", "", "", ""],  # row 5: same as row 2
        ["旧所", "旧所第1站", "", "", ""],  # row 6: an archived centre's name
        ["吕陵镇实践所", "吕" * 101, "", "", ""],  # row 7: too long
        ["吕陵镇实践所", "吕陵第1站", "", "", "0530-5551234"],
    ]
    response = upload(client, xlsx(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert refused(html) == [
        ("3", "缺少站名。"),
        ("4", "联系电话既不是 11 位手机号码，也不是带区号的固定电话（例如 0530-5551234）。"),
        ("5", "与第 2 行的所和站相同。"),
        ("6", "已归档的单位使用了这个名称，请换一个名称。"),
        ("7", "站过长（最多 100 个字符）。"),
    ]
    assert count_of(html, "new-centres") == 2 and count_of(html, "new-stations") == 2
    assert count_of(html, "refused-rows") == 5
    assert "确认导入" in html
    assert units(db, UnitLevel.STATION) == 0 and audited(db, "units.import") == []


def test_confirm_creates_two_centres_and_200_stations_and_again_adds_nothing(client, db, admin):
    data = xlsx(district_rows())
    preview = upload(client, data).get_data(as_text=True)
    assert count_of(preview, "new-centres") == 2 and count_of(preview, "new-stations") == 200
    response = confirm(client, preview)
    assert response.status_code == 302
    page = client.get("/units").get_data(as_text=True)
    assert "新增 2 个所、200 个站" in page and "万福第100站" in page
    assert units(db, UnitLevel.CENTRE) == 2 and units(db, UnitLevel.STATION) == 200
    station = db.session.scalar(select(Unit).where(Unit.name == "万福第2站"))
    assert station.parent.name == "万福街道实践所" and station.parent.parent_id == admin.unit_id
    assert (station.address, station.contact_name, station.contact_phone) == (
        "万福路1号",
        "王芳",
        "13912340001",
    )
    (entry,) = audited(db, "units.import")
    assert entry.actor_user_id == admin.id
    assert entry.new_value["new_centres"] == 2 and entry.new_value["new_stations"] == 200
    assert len(audited(db, "unit.create")) == 202

    again = upload(client, data).get_data(as_text=True)
    assert count_of(again, "new-centres") == 0 and count_of(again, "new-stations") == 0
    assert count_of(again, "existing-stations") == 200
    assert confirm(client, again).status_code == 302
    assert units(db, UnitLevel.CENTRE) == 2 and units(db, UnitLevel.STATION) == 200
    assert len(audited(db, "units.import")) == 2 and len(audited(db, "unit.create")) == 202


def test_a_confirmed_upload_cannot_be_confirmed_twice(client, db, admin):
    preview = upload(client, xlsx(district_rows()[:3])).get_data(as_text=True)
    assert confirm(client, preview).status_code == 302
    second = confirm(client, preview)
    assert second.status_code == 400
    assert "请重新上传文件" in second.get_data(as_text=True)
    assert units(db, UnitLevel.STATION) == 2


def test_a_centre_organizer_imports_into_their_centre_only(client, db, make, login_as):
    district = make.unit("区", level=UnitLevel.DISTRICT)
    mine = make.unit("万福街道实践所", level=UnitLevel.CENTRE, parent=district)
    make.unit("吕陵镇实践所", level=UnitLevel.CENTRE, parent=district)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=mine))
    rows = [
        HEADER,
        ["万福街道实践所", "万福第1站", "", "", ""],
        ["", "万福第2站", "", "", ""],
        ["吕陵镇实践所", "吕陵第1站", "", "", ""],  # row 4: another centre
        ["新所", "新所第1站", "", "", ""],  # row 5: a centre of its own making
    ]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    assert refused(html) == [
        ("4", "只能导入到您自己的所。"),
        ("5", "只能导入到您自己的所。"),
    ]
    assert confirm(client, html).status_code == 302
    assert sorted(u.name for u in mine.children) == ["万福第1站", "万福第2站"]
    assert units(db, UnitLevel.CENTRE) == 2 and units(db, UnitLevel.STATION) == 2


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"", "a.xlsx"),
        (b"PK\x03\x04 not really a zip", "a.xlsx"),
        (b"%PDF-1.4 pretending", "a.xlsx"),
        (b"\x00\x01\x02 binary", "a.csv"),
        ("名称,电话\n甲,1\n".encode(), "a.csv"),  # no 站 column
        (('所,站\n"' + "x" * 200_000 + '",1\n').encode(), "a.csv"),  # over the csv limit
    ],
)
def test_garbage_files_are_refused_with_a_4xx(client, db, admin, data, name):
    response = upload(client, data, name)
    assert 400 <= response.status_code < 500
    assert "alert" in response.get_data(as_text=True) or "error" in response.get_data(as_text=True)
    assert units(db, UnitLevel.STATION) == 0


def test_a_gb18030_csv_is_read(client, db, admin):
    data = "所,站,联系电话\n万福街道实践所,万福第1站,0530-5551234\n".encode("gb18030")
    html = upload(client, data, "units.csv").get_data(as_text=True)
    assert count_of(html, "new-stations") == 1 and count_of(html, "refused-rows") == 0


def test_a_forged_token_is_refused(client, admin):
    csrf = csrf_token(client, PAGE)
    response = client.post(f"{PAGE}/confirm", data={"csrf_token": csrf, "token": "x" * 32})
    assert response.status_code == 400


def test_a_tree_changed_since_the_preview_is_refused_whole(client, db, make, admin):
    preview = upload(client, xlsx(district_rows()[:5])).get_data(as_text=True)
    make.unit("万福街道实践所", level=UnitLevel.CENTRE, parent=admin.unit).archived_at = utcnow()
    db.session.commit()
    response = confirm(client, preview)
    assert response.status_code == 400
    assert "预览之后所站已有变动" in response.get_data(as_text=True)
    assert units(db, UnitLevel.STATION) == 0 and audited(db, "units.import") == []
