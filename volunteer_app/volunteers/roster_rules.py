"""Pure rules of the organizer's volunteer roster: search terms, star bands, phone moves,
merges. Plain values in, a value out or ``RosterError(code)`` raised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from volunteer_app.checkins.rules import Stay, find_overlap
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


class MergeTimeError(RosterError):
    """Two records of one person cannot be merged: their times overlap. The message names
    the two activities, so the organizer knows which record to void or correct."""

    messages = {
        "merge_time_overlap": _l(
            "These two records share time: “%(kept)s” and “%(merged)s” overlap, and one "
            "person's time cannot count twice. Void or correct one of the two records "
            "first, then merge."
        ),
    }

    def __init__(self, code: str, *, kept_activity: str, merged_activity: str) -> None:
        super().__init__(code)
        self.kept_activity, self.merged_activity = kept_activity, merged_activity
        self.details = {"kept_activity": kept_activity, "merged_activity": merged_activity}

    @property
    def message(self) -> str:
        """The message, naming both activities."""
        names = {"kept": self.kept_activity, "merged": self.merged_activity}
        return str(self.messages[self.code]) % names


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


def find_merge_clash(kept: Iterable[Stay], merged: Iterable[Stay]) -> tuple[Stay, Stay] | None:
    """The first of the merged record's stays that shares time with one of the kept
    record's, as (kept stay, merged stay); None when the two histories never overlap.

    The overlap rule of ``checkins.rules`` (half-open intervals, touching ends are fine),
    applied across the two people: after a merge both histories are one person's.
    """
    kept = list(kept)
    for stay in sorted(merged, key=lambda s: (s.begins_at, s.record_id)):
        hit = find_overlap(stay.begins_at, stay.ends_at, kept)
        if hit is not None:
            return hit, stay
    return None


def validate_merge_times(
    kept: Iterable[Stay], merged: Iterable[Stay], title_of: Callable[[int], str]
) -> None:
    """Refuse a merge that would credit the same time twice (``merge_time_overlap``).

    Two records at different activities during the same hours are fine for two people,
    but one person cannot serve twice at once. Which of the two stays is true is the
    organizer's call, made by voiding or correcting one first; ``title_of`` names an
    activity by its id for the message.
    """
    clash = find_merge_clash(kept, merged)
    if clash is not None:
        raise MergeTimeError(
            "merge_time_overlap",
            kept_activity=title_of(clash[0].activity_id),
            merged_activity=title_of(clash[1].activity_id),
        )
