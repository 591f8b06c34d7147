"""The import's rules without a database: reading files, checking rows, ID numbers."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from volunteer_app.volunteers.imports import (
    ImportFileError,
    check_rows,
    mask_id_number,
    read_table,
    validate_id_number,
)

TODAY = date(2026, 12, 2)
UNITS = {"万福社区站": [7], "吕陵镇站": [8], "同名站": [9, 10]}
HEADER = ["姓名", "手机号", "所属站点"]


def table(*rows, header=HEADER):
    return list(enumerate([header, *rows], start=1))


def codes(checked):
    return {number: [p.code for p in problems] for number, problems in checked.refused}


def xlsx(rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_good_rows_are_normalised():
    checked = check_rows(
        table(["李秀英", "138-1234 1234", "万福社区站"], [" 王  强 ", 13912345678, "吕陵镇站"]),
        units=UNITS,
        today=TODAY,
    )
    assert checked.refused == []
    assert [(r.number, r.name, r.phone, r.unit_id) for r in checked.rows] == [
        (2, "李秀英", "13812341234", 7),
        (3, "王 强", "13912345678", 8),
    ]


def test_bad_rows_are_refused_with_their_row_numbers():
    checked = check_rows(
        table(
            ["李秀英", "1381234123", "万福社区站"],
            ["", "13812341235", "万福社区站"],
            [],
            ["张伟", "13812341236", "别的站"],
            ["赵敏", "13812341237", "同名站"],
            ["刘洋", "12812341238", ""],
        ),
        units=UNITS,
        today=TODAY,
    )
    assert checked.rows == []
    assert codes(checked) == {
        2: ["phone_invalid"],
        3: ["name_missing"],
        5: ["station_unknown"],
        6: ["station_ambiguous"],
        7: ["phone_invalid", "station_missing"],
    }


def test_a_duplicate_inside_the_file_names_the_first_row():
    checked = check_rows(
        table(["李秀英", "13812341234", "万福社区站"], ["李秀英", "138 1234 1234", "吕陵镇站"]),
        units=UNITS,
        today=TODAY,
    )
    assert len(checked.rows) == 1
    ((number, problems),) = checked.refused
    assert number == 3 and problems[0].code == "duplicate" and problems[0].row == 2


def test_too_long_fields_and_a_huge_cell():
    checked = check_rows(
        table(["李" * 51, "13812341234", "万福社区站"], ["王强", "1" * 100_000, "万福社区站"]),
        units=UNITS,
        today=TODAY,
    )
    assert codes(checked) == {2: ["too_long"], 3: ["too_long"]}
    assert checked.refused[0][1][0].column == "name"


def test_minors_by_date_of_birth_and_bad_dates():
    header = [*HEADER, "出生日期"]
    checked = check_rows(
        table(
            ["小明", "13812341234", "万福社区站", "2015-03-05"],
            ["老李", "13812341235", "万福社区站", datetime(1950, 1, 1)],
            ["小红", "13812341236", "万福社区站", "2012年12月2日"],
            ["小刚", "13812341237", "万福社区站", "去年"],
            ["未来", "13812341238", "万福社区站", "2030-01-01"],
            header=header,
        ),
        units=UNITS,
        today=TODAY,
    )
    assert [(r.name, r.is_minor) for r in checked.rows] == [
        ("小明", True),
        ("老李", False),
        ("小红", False),  # 14 today
    ]
    assert codes(checked) == {5: ["birth_date_invalid"], 6: ["birth_date_invalid"]}
    assert "not_kept" in checked.notes and checked.not_kept == ["birth_date"]


def test_english_headers_in_any_order_and_missing_columns():
    checked = check_rows(
        table(["万福社区站", "13812341234", "Li Xiuying"], header=["Station", "Mobile", "Name"]),
        units=UNITS,
        today=TODAY,
    )
    assert checked.rows[0].name == "Li Xiuying"
    with pytest.raises(ImportFileError) as error:
        check_rows(table(["李秀英"], header=["姓名", "电话"]), units=UNITS, today=TODAY)
    assert error.value.code == "missing_columns"
    with pytest.raises(ImportFileError) as error:
        check_rows(table(header=[]), units=UNITS, today=TODAY)
    assert error.value.code == "empty"


def test_too_many_rows():
    rows = [[f"人{i}", f"138{i:08d}", "万福社区站"] for i in range(11)]
    with pytest.raises(ImportFileError) as error:
        check_rows(table(*rows), units=UNITS, today=TODAY, max_rows=10)
    assert error.value.code == "too_many_rows"


def test_the_id_column_is_ignored_unless_the_district_collects_id_numbers():
    header = [*HEADER, "身份证号"]
    row = ["李秀英", "13812341234", "万福社区站", "110105194912310021"]
    off = check_rows(table(row, header=header), units=UNITS, today=TODAY)
    assert off.notes == ["id_ignored"] and len(off.rows) == 1
    on = check_rows(table(row, header=header), units=UNITS, today=TODAY, collect_id_numbers=True)
    assert on.notes == ["id_kept"] and codes(on) == {2: ["id_number_invalid"]}


@pytest.mark.parametrize(
    "value", ["11010519491231002X", "11010519491231002x", "440524188001010014"]
)
def test_valid_id_numbers(value):
    assert validate_id_number(value) == value.upper()


@pytest.mark.parametrize(
    "value", ["110105194912310021", "11010519491231002", "1101051949123100XX", "", "abc"]
)
def test_invalid_id_numbers(value):
    with pytest.raises(ValueError):
        validate_id_number(value)


def test_id_numbers_are_masked_but_the_first_six_and_last_three():
    assert mask_id_number("11010519491231002X") == "110105*********02X"


def test_csv_in_utf8_with_bom_and_in_gb18030():
    text = "姓名,手机号,所属站点\r\n李秀英,13812341234,万福社区站\r\n"
    for data in (
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("gb18030"),
    ):
        rows = list(read_table(data, "people.csv"))
        assert rows[1] == (2, ["李秀英", "13812341234", "万福社区站"])


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "a.xlsx", "empty"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "unreadable"),
        (b"\x00\x01\x02 binary", "a.csv", "unreadable"),
        (b"%PDF-1.4 pretending", "a.xlsx", "unreadable"),
        ("姓名,手机号".encode("utf-16"), "a.csv", "unreadable"),
    ],
)
def test_garbage_files_are_refused_with_a_code(data, name, code):
    with pytest.raises(ImportFileError) as error:
        list(read_table(data, name))
    assert error.value.code == code


def test_a_csv_field_over_the_csv_limit_is_unreadable():
    data = ("姓名,手机号,所属站点\n" + '"' + "x" * 200_000 + '",1,2\n').encode()
    with pytest.raises(ImportFileError) as error:
        list(read_table(data, "a.csv"))
    assert error.value.code == "unreadable"


def test_xlsx_rows_are_streamed_with_their_numbers():
    data = xlsx(
        [HEADER, ["李秀英", 13812341234, "万福社区站"], [], ["王强", "13912345678", "吕陵镇站"]]
    )
    checked = check_rows(read_table(data, "x.xlsx"), units=UNITS, today=TODAY)
    assert [(r.number, r.phone) for r in checked.rows] == [(2, "13812341234"), (4, "13912345678")]


def test_a_pending_upload_is_only_its_organizers_and_only_for_an_hour(tmp_path):
    from datetime import UTC, timedelta
    from types import SimpleNamespace

    from volunteer_app.volunteers.imports import Checked, PendingStore, Problem, Row

    store = PendingStore(tmp_path / "imports")
    me, other = SimpleNamespace(id=1), SimpleNamespace(id=2)
    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    checked = Checked(
        rows=[Row(2, "李秀英", "13812341234", 7, True)],
        refused=[(3, [Problem("duplicate", row=2)])],
        notes=["id_ignored"],
    )
    pending = store.save(me, checked, file_sha256="ab" * 32, now=now)
    assert (tmp_path / "imports" / pending.token).stat().st_mode & 0o777 == 0o600
    loaded = store.load(pending.token, me, now=now + timedelta(minutes=59))
    assert loaded.checked == checked and loaded.file_sha256 == "ab" * 32
    for token, user, when in [
        (pending.token, other, now),
        (pending.token, me, now + timedelta(minutes=61)),
        ("../../etc/passwd", me, now),
        ("x" * 32, me, now),
    ]:
        with pytest.raises(ImportFileError) as error:
            store.load(token, user, now=when)
        assert error.value.code == "expired"
    assert store.sweep(datetime.now(UTC) + timedelta(hours=2)) == 1
    with pytest.raises(ImportFileError):
        store.load(pending.token, me, now=now)
