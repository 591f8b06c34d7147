"""Importing volunteers from a spreadsheet (.xlsx or .csv): the rules and the service.

The flow
--------
1. The organizer uploads a file. ``read_table`` streams its rows (openpyxl ``read_only``,
   or the csv module), ``check_rows`` turns each into a ``Row`` or a list of problems
   (pure: no database, no Flask), ``count`` compares the rows with the registered numbers
   (read only). Nothing is written.
2. The checked rows wait on the server (``PendingStore`` over ``uploads.PendingFiles``:
   one JSON file per upload under ``instance/imports/``, named by a random token, holding
   the organizer's id and the file's hash, for an hour). The client only ever sends the token back.
3. On confirmation ``apply`` writes every row in the request's one transaction; above
   ``IMPORT_JOB_THRESHOLD`` rows a background job (``jobs.imports``) applies them instead,
   ``phone_chunks`` at a time, one transaction and one audit entry per chunk.

Linking, not duplicating
------------------------
A number already registered is its household: a row of that number joins it as a new
member unless a live member has that name (``services.member_named``), who is then the same
person and nothing is added. A new name joins only a household whose every live member the
organizer may act for: on a number that also carries people of other units the row is held
back (the people on it add the person themselves, with the phone), since whoever holds a
phone acts for all of its people, and an organizer could otherwise put a name of their own
onto a stranger's phone. Existing people are never changed: they keep the unit they
registered with, so an import never widens an organizer's reach over them (see
``auth.scoping``). Only new people get ``registered_unit_id`` = the row's station and
``registered_by_id`` = the organizer. Importing the same file twice adds nothing.

Nothing about an existing number's people is shown: the preview gives counts only.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, any_, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_app import uploads
from volunteer_app.audit import services as audit_log
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import visible_unit_ids, visible_volunteer_ids
from volunteer_app.codes import new_key
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit
from volunteer_app.volunteers.models import Household, Volunteer
from volunteer_app.volunteers.rules import VolunteerError, normalize_name, normalize_phone

#: More rows than this in one file are refused (split the file): a 10,000-row file is
#: checked in about a second (docs/benchmarks.md, "Volunteer import").
MAX_ROWS = 20_000
#: How long an upload waits for its confirmation.
PENDING_TTL = uploads.PENDING_TTL
#: Under this age a person is a minor whose guardian consents (PIPL art. 31).
MINOR_AGE = 14
#: On SQLite, rows are looked up and written in chunks of this many (bound parameters per
#: statement); PostgreSQL takes each list as one array parameter.
CHUNK = 500


@dataclass(frozen=True)
class Column:
    """One column of the template: its key, headers, and the longest value accepted."""

    key: str
    zh: str
    en: str
    max_length: int
    required: bool = False
    #: Other headers understood for it (compared without case, spaces and ``*``).
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("name", "姓名", "Name", 50, True, ("名字", "full name")),
    Column("phone", "手机号", "Mobile number", 40, True, ("手机号码", "手机", "phone", "mobile")),
    Column("station", "所属站点", "Station", 100, True, ("站点", "station name", "unit")),
    Column("gender", "性别", "Gender", 10, aliases=("sex",)),
    Column("birth_date", "出生日期", "Date of birth", 40, aliases=("birth date", "birthday")),
    Column("skills", "专业技能", "Skills", 200),
    Column("service_categories", "服务类别", "Service categories", 200, aliases=("categories",)),
    Column("volunteer_number", "志愿者编号", "Volunteer number", 32, aliases=("volunteer no",)),
)
#: Accepted only where the district collects ID numbers (``COLLECT_ID_NUMBERS``).
ID_COLUMN = Column(
    "id_number",
    "身份证号",
    "ID number",
    40,
    aliases=("身份证号码", "公民身份号码", "id card number"),
)
#: Columns read and checked but not kept: the volunteer record holds name and number only
#: (collect the minimum); the date of birth decides whether the person is a minor.
NOT_KEPT = ("gender", "birth_date", "skills", "service_categories", "volunteer_number")


class ImportFileError(DomainError):
    """The uploaded file, or the import as a whole, was refused."""

    status = 400
    messages = {
        **uploads.UploadError.messages,
        "missing_columns": _l(
            "The first row must name the columns 姓名, 手机号 and 所属站点 (see the template)."
        ),
        "too_many_rows": _l(
            "The file has more than %(max)s rows. Please split it into smaller files.",
            max=f"{MAX_ROWS:,}",
        ),
        "nothing_to_import": _l("No row of this file can be imported."),
        "stations_changed": _l(
            "Your stations have changed since the preview. Please upload the file again."
        ),
    }


#: What is wrong with a row, by problem code (``%(column)s`` is the column's header).
PROBLEMS = {
    "name_missing": _l("The name is missing."),
    "name_invalid": _l("The name contains characters that are not allowed."),
    "phone_invalid": _l("The mobile number is not an 11-digit mainland mobile number."),
    "station_missing": _l("The station is missing."),
    "station_unknown": _l("Unknown station."),
    "station_ambiguous": _l("Several of your units have this name."),
    "too_long": _l("%(column)s is too long (at most %(max)s characters)."),
    "birth_date_invalid": _l("The date of birth is not a date such as 2015-03-05."),
    "id_number_invalid": _l("The ID number is not valid."),
    "duplicate": _l("Same name and mobile number as row %(row)s."),
}


def header(key: str) -> str:
    """A column's header in the current request's language ("" for no column)."""
    column = next((c for c in (*COLUMNS, ID_COLUMN) if c.key == key), None)
    if column is None:
        return ""
    return column.en if str(get_locale() or "").startswith("en") else column.zh


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row is not imported; ``column`` or ``row`` fill in its message."""

    code: str
    column: str = ""
    limit: int = 0
    row: int = 0

    def message(self) -> str:
        """The problem in the current request's language."""
        return str(PROBLEMS[self.code]) % {
            "column": header(self.column),
            "max": self.limit,
            "row": self.row,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """A row that will be imported: a person on a number, at a station."""

    number: int
    name: str
    phone: str
    unit_id: int
    is_minor: bool = False
    #: Only where the district collects ID numbers; checked (GB 11643) on the way.
    id_number: str | None = None


@dataclass
class Checked:
    """The outcome of checking a file: the good rows, the bad ones and what was noticed."""

    rows: list[Row] = field(default_factory=list)
    #: (row number, its problems), in file order.
    refused: list[tuple[int, list[Problem]]] = field(default_factory=list)
    #: Codes of notes about the file as a whole: "id_ignored", "id_kept", "not_kept".
    notes: list[str] = field(default_factory=list)
    #: The optional columns the file has whose values are not kept.
    not_kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """What an import adds: new people, new numbers, rows whose number was registered."""

    new_people: int = 0
    new_numbers: int = 0
    linked_rows: int = 0
    #: Rows of a new name on a number that also carries people the organizer may not see.
    held_rows: int = 0


# --- reading the file ----------------------------------------------------------------------


def file_hash(data: bytes) -> str:
    """The SHA-256 of the uploaded bytes (hex)."""
    return uploads.file_hash(data)


def read_table(data: bytes, filename: str = "") -> Iterator[tuple[int, list]]:
    """Stream the first sheet's rows as (row number, cell values), header row included
    (``uploads.read_table``), raising ImportFileError for what cannot be read."""
    return uploads.read_table(data, filename, error=ImportFileError)


# --- checking the rows ---------------------------------------------------------------------

_HEADER_NOISE = re.compile(r"[\s*＊:：]|[(（](必填|选填|required|optional)[)）]")


def _header_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).casefold()
    return _HEADER_NOISE.sub("", text)


def map_header(cells: list, *, collect_id_numbers: bool) -> tuple[dict[str, int], list[str]]:
    """The column index of each known field in a header row, and the notes it gives.

    Raises ImportFileError "missing_columns" when 姓名, 手机号 or 所属站点 is missing.
    """
    known: dict[str, str] = {}
    for column in (*COLUMNS, ID_COLUMN):
        for header in (column.zh, column.en, *column.aliases):
            known[_header_key(header)] = column.key
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        key = known.get(_header_key(cell))
        if key is not None and key not in index:
            index[key] = position
    if any(column.required and column.key not in index for column in COLUMNS):
        raise ImportFileError("missing_columns")
    notes = []
    if "id_number" in index:
        notes.append("id_kept" if collect_id_numbers else "id_ignored")
        if not collect_id_numbers:
            del index["id_number"]
    return index, notes


def _text(value: object) -> str:
    """A cell as text: numbers without a trailing ``.0`` (a phone typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_birth_date(value: object) -> date | None:
    """A date of birth from a cell (a date, 2015-03-05, 2015/3/5, 2015年3月5日, 20150305).

    Raises ValueError for anything else; None for an empty cell.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{8}", text):
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = _DATE.match(text)
    if not match:
        raise ValueError(text)
    return date(*(int(part) for part in match.groups()))


def is_minor_on(birth: date, today: date) -> bool:
    """Whether someone born on ``birth`` is under MINOR_AGE on ``today``."""
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return years < MINOR_AGE


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def validate_id_number(raw: str) -> str:
    """The 18-character resident ID number (GB 11643-1999) in ``raw``, upper-case, or
    ValueError: 17 digits and the check character "10X98765432"[Σ digit×weight mod 11]."""
    text = unicodedata.normalize("NFKC", raw or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValueError("shape")
    total = sum(int(digit) * weight for digit, weight in zip(text, _ID_WEIGHTS, strict=False))
    if _ID_CHECK[total % 11] != text[17]:
        raise ValueError("check")
    return text


def mask_id_number(value: str) -> str:
    """An ID number with only its first 6 and last 3 characters shown."""
    if len(value) <= 9:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 9) + value[-3:]


def check_rows(
    table: Iterable[tuple[int, list]],
    *,
    units: dict[str, list[int]],
    today: date,
    collect_id_numbers: bool = False,
    max_rows: int = MAX_ROWS,
) -> Checked:
    """Check every row of a table (header first) against the rules; no database.

    ``units`` maps each unit name the organizer may see to its ids (more than one: the
    name is ambiguous). A station the organizer may not see is "unknown", exactly like one
    that does not exist. Empty rows are skipped. Raises ImportFileError for a file that has no
    header, lacks a required column or has more than ``max_rows`` rows.
    """
    rows = iter(table)
    for _number, cells in rows:
        if any(_text(cell) for cell in cells):
            index, notes = map_header(cells, collect_id_numbers=collect_id_numbers)
            break
    else:
        raise ImportFileError("empty")
    checked = Checked(notes=notes)
    checked.not_kept = [key for key in NOT_KEPT if key in index]
    if checked.not_kept:
        checked.notes.append("not_kept")
    limits = {column.key: column.max_length for column in (*COLUMNS, ID_COLUMN)}
    seen: dict[tuple[str, str], int] = {}
    count = 0
    for number, cells in rows:
        values = {key: cells[i] if i < len(cells) else None for key, i in index.items()}
        texts = {key: _text(value) for key, value in values.items()}
        if not any(texts.values()):
            continue
        count += 1
        if count > max_rows:
            raise ImportFileError("too_many_rows")
        problems: list[Problem] = []
        for key, text in texts.items():
            if len(text) > limits[key]:
                problems.append(Problem("too_long", column=key, limit=limits[key]))
        long = {problem.column for problem in problems}
        name = phone = ""
        if "name" not in long:
            try:
                name = normalize_name(texts["name"])
            except VolunteerError as error:
                problems.append(
                    Problem("name_missing" if error.code == "name_required" else "name_invalid")
                )
        if "phone" not in long:
            try:
                phone = normalize_phone(texts["phone"])
            except VolunteerError:
                problems.append(Problem("phone_invalid"))
        unit_id = None
        if "station" not in long:
            station = " ".join(unicodedata.normalize("NFC", texts["station"]).split())
            matches = units.get(station, []) if station else []
            if not station:
                problems.append(Problem("station_missing"))
            elif len(matches) > 1:
                problems.append(Problem("station_ambiguous"))
            elif not matches:
                problems.append(Problem("station_unknown"))
            else:
                unit_id = matches[0]
        is_minor = False
        if "birth_date" in index and "birth_date" not in long:
            try:
                birth = parse_birth_date(values["birth_date"])
                if birth is not None and birth > today:
                    raise ValueError("future")
                is_minor = birth is not None and is_minor_on(birth, today)
            except ValueError:
                problems.append(Problem("birth_date_invalid"))
        id_number = None
        if "id_number" in index and texts["id_number"] and "id_number" not in long:
            try:
                id_number = validate_id_number(texts["id_number"])
            except ValueError:
                problems.append(Problem("id_number_invalid"))
        if name and phone:
            key = (name.casefold(), phone)
            first = seen.get(key)
            if first is not None:
                problems.append(Problem("duplicate", row=first))
            elif not problems:
                seen[key] = number
        if problems:
            checked.refused.append((number, problems))
        else:
            checked.rows.append(Row(number, name, phone, unit_id, is_minor, id_number))
    return checked


NOTES = {
    "id_ignored": _l("The 身份证号 column is ignored: this district does not collect ID numbers."),
    "id_kept": _l(
        "ID numbers are checked and kept for new volunteers; they are shown masked and left "
        "out of exports."
    ),
    "not_kept": _l(
        "These columns are checked but not kept (only the name, the number and whether "
        "someone is under 14 are): %(columns)s."
    ),
}


def note_messages(checked: Checked) -> list[str]:
    """The notes about a checked file, in the current request's language."""
    separator = ", " if str(get_locale() or "").startswith("en") else "、"
    columns = separator.join(header(key) for key in checked.not_kept)
    return [str(NOTES[code]) % {"columns": columns} for code in checked.notes]


# --- against the database ------------------------------------------------------------------


def station_names(user: User) -> dict[str, list[int]]:
    """The names of the units ``user`` may see, each with its ids."""
    names: dict[str, list[int]] = {}
    for unit_id, name in db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(visible_unit_ids(user))).order_by(Unit.id)
    ):
        names.setdefault(" ".join(unicodedata.normalize("NFC", name).split()), []).append(unit_id)
    return names


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _chunks(items: list) -> Iterator[list]:
    """Items in chunks: all at once on PostgreSQL (one array parameter), CHUNK on SQLite."""
    size = max(len(items), 1) if _postgresql() else CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _among(column, values: list):
    """``column IN values``: on PostgreSQL ``= ANY(array)``, one parameter however many
    values (psycopg would otherwise parse a statement of thousands of placeholders)."""
    if _postgresql():
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _registered(
    phones: list[str], user: User
) -> tuple[dict[str, int], set[tuple[int, str]], set[int]]:
    """The households of these numbers by number, their live members' (household, name), and
    the households with a live member ``user`` may not act for."""
    households: dict[str, int] = {}
    for chunk in _chunks(phones):
        households.update(
            db.session.execute(
                select(Household.phone, Household.id).where(_among(Household.phone, chunk))
            ).all()
        )
    members: set[tuple[int, str]] = set()
    foreign: set[int] = set()
    visible = visible_volunteer_ids(user)
    for chunk in _chunks(list(households.values())):
        for household_id, name, theirs in db.session.execute(
            select(Volunteer.household_id, Volunteer.name, Volunteer.id.in_(visible)).where(
                _among(Volunteer.household_id, chunk), Volunteer.deleted_at.is_(None)
            )
        ):
            members.add((household_id, name.casefold()))
            if not theirs:
                foreign.add(household_id)
    return households, members, foreign


def _plan(
    rows: list[Row], households: dict[str, int], members: set, foreign: set[int]
) -> tuple[dict[tuple[object, str], Row], int]:
    """The people to add, by (household id or None for a new number, name), and how many
    rows are held back (a new name on a number with people of other units)."""
    wanted: dict[tuple[object, str], Row] = {}
    held = 0
    for row in rows:
        household_id = households.get(row.phone)
        key = (
            (household_id, row.name.casefold())
            if household_id
            else (row.phone, row.name.casefold())
        )
        if key in members or key in wanted:
            continue
        if household_id in foreign:
            held += 1
            continue
        wanted[key] = row
    return wanted, held


def count(rows: list[Row], user: User) -> Counts:
    """What importing ``rows`` would add now (reads only)."""
    households, members, foreign = _registered(sorted({row.phone for row in rows}), user)
    wanted, held = _plan(rows, households, members, foreign)
    return Counts(
        new_people=len(wanted),
        new_numbers=len({row.phone for row in rows if row.phone not in households}),
        linked_rows=sum(1 for row in rows if row.phone in households),
        held_rows=held,
    )


def _insert_households(phones: list[str], now: datetime) -> int:
    """Register these numbers unless registered meanwhile; how many were new."""
    table = Household.__table__
    if not phones:
        return 0
    if _postgresql():
        source = select(
            func.unnest(bindparam("phones", phones, type_=ARRAY(String))),
            bindparam("now", now, type_=table.c.created_at.type),
        )
        statement = (
            postgresql_insert(table)
            .from_select(["phone", "created_at"], source)
            .on_conflict_do_nothing(index_elements=["phone"])
            .returning(table.c.id)
        )
        return len(db.session.execute(statement).all())
    statement = (
        sqlite_insert(table).on_conflict_do_nothing(index_elements=["phone"]).returning(table.c.id)
    )
    added = 0
    for chunk in _chunks(phones):
        rows = [{"phone": phone, "created_at": now} for phone in chunk]
        added += len(db.session.execute(statement, rows).all())
    return added


def _insert_people(
    people: list[tuple[int, Row]], user: User, *, now: datetime, consent: str
) -> int:
    """Add these (household id, row) people unless a person of the name is there; how many."""
    table = Volunteer.__table__
    if not people:
        return 0
    fixed = {
        "consent_version": consent[:20],
        "consented_at": now,
        "created_at": now,
        "registered_by_id": user.id,
    }
    columns = ["household_id", "name", "registered_unit_id", "is_minor", "card_key", "id_number"]
    if _postgresql():
        arrays = {
            "household_id": [household_id for household_id, _ in people],
            "name": [row.name for _, row in people],
            "registered_unit_id": [row.unit_id for _, row in people],
            "is_minor": [row.is_minor for _, row in people],
            "card_key": [new_key() for _ in people],
            "id_number": [row.id_number for _, row in people],
        }
        given = (
            func.unnest(
                *(
                    bindparam(key, values, type_=ARRAY(table.c[key].type))
                    for key, values in arrays.items()
                )
            )
            .table_valued(*columns)
            .render_derived()
        )
        source = select(
            *(given.c[key] for key in columns),
            *(bindparam(key, value, type_=table.c[key].type) for key, value in fixed.items()),
            case((given.c.is_minor, bindparam("guardian", now, type_=table.c.consented_at.type))),
        )
        statement = (
            postgresql_insert(table)
            .from_select([*columns, *fixed, "guardian_consented_at"], source)
            .on_conflict_do_nothing(index_elements=["household_id", "name"])
            .returning(table.c.id)
        )
        return len(db.session.execute(statement).all())
    statement = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=["household_id", "name"])
        .returning(table.c.id)
    )
    added = 0
    for chunk in _chunks(people):
        rows = [
            {
                **fixed,
                "household_id": household_id,
                "name": row.name,
                "registered_unit_id": row.unit_id,
                "is_minor": row.is_minor,
                "guardian_consented_at": now if row.is_minor else None,
                "card_key": new_key(),
                "id_number": row.id_number,
            }
            for household_id, row in chunk
        ]
        added += len(db.session.execute(statement, rows).all())
    return added


def apply(
    rows: list[Row],
    user: User,
    *,
    now: datetime,
    consent_version: str,
    file_sha256: str = "",
    audit: dict | None = None,
) -> Counts:
    """Write the rows in the caller's transaction and audit the import; what was added.

    Existing numbers are linked (their households gain only people of new names), existing
    people are left as they are. New numbers and people are inserted with ON CONFLICT DO
    NOTHING, so a number or person registered meanwhile by someone else is linked like any
    other. Raises ImportFileError "stations_changed" when a row's station is no longer one
    the organizer may see (nothing is written then). ``audit`` adds to the audit entry
    (a background import names its job and the chunk's first row).
    """
    allowed = set(db.session.scalars(visible_unit_ids(user)))
    if any(row.unit_id not in allowed for row in rows):
        raise ImportFileError("stations_changed")
    phones = sorted({row.phone for row in rows})
    households, _, _ = _registered(phones, user)
    new_numbers = _insert_households([p for p in phones if p not in households], now)
    households_now, members, foreign = _registered(phones, user)
    wanted, held = _plan(rows, households_now, members, foreign)
    new_people = _insert_people(
        [(households_now[row.phone], row) for row in wanted.values()],
        user,
        now=now,
        consent=consent_version,
    )
    counts = Counts(
        new_people=new_people,
        new_numbers=new_numbers,
        linked_rows=sum(1 for row in rows if row.phone in households),
        held_rows=held,
    )
    audit_log.record(
        "volunteers.import",
        now=now,
        actor_user_id=user.id,
        new={"rows": len(rows), **asdict(counts), "file_sha256": file_sha256, **(audit or {})},
    )
    db.session.flush()
    return counts


def add_counts(total: Counts, more: Counts) -> Counts:
    """The counts of two parts of one import together."""
    return Counts(**{key: value + getattr(more, key) for key, value in asdict(total).items()})


def in_phone_order(rows: list[Row]) -> list[Row]:
    """The rows by number, then file order: the order a chunked import applies them in."""
    return sorted(rows, key=lambda row: (row.phone, row.number))


def phone_chunks(rows: list[Row], size: int) -> Iterator[list[Row]]:
    """Rows (``in_phone_order``) in chunks of about ``size``, a number's rows never split.

    Applied chunk by chunk, the counts add up to those of one ``apply`` of all the rows:
    whether a row's number was registered before is decided once for all its rows.
    """
    size = max(1, size)
    chunk: list[Row] = []
    for row in rows:
        if len(chunk) >= size and chunk[-1].phone != row.phone:
            yield chunk
            chunk = []
        chunk.append(row)
    if chunk:
        yield chunk


def row_values(row: Row) -> list:
    """A row as a JSON list (``Row(*values)`` reads it back)."""
    return [row.number, row.name, row.phone, row.unit_id, row.is_minor, row.id_number]


# --- the upload waiting for its confirmation -----------------------------------------------


@dataclass
class Pending:
    """An upload's checked rows, waiting on the server for the organizer's confirmation."""

    token: str
    user_id: int
    file_sha256: str
    created_at: datetime
    checked: Checked


def _parse_checked(body: dict) -> Checked:
    return Checked(
        rows=[Row(*values) for values in body["rows"]],
        refused=[
            (number, [Problem(*values) for values in problems])
            for number, problems in body["refused"]
        ],
        notes=list(body["notes"]),
        not_kept=list(body["not_kept"]),
    )


class PendingStore:
    """Checked volunteer uploads waiting for confirmation (``uploads.PendingFiles``).

    A file holds personal data (names and numbers) until it is confirmed or expires.
    Refused rows are kept as row numbers and problem codes.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.files = uploads.PendingFiles(directory, error=ImportFileError)

    def save(self, user: User, checked: Checked, *, file_sha256: str, now: datetime) -> Pending:
        """Keep a checked upload for ``user``, named by a new random token."""
        body = {
            "rows": [row_values(r) for r in checked.rows],
            "refused": [
                [number, [[p.code, p.column, p.limit, p.row] for p in problems]]
                for number, problems in checked.refused
            ],
            "notes": checked.notes,
            "not_kept": checked.not_kept,
        }
        token = self.files.save(user.id, body, file_sha256=file_sha256, now=now)
        return Pending(token, user.id, file_sha256, now, checked)

    def load(self, token: str, user: User, *, now: datetime) -> Pending:
        """The upload ``token`` names, if it is ``user``'s and not expired.

        Raises ImportFileError "expired" otherwise, the same for every reason.
        """
        checked, file_sha256, created_at = self.files.load(
            token, user.id, now=now, parse=_parse_checked
        )
        return Pending(token, user.id, file_sha256, created_at, checked)

    def discard(self, token: str) -> None:
        """Forget an upload (after its import)."""
        self.files.discard(token)

    def sweep(self, now: datetime) -> int:
        """Delete the uploads older than the pending time; how many."""
        return self.files.sweep(now)


# --- the template ---------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The .xlsx template: the headers on the first sheet, how to fill it on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "志愿者"
    sheet.append([column.zh for column in COLUMNS])
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=column.required)
        sheet.column_dimensions[cell.column_letter].width = 16
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("说明")
    help_sheet.append([_("Column"), _("Required"), _("What to enter")])
    explanations = {
        "name": _("The person's name, at most 50 characters."),
        "phone": _("11-digit mainland mobile number; family members may share one."),
        "station": _("The exact name of one of your stations."),
        "birth_date": _("e.g. 2015-03-05; under 14: registered as a minor (guardian's consent)."),
    }
    for column in COLUMNS:
        help_sheet.append(
            [column.zh, _("yes") if column.required else "", explanations.get(column.key, "")]
        )
    help_sheet.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
