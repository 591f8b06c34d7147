"""Who served in a unit over a period: distinct volunteers, from kept month and year sets.

Distinct volunteers do not add up like hours: two months' counts say nothing about
how many different people served in both. Counting them from the check-ins means a
pass over every check-in of the period, a million for a district's three years. So a
period is cut into whole *ended* local years and months, whose sets of volunteer ids
are kept in ``report_volunteer_sets`` (filled the first time they are needed), and
the rest (a partial month at either end, the current month), counted directly:

    2023-03-15 … 2025-11-26 (today)  →  direct 2023-03-15…03-31, months 2023-04…12,
                                         year 2024, months 2025-01…10, direct 2025-11

Triggers (migrations/triggers.py) invalidate a kept set whenever a check-in, activity or unit
change could alter it, in the writing transaction, so a set is never stale when read.

Filling a set takes care not to store one computed from a snapshot that misses a
concurrent change: its row exists (committed) before the snapshot is taken, so any
later change bumps its version; on PostgreSQL a brief SHARE lock first waits for writes
already in flight (which may have run their triggers before the row existed). The set
is stored only if its version did not move meanwhile.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, LargeBinary, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import OperationalError

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.checkins.models import CheckIn
from volunteer_app.extensions import db
from volunteer_app.reports.models import VolunteerSet
from volunteer_app.reports.periods import Period
from volunteer_app.reports.sql import UnitIds
from volunteer_app.transactions import side_transaction
from volunteer_app.volunteers.models import Volunteer

_ONE_DAY = timedelta(days=1)
#: Longest wait for writes in flight before filling sets on PostgreSQL; past it the
#: sets are counted directly and not kept this time. Short, because while the SHARE lock
#: is awaited, new check-ins queue behind it: a view must never stall a burst for long.
BARRIER_LOCK_TIMEOUT = "500ms"


@dataclass(frozen=True)
class Segment:
    """Whole local days ``first``..``last`` (inclusive)."""

    first: date
    last: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC [start, end) of the segment."""
        return Period("range", self.first, self.last).bounds(zone)


def month_last(day: date) -> date:
    """The last day of ``day``'s month."""
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - _ONE_DAY


def split(first: date, last: date, today: date) -> tuple[list[Segment], list[Segment]]:
    """Cover ``first``..``last`` with whole ended years and months (kept) and the rest
    (counted directly, adjacent days merged); a year or month ends before ``today``."""
    kept: list[Segment] = []
    direct: list[Segment] = []
    day = first
    while day <= last:
        year_last, month_end = date(day.year, 12, 31), month_last(day)
        if (day.month, day.day) == (1, 1) and year_last <= last and year_last < today:
            kept.append(Segment(day, year_last))
            day = year_last + _ONE_DAY
        elif day.day == 1 and month_end <= last and month_end < today:
            kept.append(Segment(day, month_end))
            day = month_end + _ONE_DAY
        else:
            end = min(last, month_end)
            if direct and direct[-1].last + _ONE_DAY == day:
                direct[-1] = Segment(direct[-1].first, end)
            else:
                direct.append(Segment(day, end))
            day = end + _ONE_DAY
    return kept, direct


# --- sets as bitmaps: bit n of a Python int stands for volunteer n ---------------------
#
# A city district's three years join three kept sets of about 250,000 ids each and intersect
# them with the period's registrations: as Python sets that took a quarter of a second, as
# bitmaps (an ``|`` and a ``bit_count`` of 60 KB integers) well under a millisecond. Stored,
# a set is its bitmap, little-endian, zlib-compressed; PostgreSQL reads the same bytes with
# ``get_bit`` (count_registered).


def bits_of(ids: Iterable[int]) -> int:
    """The bitmap of volunteer ids (non-negative)."""
    ids = ids if isinstance(ids, (list, set, frozenset, tuple)) else list(ids)
    if not ids:
        return 0
    bitmap = bytearray(max(ids) // 8 + 1)
    for volunteer_id in ids:
        bitmap[volunteer_id >> 3] |= 1 << (volunteer_id & 7)
    return int.from_bytes(bitmap, "little")


def _bytes_of(bits: int) -> bytes:
    return bits.to_bytes((bits.bit_length() + 7) // 8, "little")


def ids_of(bits: int) -> set[int]:
    """The volunteer ids of a bitmap."""
    ids = set()
    for index, byte in enumerate(_bytes_of(bits)):
        if byte:
            base = index * 8
            ids.update(base + bit for bit in range(8) if byte >> bit & 1)
    return ids


def pack(ids: Iterable[int]) -> bytes:
    """Volunteer ids (any order) in their stored form."""
    return zlib.compress(_bytes_of(bits_of(ids)))


def _stored_bits(blob: bytes) -> int:
    return int.from_bytes(zlib.decompress(blob), "little")


def unpack(blob: bytes) -> set[int]:
    """The ids of a stored set."""
    return ids_of(_stored_bits(blob))


# --- queries -----------------------------------------------------------------------------


#: Memory for the hash of distinct volunteer ids on PostgreSQL (``SET LOCAL work_mem``). A
#: city district's year is about 240,000 distinct ids from 330,000 check-ins, a 25 MB hash;
#: at the default 4 MB the hash aggregate spills in ever smaller batches, and that query took
#: eight minutes instead of 0.7 s (docs/benchmarks.md, "A city's scale").
SERVED_WORK_MEM = "32MB"


def _roomy(connection) -> None:
    """Give the distinct-volunteer hash its memory for the rest of this transaction."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{SERVED_WORK_MEM}'")


def _served_stmt(subtree: UnitIds, ranges: list[tuple[datetime, datetime]]) -> Select:
    """Distinct volunteers with a check-in at a held activity of ``subtree`` in ``ranges``."""
    checkins, activities = CheckIn.__table__.c, Activity.__table__.c  # Core: plain ints
    return (
        select(checkins.volunteer_id)
        .join_from(CheckIn.__table__, Activity.__table__, activities.id == checkins.activity_id)
        .where(
            activities.unit_id.in_(subtree),
            activities.status != ActivityStatus.CANCELLED,
            checkins.voided_at.is_(None),  # a voided record is no one's service
            or_(*(and_(activities.starts_at >= s, activities.starts_at < e) for s, e in ranges)),
        )
        .distinct()
    )


def served(unit_id: int, subtree: UnitIds, period: Period, zone: ZoneInfo, today: date) -> int:
    """The volunteers who checked in at a held activity of ``unit_id`` or the units below it
    (``subtree``) that started during ``period``, as a bitmap (``bits_of``; how many:
    ``bit_count()``)."""
    kept, direct = split(period.first, period.last, today)
    bits = 0
    if kept:
        wanted = {segment.bounds(zone) for segment in kept}
        rows = db.session.execute(
            select(VolunteerSet.starts_at, VolunteerSet.ends_at, VolunteerSet.volunteer_ids).where(
                VolunteerSet.unit_id == unit_id,
                VolunteerSet.starts_at.in_({start for start, _ in wanted}),
                VolunteerSet.filled_version == VolunteerSet.version,
            )
        )
        for start, end, blob in rows:
            if (start, end) in wanted:  # a month and a year may start on the same day
                wanted.discard((start, end))
                bits |= _stored_bits(blob)
        if wanted:
            for found in fill(unit_id, subtree, list(wanted)):
                bits |= found
    if direct:
        ranges = [segment.bounds(zone) for segment in direct]
        connection = db.session.connection()
        _roomy(connection)
        bits |= bits_of(connection.scalars(_served_stmt(subtree, ranges)).all())
    return bits


#: Up to this many served volunteers, their registration dates are looked up one by one;
#: beyond, the period's registrations are read and tested against the bitmap.
LOOKUP_LIMIT = 10_000


def count_registered(bits: int, start: datetime, end: datetime) -> int:
    """How many of the volunteers of the bitmap ``bits`` registered during UTC [start, end).

    A station's few hundred ids go to the database as one parameter (a JSON array on
    SQLite, an array on PostgreSQL) and are looked up by key. For a district's tens of
    thousands, reading the ids registered in the period (an index range) is cheaper: on
    PostgreSQL the bitmap goes along as ``bytea`` and ``get_bit`` tests each id there, so
    none of the city's registrations (500,000 for three years) crosses the driver.
    """
    count = bits.bit_count()
    if not count:
        return 0
    volunteers = Volunteer.__table__.c
    registered = [volunteers.created_at >= start, volunteers.created_at < end]
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    if count > LOOKUP_LIMIT:
        bitmap = _bytes_of(bits)
        if postgres:
            return connection.scalar(
                select(func.count()).where(
                    *registered,
                    volunteers.id < len(bitmap) * 8,
                    func.get_bit(bindparam("bitmap", bitmap, type_=LargeBinary), volunteers.id)
                    == 1,
                )
            )
        limit = len(bitmap) * 8
        return sum(
            1
            for volunteer_id in connection.scalars(select(volunteers.id).where(*registered))
            if volunteer_id < limit and bitmap[volunteer_id >> 3] >> (volunteer_id & 7) & 1
        )
    ids = sorted(ids_of(bits))
    if postgres:
        # A semi-join on unnest, not ``id = ANY(array)``: once psycopg prepares the statement
        # (its fifth run on a connection), PostgreSQL may switch to a generic plan, and for
        # ANY that one scans the period's registrations testing each against the whole
        # array (6.6 s for a centre's 8,000 ids at 1M check-ins). Unnest's generic plan
        # stays a lookup by key per id.
        listed = func.unnest(bindparam("ids", ids, type_=ARRAY(Integer)))
        member = volunteers.id.in_(select(listed))
    else:
        listed = func.json_each(bindparam("ids", json.dumps(ids))).table_valued("value")
        member = volunteers.id.in_(select(listed.c.value))
    return connection.scalar(select(func.count()).where(member, *registered))


def _insert_missing(connection, unit_id: int, keys: list[tuple[datetime, datetime]]) -> None:
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    connection.execute(
        dialect.insert(VolunteerSet).on_conflict_do_nothing(),
        [{"unit_id": unit_id, "starts_at": s, "ends_at": e, "version": 0} for s, e in keys],
    )


def fill(unit_id: int, subtree: UnitIds, keys: list[tuple[datetime, datetime]]) -> list[int]:
    """Compute the sets (bitmaps) of ``keys`` (UTC bounds) of ``unit_id``, whose units are
    ``subtree``, and keep those no change raced with (the module's docstring)."""
    engine = db.engine
    with side_transaction(engine, write=True) as connection:
        _insert_missing(connection, unit_id, keys)
    keep = True
    if engine.dialect.name == "postgresql":
        try:
            with side_transaction(engine) as connection:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{BARRIER_LOCK_TIMEOUT}'")
                connection.exec_driver_sql("LOCK TABLE checkins, activities IN SHARE MODE")
        except OperationalError:
            keep = False  # writes in flight for too long: count now, keep another time
    isolation = "REPEATABLE READ" if engine.dialect.name == "postgresql" else None
    with side_transaction(engine, isolation_level=isolation) as connection:
        versions = {
            (s, e): v
            for s, e, v in connection.execute(
                select(VolunteerSet.starts_at, VolunteerSet.ends_at, VolunteerSet.version).where(
                    VolunteerSet.unit_id == unit_id,
                    VolunteerSet.starts_at.in_({s for s, _ in keys}),
                )
            )
        }
        _roomy(connection)
        sets = [bits_of(connection.scalars(_served_stmt(subtree, [key])).all()) for key in keys]
    if keep:
        with side_transaction(engine, write=True) as connection:
            for key, bits in zip(keys, sets, strict=True):
                if key not in versions:
                    continue  # its unit was deleted meanwhile
                connection.execute(
                    update(VolunteerSet)
                    .where(
                        VolunteerSet.unit_id == unit_id,
                        VolunteerSet.starts_at == key[0],
                        VolunteerSet.ends_at == key[1],
                        VolunteerSet.version == versions[key],
                    )
                    .values(
                        volunteer_ids=zlib.compress(_bytes_of(bits)), filled_version=versions[key]
                    )
                )
    return sets
