"""The paper sign-in sheet's rules: reading lines, hours and times, matching (pure)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from volunteer_app.checkins.sheet_rules import (
    Candidate,
    Line,
    LineError,
    SheetError,
    lines_from_table,
    parse_minutes,
    parse_phone,
    plan,
    validate_reason,
)
from volunteer_app.volunteers.rules import VolunteerError

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 08:30–11:30 Beijing time
STARTS = datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
ENDS = datetime(2026, 3, 5, 3, 30, tzinfo=UTC)


def minutes(text: str) -> int:
    return parse_minutes(text, starts_at=STARTS, ends_at=ENDS, zone=SHANGHAI)


def test_hours_as_numbers_times_or_empty():
    assert minutes("") == 180  # the whole activity
    assert minutes("2") == 120 and minutes("2.5") == 150 and minutes("２.５小时") == 150
    assert minutes("1h") == 60
    assert minutes("08:30-11:00") == 150
    assert minutes("8:00～12:00") == 180  # clipped to the activity
    assert minutes("09:10-10:00") == 30  # rounded down like a scan
    for bad, code in (
        ("2.25", "hours_invalid"),
        ("0", "hours_invalid"),
        ("abc", "hours_invalid"),
        ("25:00-26:00", "hours_invalid"),
        ("3.5", "hours_exceed_duration"),
        ("12:00-13:00", "hours_zero"),
    ):
        with pytest.raises(LineError) as refused:
            minutes(bad)
        assert refused.value.code == code, bad


def test_phone_is_full_last_four_or_nothing():
    assert parse_phone("138 1234 5678") == ("full", "13812345678")
    assert parse_phone("+86 13812345678") == ("full", "13812345678")
    assert parse_phone("５６７８") == ("last4", "5678")
    assert parse_phone(" ") == ("none", "")
    for partial in ("12345", "8123456", "1381234567"):  # no tail longer than 4 digits
        with pytest.raises(VolunteerError):
            parse_phone(partial)


def test_reason_is_required_once():
    assert validate_reason("  纸质签到表  补录 ") == "纸质签到表 补录"
    with pytest.raises(SheetError) as refused:
        validate_reason(" ")
    assert refused.value.code == "reason_required"
    with pytest.raises(SheetError):
        validate_reason("x" * 501)


MINE = [
    Candidate(1, "李秀英", "13812341234"),
    Candidate(2, "王芳", "13900005678"),
    Candidate(3, "王芳", "13700005678"),  # same name, same last 4
    Candidate(4, "赵振东", "13600001111", has_record=True),
]


def planned(*lines, registered=frozenset()):
    return plan(
        [Line(n, *cells) for n, cells in enumerate(lines, start=1)],
        candidates=MINE,
        registered=set(registered),
        starts_at=STARTS,
        ends_at=ENDS,
        zone=SHANGHAI,
    )


def test_matching_among_the_organizers_own():
    rows = planned(
        ("李秀英", "1234", "2"),
        ("王芳", "5678", ""),
        ("王芳", "13700005678", "1.5"),
        ("刘洋", "13500002222", "3"),
        ("陈静", "13500003333", "3"),
        ("李秀英", "", ""),
        ("赵振东", "1111", ""),
        ("孙丽", "9999", ""),
        ("孙丽", "", "1"),
        ("", "13500004444", "1"),
        ("周强", "12345", "1"),
        ("刘洋", "13500002222", "3"),
        registered={"13500003333"},
    )
    got = [(r.number, r.kind, r.volunteer_id, r.code, r.minutes) for r in rows]
    assert got == [
        (1, "matched", 1, "", 120),
        (2, "problem", None, "ambiguous", 0),
        (3, "matched", 3, "", 90),
        (4, "new", None, "", 180),
        # registered to someone not theirs: the desk's neutral answer, nobody named
        (5, "problem", None, "number_taken", 0),
        (6, "problem", None, "repeated", 0),  # 李秀英 is on line 1 already
        (7, "problem", None, "already_recorded", 0),
        (8, "problem", None, "not_found", 0),
        (9, "problem", None, "phone_needed", 0),
        (10, "problem", None, "name_required", 0),
        (11, "problem", None, "phone_invalid", 0),
        (12, "problem", None, "repeated", 0),  # the same walk-in twice
    ]
    assert rows[3].phone == "13500002222" and rows[0].ok and not rows[1].ok


def test_a_full_number_of_theirs_under_another_name_is_not_theirs_to_extend():
    (row,) = planned(("李小明", "13812341234", "1"), registered={"13812341234"})
    assert row.code == "number_taken"


def test_sheet_limits():
    with pytest.raises(SheetError) as refused:
        planned()
    assert refused.value.code == "no_lines"
    with pytest.raises(SheetError) as refused:
        planned(*[("张三", "", "")] * 301)
    assert refused.value.code == "too_many_lines"


def test_lines_from_an_uploaded_table():
    rows = [
        (1, ["姓名", "手机号或后4位", "时长（小时）或起止时间"]),
        (2, ["李秀英", 1234, 2.0]),
        (3, [None, None, None]),
        (4, ["王芳", "13900005678", "08:30-10:00"]),
    ]
    assert lines_from_table(rows) == [
        Line(2, "李秀英", "1234", "2"),
        Line(4, "王芳", "13900005678", "08:30-10:00"),
    ]
    assert lines_from_table([(1, ["名字", "电话"]), (2, ["李秀英", "1234"])]) == [
        Line(2, "李秀英", "1234", "")
    ]
    with pytest.raises(SheetError) as refused:
        lines_from_table([(1, ["a", "b"]), (2, ["李秀英", "1234"])])
    assert refused.value.code == "headers"
    with pytest.raises(SheetError):
        lines_from_table([])
