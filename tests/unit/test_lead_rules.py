"""Team leaders' powers (volunteer_app/teams/lead_rules.py): who leads now, which
activities they run, which show on their page."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.teams.lead_rules import is_leader_now, leader_may_run, listed_as_led

START = datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
END = START + timedelta(hours=3)
MARGIN = timedelta(hours=2)


def may_run(**overrides) -> bool:
    args = {
        "is_leader": True,
        "member_status": "active",
        "team_disabled": False,
        "team_id": 7,
        "activity_team_id": 7,
        "activity_status": "published",
    }
    return leader_may_run(**(args | overrides))


def test_a_leader_runs_their_teams_published_or_finished_activity():
    assert may_run()
    assert may_run(activity_status="finished")


@pytest.mark.parametrize(
    "overrides",
    [
        {"is_leader": False},  # a plain member, or a former leader
        {"member_status": "left"},
        {"member_status": "removed"},
        {"member_status": "pending"},
        {"member_status": "rejected"},
        {"team_disabled": True},
        {"activity_team_id": 8},  # another team's activity
        {"activity_team_id": None},  # the unit's own activity
        {"activity_status": "draft"},
        {"activity_status": "cancelled"},
    ],
)
def test_anything_else_is_refused(overrides):
    assert not may_run(**overrides)


def test_leader_now_needs_all_three():
    assert is_leader_now(is_leader=True, member_status="active", team_disabled=False)
    assert not is_leader_now(is_leader=True, member_status="active", team_disabled=True)
    assert not is_leader_now(is_leader=False, member_status="active", team_disabled=False)
    assert not is_leader_now(is_leader=True, member_status="left", team_disabled=False)


@pytest.mark.parametrize(
    ("status", "now", "listed"),
    [
        ("published", START - timedelta(days=3), True),  # upcoming
        ("published", START + timedelta(hours=1), True),  # running
        ("published", END + MARGIN, True),  # last moment of check-outs
        ("published", END + MARGIN + timedelta(seconds=1), False),
        ("finished", START + timedelta(hours=1), False),
        ("draft", START - timedelta(days=1), False),
        ("cancelled", START - timedelta(days=1), False),
    ],
)
def test_the_leaders_page_lists_current_and_upcoming_published_ones(status, now, listed):
    assert listed_as_led(status=status, ends_at=END, now=now, checkout_margin=MARGIN) is listed
