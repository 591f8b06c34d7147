"""Pure report helpers: periods, buckets, roll-ups, chart geometry, cell escaping."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from volunteer_app.reports.charts import column_chart, hbar_chart, wrap_label
from volunteer_app.reports.exports import content_disposition, escape_cell
from volunteer_app.reports.hours import Sums, UnitRow, bucket_keys, rank_units, roll_up, to_hours
from volunteer_app.reports.periods import ReportError, day_period, month_period, parse_period

TODAY = date(2025, 6, 15)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def period(**args):
    return parse_period(args, TODAY)


def test_default_is_this_month_and_each_kind_parses():
    assert period() == month_period(2025, 6)
    assert period(period="day").first == TODAY
    assert period(period="day", date="2025-03-05").last == date(2025, 3, 5)
    assert period(period="month", month="2024-02").last == date(2024, 2, 29)
    assert (period(period="year", year="2024").first, period(period="year").last) == (
        date(2024, 1, 1),
        date(2025, 12, 31),
    )
    leifeng = period(period="leifeng", year="2021")
    assert (leifeng.first, leifeng.last, leifeng.kind) == (date(2021, 3, 5),) * 2 + ("leifeng",)
    r = period(period="range", start="2025-03-01", end="2025-03-10")
    assert (r.days, r.bucket) == (10, "day")


@pytest.mark.parametrize(
    "args,code",
    [
        ({"period": "week"}, "period_invalid"),
        ({"period": "day", "date": "2025-02-29"}, "date_invalid"),
        ({"period": "day", "date": "1999-12-31"}, "date_invalid"),
        ({"period": "month", "month": "2025-3-1"}, "month_invalid"),
        ({"period": "month", "month": "2025-00"}, "month_invalid"),
        ({"period": "month", "month": "abcd-01"}, "month_invalid"),
        ({"period": "year", "year": "20x5"}, "year_invalid"),
        ({"period": "leifeng", "year": "2101"}, "year_invalid"),
        ({"period": "range", "start": "2025-03-02", "end": "2025-03-01"}, "range_reversed"),
        ({"period": "range", "start": "2020-01-01", "end": "2025-12-31"}, "range_too_long"),
    ],
)
def test_bad_periods_raise_stable_codes(args, code):
    with pytest.raises(ReportError) as error:
        parse_period(args, TODAY)
    assert error.value.code == code and error.value.status == 400


def test_bounds_are_local_midnights_in_utc():
    start, end = day_period(date(2025, 3, 5)).bounds(SHANGHAI)
    assert start == datetime(2025, 3, 4, 16, tzinfo=UTC)
    assert end == datetime(2025, 3, 5, 16, tzinfo=UTC)


def test_shifted_and_args_round_trip():
    march = month_period(2025, 3)
    assert march.shifted(-3) == month_period(2024, 12)
    assert march.shifted(10) == month_period(2026, 1)
    assert parse_period(march.args(), TODAY) == march
    r = period(period="range", start="2025-01-01", end="2025-03-31")
    assert r.shifted(1) is None and parse_period(r.args(), TODAY) == r
    leifeng = period(period="leifeng", year="2025")
    assert leifeng.shifted(-1).first == date(2024, 3, 5)
    assert leifeng.filename_part() == "2025-03-05"


def test_bucket_keys():
    assert bucket_keys(day_period(date(2025, 3, 5)))[:2] == ["00", "01"]
    assert len(bucket_keys(month_period(2025, 2))) == 28
    keys = bucket_keys(period(period="range", start="2024-11-20", end="2025-02-03"))
    assert keys == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_to_hours():
    assert (to_hours(150), to_hours(0), to_hours(None), to_hours(20)) == (2.5, 0, 0, 0.3)


def test_roll_up_folds_stations_into_centres_and_keeps_own_line():
    units = {
        1: ("区", "district", None),
        2: ("所甲", "centre", 1),
        3: ("所乙", "centre", 1),
        4: ("站一", "station", 2),
        5: ("站二", "station", 2),
    }
    per_unit = {
        1: (1, Sums(checkins=2, confirmed_minutes=60)),
        4: (2, Sums(checkins=5, confirmed_minutes=300)),
        5: (1, Sums(checkins=1, pending_minutes=30)),
    }
    lines = roll_up(1, units, per_unit)
    assert [(x.name, x.activities, x.sums.checkins, x.sums.minutes) for x in lines] == [
        ("区", 1, 2, 60),
        ("所乙", 0, 0, 0),  # shown even without activities
        ("所甲", 3, 6, 330),
    ]
    assert roll_up(4, {4: ("站一", "station", 2)}, {4: per_unit[4]}) == []


def test_rank_units_orders_by_confirmed_hours_then_checkins():
    rows = [
        UnitRow(1, "乙", "station", sums=Sums(checkins=9, confirmed_minutes=60)),
        UnitRow(2, "甲", "station", sums=Sums(checkins=1, confirmed_minutes=120)),
        UnitRow(3, "丙", "station", sums=Sums(checkins=10, confirmed_minutes=60)),
    ]
    assert [r.unit_id for r in rank_units(rows)] == [2, 3, 1]


def test_hbar_chart_scales_to_the_largest_value():
    chart = hbar_chart(
        [("健康服务", 10, "10"), ("一个非常非常长的站点名称", 5, "5"), ("空", 0, "0")]
    )
    assert [b.width for b in chart.bars] == [244, 122, 0]
    assert [b.lines for b in chart.bars] == [("健康服务",), ("一个非常非常长的站点名称",), ("空",)]
    step = chart.line_height + 2 + chart.bar_height + 10
    assert chart.bars[2].y == 2 * step and chart.height == 3 * step - 10
    assert hbar_chart([]).bars == []


def test_hbar_chart_wraps_long_unit_names_and_never_cuts_them():
    name = "吕陵镇青年志愿服务队新时代文明实践站（东片区）第二网格党群服务驿站"
    chart = hbar_chart([(name, 3, "3"), ("健康服务", 1, "1")])
    first, second = chart.bars
    assert "".join(first.lines) == name and "…" not in "".join(first.lines)
    assert len(first.lines) == 2
    # the second label starts below the first bar, whose label took two lines
    assert second.y == first.bar_y + chart.bar_height + 10
    assert all(len(line) * chart.font_size <= chart.width for line in first.lines)


def test_wrap_label_breaks_chinese_lines_by_their_punctuation():
    name = "吕陵镇青年志愿服务队新时代文明实践站（东片区）第二网格党群服务驿站"
    lines = wrap_label(name, 19)
    assert "".join(lines) == name
    assert not any(line.endswith("（") for line in lines)
    assert lines[1].startswith("（东片区")
    assert wrap_label("一二三四五六七八九十，好", 10) == ("一二三四五六七八九十，", "好")


def test_wrap_label_keeps_latin_words_whole():
    lines = wrap_label("Lüling Town Youth Volunteer Service Team Station", 12)
    assert " ".join(lines) == "Lüling Town Youth Volunteer Service Team Station"
    assert all(len(line) * 0.6 <= 12 for line in lines)
    assert wrap_label("", 10) == ("",)


def test_column_chart_stacks_pending_on_confirmed_and_thins_labels():
    chart = column_chart([(str(d), 2, 1) for d in range(1, 32)] + [("x", 6, 0)])
    first, last = chart.columns[0], chart.columns[-1]
    assert first.confirmed_height == pytest.approx(140 / 3, abs=0.01)
    assert first.pending_y + first.pending_height == pytest.approx(first.confirmed_y, abs=0.01)
    assert last.confirmed_y == 0  # the tallest column reaches the top
    assert sum(1 for c in chart.columns if c.label) <= 12
    assert column_chart([("a", 0, 0)]).columns[0].confirmed_height == 0


@pytest.mark.parametrize(
    "value,expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\ncmd", "'\ncmd"),
        ('＝HYPERLINK("http://x")', '\'＝HYPERLINK("http://x")'),
        ("＋86 138", "'＋86 138"),
        ("－2＋3", "'－2＋3"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("李秀英", "李秀英"),
        ("李＝秀英", "李＝秀英"),
        ("a=b", "a=b"),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition("志愿服务时长_万福社区_2025-03.csv")
    assert header.startswith('attachment; filename="2025-03.csv"')
    assert "filename*=UTF-8''%E5%BF%97" in header


def test_the_latest_lei_feng_day_reached():
    from volunteer_app.reports.periods import latest_leifeng_year

    assert latest_leifeng_year(date(2027, 3, 4)) == 2026
    assert latest_leifeng_year(date(2027, 3, 5)) == 2027
    assert latest_leifeng_year(date(2027, 1, 1)) == 2026
    assert parse_period({"period": "leifeng"}, date(2027, 2, 1)).first == date(2026, 3, 5)
