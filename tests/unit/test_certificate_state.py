"""A certificate follows its records: compute_certificate_state, pure."""

from datetime import UTC, datetime

from volunteer_app.volunteers.certificates import compute_certificate_state, line_key

CHANGED = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LINES = [
    {"record_id": 1, "date": "2026-11-02", "activity": "测血压", "unit": "万福站", "minutes": 180},
    {"record_id": 2, "date": "2026-11-09", "activity": "植树", "unit": "吕陵站", "minutes": 60},
]


def state(current, lines=LINES, **kw):
    kw.setdefault("withdrawn", False)
    kw.setdefault("changed_at", CHANGED)
    return compute_certificate_state(lines, current, **kw)


def test_unchanged_records_are_valid():
    result = state({("id", 1): 180, ("id", 2): 60})
    assert result.code == "valid" and result.current_minutes == 240 and result.changed_at is None


def test_a_record_cut_to_zero_hours_is_a_change_with_its_date():
    # the report: a confirmed record cut to 0 h, the old certificate still said 真实有效
    result = state({("id", 1): 180})
    assert result.code == "changed" and result.current_minutes == 180
    assert result.changed_at == CHANGED


def test_adjusted_hours_are_a_change():
    assert state({("id", 1): 150, ("id", 2): 60}).code == "changed"
    assert state({("id", 1): 210, ("id", 2): 60}).code == "changed"


def test_a_record_no_longer_confirmed_or_voided_is_a_change():
    assert state({}).code == "changed"
    assert state({}).current_minutes == 0


def test_records_confirmed_later_change_nothing_certified():
    assert state({("id", 1): 180, ("id", 2): 60, ("id", 3): 120}).code == "valid"


def test_withdrawn_wins():
    assert state({("id", 1): 180, ("id", 2): 60}, withdrawn=True).code == "withdrawn"


def test_lines_without_ids_are_matched_by_date_activity_and_unit():
    legacy = [{k: v for k, v in line.items() if k != "record_id"} for line in LINES]
    keys = [line_key(line) for line in legacy]
    assert keys[0] == ("line", "2026-11-02", "测血压", "万福站")
    assert state({keys[0]: 180, keys[1]: 60}, lines=legacy).code == "valid"
    assert state({keys[0]: 180, keys[1]: 30}, lines=legacy).code == "changed"


def test_two_legacy_lines_of_one_key_are_summed():
    same = [{"date": "d", "activity": "a", "unit": "u", "minutes": 60}] * 2
    assert state({("line", "d", "a", "u"): 120}, lines=same).code == "valid"
    assert state({("line", "d", "a", "u"): 60}, lines=same).code == "changed"
