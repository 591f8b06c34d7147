"""What a team leader (队长) may run: pure rules, plain values in, a yes or no out.

A leader is a volunteer, signed in with their phone and PIN, who runs check-in for the
activities of a team they lead and nothing else (docs/security.md, "Team leaders"). The
scoping helpers (auth/scoping.py, "team leaders") put the same conditions in SQL, and
tests/services/test_lead_scoping.py checks that they agree with these rules case by case;
a "no" is a 404, the answer an activity that does not exist gets.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from volunteer_app.teams.models import MemberStatus

#: Activity statuses a leader's pages open for: those that take or took check-ins.
RUNNABLE_STATUSES = frozenset({"published", "finished"})


def is_leader_now(*, is_leader: bool, member_status: str, team_disabled: bool) -> bool:
    """Whether a membership gives leader powers now: named leader, an active member, of a
    team not disabled. A former leader (unnamed), one who left or was removed, and every
    leader of a disabled team have none."""
    return is_leader and member_status == MemberStatus.ACTIVE.value and not team_disabled


def leader_may_run(
    *,
    is_leader: bool,
    member_status: str,
    team_disabled: bool,
    team_id: int,
    activity_team_id: int | None,
    activity_status: str,
) -> bool:
    """Whether a leader of team ``team_id`` may run check-in at an activity: they lead the
    team now (``is_leader_now``), the activity is the team's, and it takes (or took)
    check-ins. Another team's activity, a unit's own, a draft or a cancelled one: no."""
    return (
        is_leader_now(is_leader=is_leader, member_status=member_status, team_disabled=team_disabled)
        and activity_team_id is not None
        and activity_team_id == team_id
        and activity_status in RUNNABLE_STATUSES
    )


def listed_as_led(
    *, status: str, ends_at: datetime, now: datetime, checkout_margin: timedelta
) -> bool:
    """Whether a led activity shows on the leader's own page: published and not over yet,
    counting the time check-outs are still taken after its end (current and upcoming)."""
    return status == "published" and now <= ends_at + checkout_margin
