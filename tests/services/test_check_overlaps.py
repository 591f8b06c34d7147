"""``flask check-overlaps``: records written before the overlap rule, found and listed."""

from __future__ import annotations

from datetime import timedelta

from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.database import utcnow


def record(db, volunteer, activity, begin_h: float, end_h: float, **fields) -> CheckIn:
    """A record written directly, as before the rule: nothing checks it."""
    row = CheckIn(
        activity=activity,
        volunteer=volunteer,
        checked_in_at=activity.starts_at + timedelta(hours=begin_h),
        checked_out_at=activity.starts_at + timedelta(hours=end_h),
        minutes=int((end_h - begin_h) * 60),
        status=fields.pop("status", HoursStatus.CONFIRMED),
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_overlapping_records_are_listed_per_district_and_fail_the_check(db, runner, make):
    starts_at = (utcnow() - timedelta(days=30)).replace(microsecond=0)
    station = make.unit("万福一站")
    other_station = make.unit("吕陵一站")  # another district
    clean_station = make.unit("丁里长一站")  # a third, clean district
    morning = make.activity(station, title="测血压", starts_at=starts_at)
    same_hours = make.activity(other_station, title="清扫", starts_at=starts_at)
    later = make.activity(clean_station, title="植树", starts_at=starts_at + timedelta(hours=3))
    junk = make.activity(clean_station, title="测试活动", starts_at=starts_at)
    twice = make.volunteer("李秀英", phone="13812341234")
    record(db, twice, morning, 0, 3)  # 3 h at 万福一站
    overlapping = record(db, twice, same_hours, 1, 3, status=HoursStatus.PENDING)  # 2 h of it
    clean = make.volunteer("王建国", phone="13900005678")
    record(db, clean, morning, 0, 3)
    record(db, clean, later, 0, 2)  # begins as the first ends: no overlap
    record(db, clean, junk, 0, 3, voided_at=utcnow(), void_reason="测试")  # counts nowhere
    db.session.commit()

    result = runner.invoke(args=["check-overlaps"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    pair = [line for line in lines if line.startswith("  volunteer")]
    # Both districts of the pair list it (one record in each); the clean one does not.
    assert len(pair) == 2 and pair[0] == pair[1]
    assert f"volunteer {twice.id} 138****1234:" in pair[0]
    assert "“测血压”" in pair[0] and "“清扫”" in pair[0] and "share 120 min" in pair[0]
    assert f"record {overlapping.id}" in pair[0]
    assert "13812341234" not in result.output
    clean_district = clean_station.parent.parent
    assert (
        f"{clean_district.name} (unit {clean_district.id}): 0 overlapping pair(s) of records"
        in lines
    )

    # One unit only: the clean station passes, the station of the pair does not.
    assert runner.invoke(args=["check-overlaps", "--unit", str(clean_station.id)]).exit_code == 0
    assert runner.invoke(args=["check-overlaps", "--unit", str(station.id)]).exit_code == 1
    unknown = runner.invoke(args=["check-overlaps", "--unit", "999999"])
    assert unknown.exit_code == 2 and "no unit with id 999999" in unknown.output

    # Once the organizer voids one record of the pair, the check passes.
    overlapping.voided_at = utcnow()
    db.session.commit()
    result = runner.invoke(args=["check-overlaps"])
    assert result.exit_code == 0, result.output
    assert "volunteer" not in result.output
