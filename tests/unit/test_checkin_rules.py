"""Check-in rules: windows, refusals by code, the hours rule."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins import rules
from volunteer_app.checkins.rules import Action, CheckInError

START = datetime(2021, 3, 5, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai
END = START + timedelta(hours=3)
WINDOW = rules.compute_window(
    START, END, opens_before=timedelta(minutes=60), checkout_grace=timedelta(minutes=120)
)


def at(minutes: int) -> datetime:
    """A moment ``minutes`` after the start."""
    return START + timedelta(minutes=minutes)


def code_of(call) -> str:
    with pytest.raises(CheckInError) as info:
        call()
    return info.value.code


@pytest.mark.parametrize(
    ("check_in", "check_out", "minutes"),
    [
        (0, 180, 180),  # the whole activity
        (-50, 180, 180),  # early arrival earns nothing extra
        (0, 300, 180),  # late departure is clipped to the end
        (10, 39, 0),  # 29 minutes: below half an hour
        (10, 40, 30),  # exactly 30 minutes
        (10, 69, 30),  # 59 minutes round down
        (10, 70, 60),
        (-30, -5, 0),  # left before it started
        (200, 230, 0),  # came after the end
        (0, 0, 0),
    ],
)
def test_compute_minutes_clips_and_rounds_down(check_in, check_out, minutes):
    assert rules.compute_minutes(at(check_in), at(check_out), START, END) == minutes


def test_window_margins():
    assert WINDOW.opens_at == START - timedelta(minutes=60)
    assert WINDOW.closes_at == END
    assert WINDOW.checkout_until == END + timedelta(minutes=120)


def test_check_in_inside_window_passes():
    rules.validate_check_in(status="published", window=WINDOW, now=at(-60), checked_in_at=None)
    rules.validate_check_in(status="published", window=WINDOW, now=at(180), checked_in_at=None)


@pytest.mark.parametrize(
    ("status", "now", "existing", "code"),
    [
        ("published", -61, None, "not_open_yet"),
        ("published", 181, None, "closed"),
        ("draft", 0, None, "draft"),
        ("cancelled", 0, None, "cancelled"),
        ("published", 0, 0, "already_checked_in"),
        ("finished", 0, 0, "already_checked_in"),
    ],
)
def test_check_in_refusals(status, now, existing, code):
    existing_at = at(existing) if existing is not None else None
    assert (
        code_of(
            lambda: rules.validate_check_in(
                status=status, window=WINDOW, now=at(now), checked_in_at=existing_at
            )
        )
        == code
    )


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "now", "code"),
    [
        (None, None, 60, "not_checked_in"),
        (0, 60, 90, "already_checked_out"),
        (0, None, 180 + 121, "checkout_closed"),
    ],
)
def test_check_out_refusals(checked_in, checked_out, now, code):
    call = lambda: rules.validate_check_out(  # noqa: E731
        status="published",
        window=WINDOW,
        now=at(now),
        checked_in_at=at(checked_in) if checked_in is not None else None,
        checked_out_at=at(checked_out) if checked_out is not None else None,
    )
    assert code_of(call) == code


def test_check_out_within_grace_passes():
    rules.validate_check_out(
        status="published", window=WINDOW, now=at(300), checked_in_at=at(0), checked_out_at=None
    )


def test_next_action():
    assert rules.next_action(None, None) is Action.CHECK_IN
    assert rules.next_action(at(0), None) is Action.CHECK_OUT
    assert rules.next_action(at(0), at(60)) is Action.DONE


def test_unknown_error_code_is_a_bug():
    with pytest.raises(ValueError):
        CheckInError("no_such_code")


# --- queued scans: the device's scan time is kept only when plausible -------------------

OPENS = datetime(2030, 3, 5, 0, 30, tzinfo=UTC)
CLOSES = datetime(2030, 3, 5, 4, 0, tzinfo=UTC)


def scan_time(scanned_at, now):
    return rules.compute_scan_time(scanned_at, now=now, opens_at=OPENS, closes_at=CLOSES)


def test_plausible_device_time_is_kept():
    scanned = datetime(2030, 3, 5, 1, 5, tzinfo=UTC)
    assert scan_time(scanned, now=scanned + timedelta(hours=5)) == (scanned, False)
    assert scan_time(OPENS, now=CLOSES) == (OPENS, False)
    assert scan_time(CLOSES, now=CLOSES) == (CLOSES, False)


@pytest.mark.parametrize(
    "scanned",
    [
        OPENS - timedelta(seconds=1),  # before the window opened
        CLOSES + timedelta(seconds=1),  # after check-out closed
        datetime(2030, 3, 5, 2, 1, tzinfo=UTC),  # in the future of the server's clock
        datetime(2001, 1, 1, tzinfo=UTC),  # a phone whose clock was reset
    ],
)
def test_implausible_device_time_uses_server_time(scanned):
    now = datetime(2030, 3, 5, 2, 0, tzinfo=UTC)
    assert scan_time(scanned, now=now) == (now, True)


def test_no_device_time_is_server_time_without_note():
    now = datetime(2030, 3, 5, 2, 0, tzinfo=UTC)
    assert scan_time(None, now=now) == (now, False)


def test_parse_scan_time():
    assert rules.parse_scan_time("") is None
    assert rules.parse_scan_time(None) is None
    assert rules.parse_scan_time("2030-03-05T01:05:00.123Z") == datetime(
        2030, 3, 5, 1, 5, 0, 123000, tzinfo=UTC
    )
    assert rules.parse_scan_time("2030-03-05T09:05:00+08:00") == datetime(
        2030, 3, 5, 1, 5, tzinfo=UTC
    )
    for bad in (
        "yesterday",
        "2030-03-05T09:05:00",
        "2030-13-05T00:00:00Z",
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:00-10:00",
    ):
        with pytest.raises(rules.ScanTimeError) as info:
            rules.parse_scan_time(bad)
        assert info.value.code == "scan_time_invalid"
