"""Pure rules of the organizer's volunteer roster: search terms, star bands, phone moves,
merges. Plain values in, a value out or ``RosterError(code)`` raised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError
from volunteer_app.volunteers.rules import VolunteerError, normalize_phone

#: Separators people type inside a number ("138 1234 5678", "138-1234-5678").
_SEPARATORS = re.compile(r"[\s\-()（）]")
_DIGITS = re.compile(r"^\+?[0-9]+$")
#: How many trailing digits a search by the end of a number takes: exactly this many.
LAST_DIGITS = 4


class RosterError(DomainError):
    """The roster refused a search, an edit or a merge."""

    status = 400
    messages = {
        "search_digits": _l("Enter the full mobile number or exactly its last 4 digits."),
        "nothing_changed": _l("Nothing was changed."),
        "phone_taken": _l("This number is already in use."),
        "merge_same": _l("A record cannot be merged with itself."),
        "merge_overlap": _l(
            "Both records have attendance at the same activity, so they cannot be merged."
        ),
        "not_found": _l("No such volunteer."),
    }


class SearchKind(StrEnum):
    """What a roster search matches."""

    NAME = "name"  # part of the name
    PHONE = "phone"  # the whole number
    LAST_DIGITS = "last_digits"  # exactly the last four digits


@dataclass(frozen=True)
class Search:
    """A parsed search: its kind and the value to match."""

    kind: SearchKind
    value: str


def parse_search(raw: str | None) -> Search | None:
    """The search an organizer typed: None when empty.

    Text with letters is a part of a name. Digits are either a whole mobile number or
    exactly its last four digits, nothing in between: a search that matched any run of
    digits could be extended one digit at a time to read a number the roster masks.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    compact = _SEPARATORS.sub("", text)
    if not _DIGITS.match(compact):
        return Search(SearchKind.NAME, " ".join(text.split()))
    if len(compact) == LAST_DIGITS and compact.isdigit():
        return Search(SearchKind.LAST_DIGITS, compact)
    try:
        return Search(SearchKind.PHONE, normalize_phone(compact))
    except VolunteerError:
        raise RosterError("search_digits") from None


def star_band(stars: int, thresholds_hours: tuple[int, ...]) -> tuple[int, int | None]:
    """The confirmed minutes of exactly ``stars`` stars: (at least, below; None at the top).

    The same thresholds as ``stars.compute_star_level``: a threshold reached exactly counts.
    """
    if not 0 <= stars <= len(thresholds_hours):
        raise ValueError(stars)
    limits = [0, *(h * 60 for h in thresholds_hours)]
    upper = limits[stars + 1] if stars < len(thresholds_hours) else None
    return limits[stars], upper


def validate_phone_move(member_ids: set[int], visible_ids: set[int]) -> None:
    """Whether an organizer may move someone onto a number already in use.

    Only when the organizer may see every (live) person of that number: joining its
    household lets whoever holds the phone act for the moved person, and a refusal
    says only "in use", never who uses it. A number whose household has nobody left is
    refused too: its PIN is no one's the organizer can vouch for.
    """
    if not member_ids or not member_ids <= visible_ids:
        raise RosterError("phone_taken")


def validate_merge(kept_id: int, merged_id: int, shared_activities: int) -> None:
    """Whether two records may be merged into one: two people, no activity in common.

    Both records at one activity cannot become one person's two records (one record per
    person and activity), and choosing which hours to keep is the organizer's call to make
    by correcting them first, not the merge's.
    """
    if kept_id == merged_id:
        raise RosterError("merge_same")
    if shared_activities:
        raise RosterError("merge_overlap")
