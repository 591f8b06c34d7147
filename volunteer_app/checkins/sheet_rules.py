"""A paper sign-in sheet entered after an activity: reading its lines and matching each to
a volunteer. Pure: plain values in, plain values out; no Flask, no database, time passed in.

A line is a name, a phone (the full mobile number, or only its last 4 digits, or nothing)
and the hours served (a number like 2 or 2.5, or the times ``08:30-11:00``; empty means
the whole activity). Each line ends as one of:

- ``matched``: one of the organizer's volunteers (their hours are added);
- ``new``: a walk-in to register (a full number nobody has registered), then their hours;
- a problem with a code (``Problem``): nothing is written for the line.

Matching looks only among the volunteers the organizer may record at the activity
(``candidates``, from ``auth.scoping.recordable_volunteers``). A full number registered by
anyone else gets the walk-in desk's one neutral answer (``number_taken``), never who.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from volunteer_app.checkins.rules import HOURS_STEP_MINUTES, compute_minutes
from volunteer_app.errors import DomainError
from volunteer_app.volunteers.rules import VolunteerError, normalize_name, normalize_phone

#: More lines than this in one sheet are refused: a paper sheet is a page or two.
MAX_LINES = 300
#: The headers of the xlsx template, in column order (Chinese, as on the paper sheet).
HEADERS = ("姓名", "手机号或后4位", "时长（小时）或起止时间")
#: Other headers understood for each column (compared without spaces and case).
HEADER_ALIASES = {
    "name": {"姓名", "名字", "name"},
    "phone": {"手机号或后4位", "手机号", "手机", "电话", "手机后4位", "后4位", "phone"},
    "hours": {
        "时长（小时）或起止时间",
        "时长(小时)或起止时间",
        "时长",
        "小时",
        "时长（小时）",
        "时长(小时)",
        "起止时间",
        "hours",
    },
}
_SEPARATORS = re.compile(r"[\s\-()（）+]")
_TIMES = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})$")
_HOURS = re.compile(r"^(\d{1,2}(?:\.\d+)?)\s*(?:h|小时|时)?$", re.IGNORECASE)


class SheetError(DomainError):
    """A sheet that cannot be entered as a whole."""

    status = 400
    messages = {
        "no_lines": _l("The sheet has no lines: enter at least one name."),
        "too_many_lines": _l("The sheet has too many lines (at most 300). Please split it."),
        "reason_required": _l("Please give one reason for the whole sheet."),
        "reason_too_long": _l("The reason is too long (at most 500 characters)."),
        "headers": _l(
            "The file's first row must hold the template's headers: 姓名, 手机号或后4位."
        ),
        "expired": _l("This sheet has expired or has been entered already. Please enter it again."),
        "unreadable": _l(
            "The file could not be read. Please upload the .xlsx template or a .csv file."
        ),
        "empty": _l("The file has no rows."),
        "too_large": _l("The file is too large."),
    }


#: Why one line is not entered, worded for the organizer.
PROBLEMS = {
    "name_required": _l("The name is missing."),
    "name_invalid": _l("The name is too long or holds characters that cannot be kept."),
    "phone_invalid": _l("Write the full 11-digit mobile number or exactly its last 4 digits."),
    "hours_invalid": _l(
        "Write the hours in steps of 0.5 (e.g. 2 or 2.5), or the times 08:30-11:00."
    ),
    "hours_exceed_duration": _l("The hours cannot be longer than the activity itself."),
    "hours_zero": _l("These times give 0 hours within the activity."),
    "not_found": _l(
        "None of your volunteers has this name and number. Write the full mobile number to "
        "register them."
    ),
    "ambiguous": _l("Several of your volunteers match. Write the full mobile number."),
    "phone_needed": _l("Write the mobile number (or its last 4 digits) to find or register them."),
    "number_taken": _l(
        "This number is already registered. The volunteer can check in by scanning the code "
        "with their own phone, or type their own PIN at the walk-in desk."
    ),
    "already_recorded": _l("This volunteer already has a record here. Adjust it instead."),
    "repeated": _l("This person is on the sheet twice: only the first line is entered."),
}


@dataclass(frozen=True)
class Line:
    """One line of the sheet as written: its number (1 = first line) and three texts."""

    number: int
    name: str
    phone: str
    hours: str


@dataclass(frozen=True)
class Candidate:
    """One of the volunteers the organizer may record at the activity."""

    id: int
    name: str
    phone: str
    has_record: bool = False


@dataclass(frozen=True)
class Planned:
    """What entering one line would do: ``kind`` is "matched", "new" or "problem"."""

    number: int
    name: str
    kind: str
    minutes: int = 0
    #: The matched volunteer's id ("matched").
    volunteer_id: int | None = None
    #: The full number: the new walk-in's ("new"), the matched volunteer's ("matched").
    phone: str = ""
    #: The problem's code ("problem"), a key of PROBLEMS.
    code: str = ""

    @property
    def ok(self) -> bool:
        """Whether the line will be entered."""
        return self.kind != "problem"

    def message(self) -> str:
        """The problem in the user's language ("" for a line that will be entered)."""
        return str(PROBLEMS[self.code]) if self.code else ""


def validate_reason(raw: str | None) -> str:
    """The sheet's one reason, trimmed; SheetError when missing or too long."""
    reason = " ".join((raw or "").split())
    if not reason:
        raise SheetError("reason_required")
    if len(reason) > 500:
        raise SheetError("reason_too_long")
    return reason


def lines_from_table(rows: Iterable[tuple[int, list]]) -> list[Line]:
    """The lines of an uploaded sheet (header row first, as ``uploads.read_table`` gives);
    SheetError("headers") unless the first row names at least the name and phone columns."""
    iterator = iter(rows)
    try:
        _number, header = next(iterator)
    except StopIteration:
        raise SheetError("empty") from None
    columns = {}
    for index, cell in enumerate(header):
        key = re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", str(cell or ""))).lower()
        for column, names in HEADER_ALIASES.items():
            if column not in columns and key in {
                re.sub(r"\s", "", unicodedata.normalize("NFKC", n)).lower() for n in names
            }:
                columns[column] = index
    if "name" not in columns or "phone" not in columns:
        raise SheetError("headers")
    lines = []
    for number, cells in iterator:
        values = {
            key: _cell(cells[index]) if index < len(cells) else "" for key, index in columns.items()
        }
        if not any(values.values()):
            continue
        lines.append(Line(number, values["name"], values.get("phone", ""), values.get("hours", "")))
        if len(lines) > MAX_LINES:
            raise SheetError("too_many_lines")
    return lines


def _cell(value: object) -> str:
    """A cell as text: a number typed as 2 or 2.5 stays that; a time cell is HH:MM."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime):
        return value.strftime("%H:%M")
    return str(value).strip()


def parse_phone(raw: str) -> tuple[str, str]:
    """What the phone cell holds: ("full", number), ("last4", digits) or ("none", "").

    VolunteerError("phone_invalid") for anything else: 5 to 10 digits are refused like the
    desk's search refuses them (a longer tail would recover a masked number digit by digit).
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        return "none", ""
    if text.isdigit() and len(text) == 4:
        return "last4", text
    return "full", normalize_phone(text)


def parse_minutes(raw: str, *, starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> int:
    """The minutes a line's hours credit, within the activity [``starts_at``, ``ends_at``]
    (aware UTC); ``zone`` is the local time the sheet's times are written in.

    Empty: the whole activity (as the 补录 form proposes). A number: hours in steps of
    0.5. Two times ``08:30-11:00`` on the activity's first day: the stay, clipped to the
    activity and rounded down like a scan (``rules.compute_minutes``). VolunteerError-like
    DomainError codes: "hours_invalid", "hours_exceed_duration", "hours_zero".
    """
    duration = int((ends_at - starts_at).total_seconds() // 60)
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return duration - duration % HOURS_STEP_MINUTES
    times = _TIMES.match(text)
    if times:
        h1, m1, h2, m2 = (int(part) for part in times.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise LineError("hours_invalid")
        day = starts_at.astimezone(zone).date()
        begin = datetime.combine(day, time(h1, m1), zone)
        end = datetime.combine(day, time(h2, m2), zone)
        if end <= begin:
            end += timedelta(days=1)  # a night shift past midnight
        minutes = compute_minutes(begin, end, starts_at, ends_at)
        if minutes <= 0:
            raise LineError("hours_zero")
        return minutes
    number = _HOURS.match(text)
    if not number:
        raise LineError("hours_invalid")
    hours = float(number.group(1))
    minutes = round(hours * 60)
    if abs(hours * 60 - minutes) > 1e-6 or minutes <= 0 or minutes % HOURS_STEP_MINUTES:
        raise LineError("hours_invalid")
    if minutes > duration:
        raise LineError("hours_exceed_duration")
    return minutes


class LineError(DomainError):
    """One line could not be read; ``code`` is a key of PROBLEMS."""

    status = 400
    messages = PROBLEMS


def plan(
    lines: list[Line],
    *,
    candidates: list[Candidate],
    registered: set[str],
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
) -> list[Planned]:
    """What entering each line would do, in the sheet's order.

    ``candidates`` are the volunteers the organizer may record at the activity;
    ``registered`` the full numbers of the sheet that are registered to anyone (so an
    unknown number registers a walk-in, and a known one not theirs is ``number_taken``).
    A person on two lines is entered once (the first line).
    """
    if not lines:
        raise SheetError("no_lines")
    if len(lines) > MAX_LINES:
        raise SheetError("too_many_lines")
    planned = []
    seen: set[tuple[str, str]] = set()
    for line in lines:
        try:
            name = normalize_name(line.name)
        except VolunteerError as error:
            code = "name_required" if error.code == "name_required" else "name_invalid"
            planned.append(Planned(line.number, line.name.strip(), "problem", code=code))
            continue
        try:
            how, phone = parse_phone(line.phone)
            minutes = parse_minutes(line.hours, starts_at=starts_at, ends_at=ends_at, zone=zone)
        except VolunteerError:
            planned.append(Planned(line.number, name, "problem", code="phone_invalid"))
            continue
        except LineError as error:
            planned.append(Planned(line.number, name, "problem", code=error.code))
            continue
        row = _match(line.number, name, how, phone, minutes, candidates, registered)
        if row.ok:
            key = (str(row.volunteer_id), "") if row.volunteer_id else (row.phone, name)
            if key in seen:
                row = Planned(line.number, name, "problem", code="repeated")
            seen.add(key)
        planned.append(row)
    return planned


def _match(
    number: int,
    name: str,
    how: str,
    phone: str,
    minutes: int,
    candidates: list[Candidate],
    registered: set[str],
) -> Planned:
    """One line's volunteer among the organizer's own, or a walk-in, or a problem."""
    named = [c for c in candidates if c.name == name]
    if how == "full":
        found = [c for c in named if c.phone == phone]
        if not found:
            if phone in registered:
                return Planned(number, name, "problem", code="number_taken")
            return Planned(number, name, "new", minutes=minutes, phone=phone)
    elif how == "last4":
        found = [c for c in named if c.phone.endswith(phone)]
        if not found:
            return Planned(number, name, "problem", code="not_found")
    else:
        found = named
        if not found:
            return Planned(number, name, "problem", code="phone_needed")
    if len(found) > 1:
        return Planned(number, name, "problem", code="ambiguous")
    person = found[0]
    if person.has_record:
        return Planned(number, name, "problem", code="already_recorded")
    return Planned(
        number, name, "matched", minutes=minutes, volunteer_id=person.id, phone=person.phone
    )
