"""Declarative base, naming convention and the UTC datetime type."""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import g, has_request_context, request
from sqlalchemy import Connection, DateTime, Enum, MetaData, event
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

#: Stable constraint names so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as naive UTC; always give back aware UTC.

    SQLite has no time zones and PostgreSQL's ``timestamp`` would shift them, so we
    normalise at the edge and refuse naive values, which are always a bug here.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC for storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC to a stored naive datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def str_enum(enum_cls: type[enum.Enum], length: int = 16) -> Enum:
    """A portable (non-native) enum column that stores the members' values."""
    return Enum(
        enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


#: NORMAL with WAL: a commit reaches the operating system before the answer is sent, so a
#: killed or crashed server loses nothing it acknowledged (tests/reliability proves it);
#: only a power cut or kernel crash may lose the last few transactions. FULL would close
#: that gap at the cost of an fsync per check-in (about a tenth of the throughput here,
#: see docs/benchmarks.md). Set SQLITE_SYNCHRONOUS=FULL for that guarantee, or use
#: PostgreSQL. Read once at import: it is a deployment decision, not a per-request one.
SQLITE_SYNCHRONOUS = (
    "FULL" if os.environ.get("SQLITE_SYNCHRONOUS", "").upper() == "FULL" else ("NORMAL")
)


#: How long a writer waits for SQLite's write lock before giving up. Under a burst on a small,
#: overloaded server a check-in that waits is better than one that fails; normal waits are
#: milliseconds. Gunicorn's gthread workers do not kill slow requests.
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "60000"))


def configure_sqlite(engine) -> None:
    """Make SQLite transactional, concurrent and durable for every connection.

    - pysqlite's legacy transaction handling would let ``RELEASE SAVEPOINT`` commit the
      whole transaction; we switch it off and emit ``BEGIN`` ourselves (SQLAlchemy's
      documented recipe), so savepoints and rollbacks work as on PostgreSQL.
    - Writing requests (any method but GET/HEAD/OPTIONS) start with ``BEGIN IMMEDIATE``: they take
      the write lock up front and queue on the busy timeout, instead of failing with
      "database is locked" when a read lock cannot be upgraded in a check-in burst.
      Page views stay ``BEGIN DEFERRED`` and read in parallel thanks to WAL.
    - ``synchronous`` per SQLITE_SYNCHRONOUS above (NORMAL by default).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _is_write() else "BEGIN")


#: Set while ``side_transaction(write=True)`` begins its transaction.
_writing_aside: ContextVar[bool] = ContextVar("writing_aside", default=False)


def _is_write() -> bool:
    """Whether the current request will write (any method but GET, HEAD and OPTIONS).

    Outside requests (CLI, shell, tests) transactions stay deferred: they run alone.
    """
    if _writing_aside.get():
        return True
    if not has_request_context() or request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not g.get("reading_first", False)


def read_first() -> None:
    """Let this writing request read before it takes SQLite's write lock.

    A check-in request reads its token, activity and volunteer, then writes one row.
    With ``BEGIN IMMEDIATE`` from its first query it would hold the one write lock of the
    database through all its reading and Python work, and a burst's other requests would
    queue on it (in SQLite's busy handler, which sleeps in growing steps). Called before
    the first query, the request's first transaction is a plain (deferred) one; the
    request must then call ``end_reading()`` before it writes anything.
    """
    g.reading_first = True


def end_reading(session) -> None:
    """End the reading transaction begun after ``read_first()``; the next one writes.

    On SQLite this commits the (read-only) transaction, keeping what was loaded, so the
    next statement begins with ``BEGIN IMMEDIATE`` and the write lock is held only for
    the writes. On PostgreSQL, which locks rows and not the database, it does nothing:
    the request stays one transaction.
    """
    if not g.pop("reading_first", False):
        return
    if session.get_bind().dialect.name != "sqlite":
        return
    real = session()
    if real.new or real.dirty or real.deleted:
        raise RuntimeError("end_reading() with unsaved changes: write only after it")
    if real.in_transaction():
        commit_keeping_loaded(real)


@contextmanager
def side_transaction(
    engine, *, write: bool = False, isolation_level: str | None = None
) -> Iterator[Connection]:
    """A transaction on a connection of its own, committed at the end of the block.

    For work a page view does beside its own reading (keeping a report cache). With
    ``write=True`` it takes SQLite's write lock up front like a writing request, so it
    queues on the busy timeout instead of failing to upgrade a read lock.
    ``isolation_level`` (PostgreSQL) is e.g. "REPEATABLE READ" for one snapshot.
    """
    with engine.connect() as connection:
        if isolation_level:
            connection = connection.execution_options(isolation_level=isolation_level)
        token = _writing_aside.set(write)
        try:
            transaction = connection.begin()
        finally:
            _writing_aside.reset(token)
        with transaction:
            yield connection


@contextmanager
def without_write_lock(session):
    """Do slow CPU work (password hashing) without holding SQLite's write lock.

    Writing requests take SQLite's single write lock at their first query. Hashing a PIN
    takes ~100 ms; done inside the lock, a burst of first-time check-ins would queue behind
    each other's hashing until the busy timeout. On SQLite this ends the transaction first;
    call it only where nothing is pending (it raises if something is). PostgreSQL locks rows,
    not the database, so there it does nothing.
    """
    if session.get_bind().dialect.name == "sqlite" and session().in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("without_write_lock() with unsaved changes")
        session.commit()
    yield


def commit_keeping_loaded(session) -> None:
    """Commit, and keep what is loaded usable without reading it back.

    The default (expire on commit) makes the response's first look at a record just
    written reload it, and everything else it touches, in a second transaction. A
    check-in's answer shows exactly what it has just written, so there is nothing to
    reload: this saves one round trip per object on the hottest path.
    """
    real = session() if callable(session) else session
    real.expire_on_commit = False
    try:
        real.commit()
    finally:
        real.expire_on_commit = True
