"""The rules of a team and its members: pure functions, plain values in, a value out or a
``TeamError`` with a stable code.

Joining follows the team's national join mode (``JoinMode``): leader approval (the request
waits, ``pending``), open (a member at once), closed (only an organizer or a leader adds
members) or a join code (a member at once with the right code). Someone removed by a leader
or an organizer never rejoins on their own: their new request waits for approval, whatever
the mode, and a closed team takes them back only by being added again.

Who manages whom: an organizer whose scope covers the team's unit manages everything
(``auth.scoping.team_or_404``); a leader of the team now approves and rejects requests,
adds a person who shows their card and removes members who are not leaders; only an
organizer names or unnames leaders. A leader who leaves or is removed is a leader no more.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError
from volunteer_app.teams.models import (
    CONTACT_MAX,
    HOST_NAME_MAX,
    INTRO_MAX,
    JOIN_CODE_MAX,
    JOIN_CODE_MIN,
    MAX_CATEGORIES,
    NAME_MAX,
    JoinMode,
    MemberStatus,
)


class TeamError(DomainError):
    """A team or membership rule said no."""

    status = 400
    messages = {
        "name_required": _l("Please enter the team's name."),
        "name_too_long": _l("The team's name is too long."),
        "name_taken": _l("This unit already has a team of this name."),
        "host_name_too_long": _l("The host unit's name is too long."),
        "contact_too_long": _l("The contact person's name is too long."),
        "contact_phone_invalid": _l("Please enter an 11-digit mobile number or a landline."),
        "intro_too_long": _l("The introduction is too long."),
        "too_many_categories": _l("Choose at most four service categories."),
        "join_code_required": _l("Please set a join code of 4 to 12 letters or digits."),
        "join_code_invalid": _l("A join code has 4 to 12 letters or digits."),
        "team_disabled": _l("This team is disabled and takes no new members."),
        "closed": _l("This team takes no requests to join. Ask its leader or station to add you."),
        "wrong_code": _l("The join code is not right. Ask the team's leader for it."),
        "already_member": _l("You are already a member of this team."),
        "already_pending": _l("Your request to join is waiting for the leader's approval."),
        "not_pending": _l("This request has already been answered."),
        "not_member": _l("This person is not a member of the team now."),
        "leader_protected": _l(
            "Only the station can remove a leader: ask it to unname them first."
        ),
        "not_allowed": _l("Only the team's station can do this."),
    }


class Outcome:
    """What a join request becomes (a ``MemberStatus`` value)."""

    ACTIVE = MemberStatus.ACTIVE.value
    PENDING = MemberStatus.PENDING.value


_JOIN_CODE = re.compile(r"^[0-9A-Za-z]+$")
_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class TeamFields:
    """A team's editable fields after validation (whitespace trimmed)."""

    name: str
    host_name: str
    contact_name: str
    contact_phone: str
    intro: str
    join_mode: str
    join_code: str


def validate_team_fields(
    *,
    name: str,
    host_name: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    intro: str = "",
    join_mode: str = JoinMode.APPROVAL.value,
    join_code: str = "",
    category_count: int = 0,
) -> TeamFields:
    """The team's fields, trimmed, or the first problem found (``compute_team_problems``
    gives them all)."""
    problems = compute_team_problems(
        name=name,
        host_name=host_name,
        contact_name=contact_name,
        contact_phone=contact_phone,
        intro=intro,
        join_mode=join_mode,
        join_code=join_code,
        category_count=category_count,
    )
    if problems:
        error = next(iter(problems.values()))
        error.problems = problems
        raise error
    mode = JoinMode(join_mode).value
    return TeamFields(
        name=name.strip(),
        host_name=host_name.strip(),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip().replace(" ", ""),
        intro=intro.strip(),
        join_mode=mode,
        join_code=join_code.strip() if mode == JoinMode.CODE.value else "",
    )


def compute_team_problems(
    *,
    name: str,
    host_name: str,
    contact_name: str,
    contact_phone: str,
    intro: str,
    join_mode: str,
    join_code: str,
    category_count: int,
) -> dict[str, TeamError]:
    """Every problem of a team's fields, by form field (empty when all is well)."""
    problems: dict[str, TeamError] = {}
    name = name.strip()
    if not name:
        problems["name"] = TeamError("name_required")
    elif len(name) > NAME_MAX:
        problems["name"] = TeamError("name_too_long")
    if len(host_name.strip()) > HOST_NAME_MAX:
        problems["host_name"] = TeamError("host_name_too_long")
    if len(contact_name.strip()) > CONTACT_MAX:
        problems["contact_name"] = TeamError("contact_too_long")
    phone = contact_phone.strip().replace(" ", "")
    if phone and not _PHONE.match(phone):
        problems["contact_phone"] = TeamError("contact_phone_invalid")
    if len(intro.strip()) > INTRO_MAX:
        problems["intro"] = TeamError("intro_too_long")
    if category_count > MAX_CATEGORIES:
        problems["categories"] = TeamError("too_many_categories")
    if join_mode == JoinMode.CODE.value:
        code = join_code.strip()
        if not code:
            problems["join_code"] = TeamError("join_code_required")
        elif not (JOIN_CODE_MIN <= len(code) <= JOIN_CODE_MAX and _JOIN_CODE.match(code)):
            problems["join_code"] = TeamError("join_code_invalid")
    return problems


def compute_join(
    *,
    join_mode: str,
    team_disabled: bool,
    current_status: str | None,
    code_given: str = "",
    team_code: str = "",
) -> str:
    """What a volunteer's own request to join becomes: ``Outcome.ACTIVE`` or
    ``Outcome.PENDING``; or a TeamError.

    ``current_status`` is their membership's status (None when they never had one).
    Members and waiting requests are told so; someone removed waits for approval whatever
    the mode (a closed team refuses them as it refuses everyone).
    """
    if team_disabled:
        raise TeamError("team_disabled")
    if current_status == MemberStatus.ACTIVE.value:
        raise TeamError("already_member", status=409)
    if current_status == MemberStatus.PENDING.value:
        raise TeamError("already_pending", status=409)
    mode = JoinMode(join_mode)
    if mode == JoinMode.CLOSED:
        raise TeamError("closed", status=403)
    if mode == JoinMode.CODE and not _codes_match(code_given, team_code):
        raise TeamError("wrong_code")
    if current_status == MemberStatus.REMOVED.value:
        return Outcome.PENDING
    if mode == JoinMode.APPROVAL:
        return Outcome.PENDING
    return Outcome.ACTIVE


def _codes_match(given: str, expected: str) -> bool:
    """Whether the typed join code is the team's (letters compared ignoring case)."""
    given = given.strip().upper()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.strip().upper().encode())


def validate_add(*, team_disabled: bool, current_status: str | None) -> None:
    """Whether an organizer or a leader may add someone (who shows their card, or one of
    the organizer's own volunteers): any mode, a pending request approved on the way;
    TeamError("already_member") for a member, "team_disabled" for a disabled team."""
    if team_disabled:
        raise TeamError("team_disabled")
    if current_status == MemberStatus.ACTIVE.value:
        raise TeamError("already_member", status=409)


def validate_answer(*, current_status: str) -> None:
    """Whether a join request may be approved or rejected: only a waiting one."""
    if current_status != MemberStatus.PENDING.value:
        raise TeamError("not_pending", status=409)


def validate_remove(*, current_status: str, is_leader: bool, by_organizer: bool) -> None:
    """Whether a member may be removed: an active member; a leader only by an organizer."""
    if current_status != MemberStatus.ACTIVE.value:
        raise TeamError("not_member", status=409)
    if is_leader and not by_organizer:
        raise TeamError("leader_protected", status=403)


def validate_leave(*, current_status: str) -> None:
    """Whether a volunteer may leave: a member or a waiting request (withdrawn)."""
    if current_status not in (MemberStatus.ACTIVE.value, MemberStatus.PENDING.value):
        raise TeamError("not_member", status=409)


def validate_name_leader(*, current_status: str, team_disabled: bool, by_organizer: bool) -> None:
    """Whether a member may be named (or unnamed) leader: by an organizer, an active member
    of a team not disabled."""
    if not by_organizer:
        raise TeamError("not_allowed", status=403)
    if team_disabled:
        raise TeamError("team_disabled")
    if current_status != MemberStatus.ACTIVE.value:
        raise TeamError("not_member", status=409)
