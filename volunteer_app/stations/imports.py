"""Importing the unit tree from a spreadsheet (.xlsx or .csv): 所, 站, 地址, 联系人, 联系电话.

The flow is the volunteer import's (``volunteers.imports``): the organizer uploads a file,
``uploads.read_table`` streams its rows, ``check_rows`` (pure) turns each into a ``UnitRow``
or a list of problems against the tree as it is (``existing_tree``), the checked rows wait
on the server (``uploads.PendingFiles``) and ``apply`` writes them at the confirmation, in
the request's one transaction; above ``IMPORT_JOB_THRESHOLD`` rows a background job
(``jobs.imports``) calls ``apply`` a chunk of rows at a time instead.

Who imports where: the district admin into the district (a row's 所 names a centre under
it; an empty 所 puts the station right under the district); a centre organizer into their
own centre (an empty 所, or their centre's name; any other is refused by row). A centre or
station that exists (the same name among its siblings) is left as it is, so the same file
again adds nothing; a name that is an archived unit's, or a station's where a centre is
meant, is refused by row. Each new unit goes through ``services.add_unit`` (its rules and
its "unit.create" entry); the import as a whole is audited once ("units.import").
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from volunteer_app import uploads
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import Role, User
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.stations import services
from volunteer_app.stations.models import ADDRESS_MAX, CONTACT_MAX, NAME_MAX, PHONE_MAX, Unit

#: More rows than this in one file are refused (a district has a few hundred stations).
MAX_ROWS = 5_000

CENTRE, STATION = "centre", "station"
#: The roles that import a unit tree.
IMPORTERS = (Role.DISTRICT_ADMIN, Role.CENTRE_ORGANIZER)

#: A contact number: a mainland mobile, or a landline with its area code (0530-5551234).
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


@dataclass(frozen=True)
class Column:
    """One column of the template: its key, headers, and the longest value accepted."""

    key: str
    zh: str
    en: str
    max_length: int
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("centre", "所", "Centre", NAME_MAX, aliases=("实践所", "所名称", "新时代文明实践所")),
    Column(
        "station", "站", "Station", NAME_MAX, True, ("实践站", "站名称", "站点", "新时代文明实践站")
    ),
    Column("address", "地址", "Address", ADDRESS_MAX, aliases=("详细地址",)),
    Column("contact_name", "联系人", "Contact person", CONTACT_MAX, aliases=("contact",)),
    Column("contact_phone", "联系电话", "Contact phone", PHONE_MAX, aliases=("电话", "phone")),
)


class UnitImportError(DomainError):
    """The uploaded unit tree, or its import as a whole, was refused."""

    status = 400
    messages = {
        **uploads.UploadError.messages,
        "missing_columns": _l("The first row must name the columns 所 and 站 (see the template)."),
        "too_many_rows": _l(
            "The file has more than %(max)s rows. Please split it into smaller files.",
            max=f"{MAX_ROWS:,}",
        ),
        "nothing_to_import": _l("No row of this file can be imported."),
        "units_changed": _l(
            "The units have changed since the preview. Please upload the file again."
        ),
    }


#: What is wrong with a row, by problem code.
PROBLEMS = {
    "station_missing": _l("The station's name is missing."),
    "too_long": _l("%(column)s is too long (at most %(max)s characters)."),
    "phone_invalid": _l(
        "The contact phone is neither a mobile number (11 digits) nor a landline with its "
        "area code (such as 0530-5551234)."
    ),
    "duplicate": _l("The same centre and station as row %(row)s."),
    "centre_not_yours": _l("You can import only into your own centre."),
    "centre_archived": _l("A unit of this name is archived: please choose another name."),
    "station_archived": _l("A unit of this name is archived: please choose another name."),
    "centre_is_station": _l("A station directly under the district has this name."),
    "station_is_centre": _l("A centre has this name."),
}


def header(key: str) -> str:
    """A column's header in the current request's language."""
    column = next((c for c in COLUMNS if c.key == key), None)
    if column is None:
        return ""
    return column.en if str(get_locale() or "").startswith("en") else column.zh


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row is not imported."""

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
class UnitRow:
    """A row that will be imported: a station (with its details) under a centre ("" for
    the top: the district, or the centre organizer's own centre)."""

    number: int
    centre: str
    station: str
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""


@dataclass
class Checked:
    """The outcome of checking a file: the good rows and the refused ones (by row number)."""

    rows: list[UnitRow] = field(default_factory=list)
    refused: list[tuple[int, list[Problem]]] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """What an import adds, and how many of its rows name a station that exists."""

    new_centres: int = 0
    new_stations: int = 0
    existing_stations: int = 0


@dataclass
class Tree:
    """The part of the tree an import writes into, by name.

    ``top``: the units right under the district (name → (level, archived)), for a district
    admin; ``below``: each centre's stations (name → archived), "" being the top itself
    for a centre organizer; ``own_centre``: the centre organizer's centre name, or None.
    """

    top: dict[str, tuple[str, bool]] = field(default_factory=dict)
    below: dict[str, dict[str, bool]] = field(default_factory=dict)
    own_centre: str | None = None


def clean_name(value: str) -> str:
    """A unit name as the tree keeps it: NFC, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def clean_phone(value: str) -> str:
    """A contact number without spaces ("" for none); ValueError unless it is a mobile or
    a landline with its area code."""
    cleaned = "".join(unicodedata.normalize("NFKC", value or "").split())
    if cleaned and not (MOBILE.match(cleaned) or LANDLINE.match(cleaned)):
        raise ValueError(cleaned)
    return cleaned


_HEADER_NOISE = re.compile(r"[\s*＊:：]|[(（](必填|选填|required|optional)[)）]")


def _header_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).casefold()
    return _HEADER_NOISE.sub("", text)


def map_header(cells: list) -> dict[str, int]:
    """The column index of each known field in a header row.

    Raises UnitImportError "missing_columns" when 站 is missing.
    """
    known = {
        _header_key(name): column.key
        for column in COLUMNS
        for name in (column.zh, column.en, *column.aliases)
    }
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        key = known.get(_header_key(cell))
        if key is not None and key not in index:
            index[key] = position
    if any(column.required and column.key not in index for column in COLUMNS):
        raise UnitImportError("missing_columns")
    return index


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def check_rows(
    table: Iterable[tuple[int, list]], *, tree: Tree, max_rows: int = MAX_ROWS
) -> Checked:
    """Check every row of a table (header first) against the rules and ``tree``; no
    database. Empty rows are skipped. Raises UnitImportError for a file without a header,
    without the 站 column or with more than ``max_rows`` rows."""
    rows = iter(table)
    for _number, cells in rows:
        if any(_text(cell) for cell in cells):
            index = map_header(cells)
            break
    else:
        raise UnitImportError("empty")
    limits = {column.key: column.max_length for column in COLUMNS}
    checked = Checked()
    seen: dict[tuple[str, str], int] = {}
    new_centres: set[str] = set()
    new_top_stations: set[str] = set()
    count = 0
    for number, cells in rows:
        texts = {key: _text(cells[i] if i < len(cells) else None) for key, i in index.items()}
        if not any(texts.values()):
            continue
        count += 1
        if count > max_rows:
            raise UnitImportError("too_many_rows")
        problems = [
            Problem("too_long", column=key, limit=limits[key])
            for key, text in texts.items()
            if len(text) > limits[key]
        ]
        long = {problem.column for problem in problems}
        centre = "" if "centre" in long else clean_name(texts.get("centre", ""))
        station = "" if "station" in long else clean_name(texts.get("station", ""))
        if "station" not in long and not station:
            problems.append(Problem("station_missing"))
        phone = ""
        if "contact_phone" not in long:
            try:
                phone = clean_phone(texts.get("contact_phone", ""))
            except ValueError:
                problems.append(Problem("phone_invalid"))
        if tree.own_centre is not None:
            if centre and centre != tree.own_centre:
                problems.append(Problem("centre_not_yours"))
            centre = ""
        elif centre:
            level, archived = tree.top.get(centre, (CENTRE, False))
            if archived:
                problems.append(Problem("centre_archived"))
            elif level != CENTRE or centre in new_top_stations:
                problems.append(Problem("centre_is_station"))
        if station and "centre" not in long:
            if centre:
                archived = tree.below.get(centre, {}).get(station)
                if archived:
                    problems.append(Problem("station_archived"))
            elif tree.own_centre is not None:
                if tree.below.get("", {}).get(station):
                    problems.append(Problem("station_archived"))
            else:
                level, archived = tree.top.get(station, (STATION, False))
                if archived:
                    problems.append(Problem("station_archived"))
                elif level != STATION or station in new_centres:
                    problems.append(Problem("station_is_centre"))
        if station and "centre" not in long:
            key = (centre.casefold(), station.casefold())
            first = seen.get(key)
            if first is not None:
                problems.append(Problem("duplicate", row=first))
            elif not problems:
                seen[key] = number
        if problems:
            checked.refused.append((number, problems))
            continue
        if centre and centre not in tree.top:
            new_centres.add(centre)
        if not centre and tree.own_centre is None and station not in tree.top:
            new_top_stations.add(station)
        checked.rows.append(
            UnitRow(
                number,
                centre,
                station,
                texts.get("address", ""),
                texts.get("contact_name", ""),
                phone,
            )
        )
    return checked


def message_list(checked: Checked, limit: int) -> list[tuple[int, list[str]]]:
    """The first ``limit`` refused rows with their problems in the request's language."""
    return [
        (number, [problem.message() for problem in problems])
        for number, problems in checked.refused[:limit]
    ]


# --- against the database ------------------------------------------------------------------


def may_import(user: User) -> bool:
    """Whether ``user`` may import a unit tree: the district admin, a centre organizer."""
    return user.role in IMPORTERS


def _children(parent_id: int) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == parent_id)))


def existing_tree(user: User) -> Tree:
    """The tree below the organizer's unit, by name (reads only)."""
    own = db.session.get(Unit, user.unit_id)
    if user.role != Role.DISTRICT_ADMIN:
        below = {clean_name(u.name): u.is_archived for u in _children(own.id)}
        return Tree(below={"": below}, own_centre=clean_name(own.name))
    tree = Tree()
    centres: dict[int, str] = {}
    for unit in _children(own.id):
        name = clean_name(unit.name)
        tree.top[name] = (unit.level.value, unit.is_archived)
        if unit.level.value == CENTRE and not unit.is_archived:
            centres[unit.id] = name
    if centres:
        for unit in db.session.scalars(select(Unit).where(Unit.parent_id.in_(list(centres)))):
            tree.below.setdefault(centres[unit.parent_id], {})[clean_name(unit.name)] = (
                unit.is_archived
            )
    return tree


def count(rows: list[UnitRow], tree: Tree) -> Counts:
    """What importing ``rows`` into ``tree`` would add."""
    new_centres = {row.centre for row in rows if row.centre and row.centre not in tree.top}
    existing = 0
    for row in rows:
        if tree.own_centre is not None:
            exists = row.station in tree.below.get("", {})
        elif row.centre:
            exists = row.station in tree.below.get(row.centre, {})
        else:
            exists = row.station in tree.top
        existing += exists
    return Counts(len(new_centres), len(rows) - existing, existing)


def apply(
    rows: list[UnitRow],
    user: User,
    *,
    now: datetime,
    file_sha256: str = "",
    audit_extra: dict | None = None,
) -> Counts:
    """Write the rows in the caller's transaction and audit the import; what was added.

    The rows are checked again against the tree as it is now: when one would be refused
    (a unit archived or added meanwhile), UnitImportError "units_changed" and nothing is
    written. Existing centres and stations are left as they are. ``audit_extra`` adds to
    the "units.import" entry (a background import names its job and the chunk's first row).
    """
    tree = existing_tree(user)
    again = check_rows(
        [(0, [c.zh for c in COLUMNS])]
        + [
            (r.number, [r.centre, r.station, r.address, r.contact_name, r.contact_phone])
            for r in rows
        ],
        tree=tree,
    )
    if again.refused:
        raise UnitImportError("units_changed")
    counts = count(rows, tree)
    top = db.session.get(Unit, user.unit_id)
    parents: dict[str, Unit] = {"": top}
    for unit in _children(top.id):
        if unit.level.value == CENTRE and not unit.is_archived:
            parents[clean_name(unit.name)] = unit
    existing = {(centre, name) for centre, names in tree.below.items() for name in names}
    if tree.own_centre is None:
        existing |= {("", name) for name, (level, _) in tree.top.items() if level == STATION}
    for row in rows:
        parent = parents.get(row.centre)
        if parent is None:
            parent = services.add_unit(user, top, name=row.centre, level=CENTRE, now=now)
            parents[row.centre] = parent
        if (row.centre, row.station) in existing:
            continue
        services.add_unit(
            user,
            parent,
            name=row.station,
            level=STATION,
            address=row.address,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            now=now,
        )
        existing.add((row.centre, row.station))
    audit.record(
        "units.import",
        now=now,
        actor_user_id=user.id,
        new={
            "rows": len(rows),
            **asdict(counts),
            "file_sha256": file_sha256,
            **(audit_extra or {}),
        },
    )
    db.session.flush()
    return counts


def add_counts(total: Counts, more: Counts) -> Counts:
    """The counts of two parts of one import together."""
    return Counts(**{key: value + getattr(more, key) for key, value in asdict(total).items()})


def row_values(row: UnitRow) -> list:
    """A row as a JSON list (``UnitRow(*values)`` reads it back)."""
    return list(asdict(row).values())


# --- the upload waiting for its confirmation -----------------------------------------------


@dataclass
class Pending:
    """A checked unit-tree upload waiting for the organizer's confirmation."""

    token: str
    file_sha256: str
    checked: Checked


def _parse(body: dict) -> Checked:
    return Checked(
        rows=[UnitRow(*values) for values in body["rows"]],
        refused=[
            (number, [Problem(*values) for values in problems])
            for number, problems in body["refused"]
        ],
    )


class PendingStore:
    """Checked unit-tree uploads, kept by ``uploads.PendingFiles`` for an hour."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.files = uploads.PendingFiles(directory, error=UnitImportError)

    def save(self, user: User, checked: Checked, *, file_sha256: str, now: datetime) -> Pending:
        """Keep a checked upload for ``user`` under a new random token."""
        body = {
            "rows": [row_values(row) for row in checked.rows],
            "refused": [
                [number, [[p.code, p.column, p.limit, p.row] for p in problems]]
                for number, problems in checked.refused
            ],
        }
        token = self.files.save(user.id, body, file_sha256=file_sha256, now=now)
        return Pending(token, file_sha256, checked)

    def load(self, token: str, user: User, *, now: datetime) -> Pending:
        """The upload ``token`` names if it is ``user``'s and not expired; UnitImportError
        "expired" otherwise."""
        checked, file_sha256, _ = self.files.load(token, user.id, now=now, parse=_parse)
        return Pending(token, file_sha256, checked)

    def discard(self, token: str) -> None:
        """Forget an upload (after its import)."""
        self.files.discard(token)


def read_table(data: bytes, filename: str = "") -> Iterator[tuple[int, list]]:
    """The rows of an uploaded file (``uploads.read_table``), refused as UnitImportError."""
    return uploads.read_table(data, filename, error=UnitImportError)


def template_workbook() -> bytes:
    """The .xlsx template: the Chinese headers and one example row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "站点"
    sheet.append([column.zh for column in COLUMNS])
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=column.required)
        sheet.column_dimensions[cell.column_letter].width = 24
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
